# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate's web probes: TLS, DNS, security headers, CSP, CORS and rate limiting of the live endpoints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening.http_rules import (
    SECURITY_HEADERS,
    cors_outcome,
    csp_problems,
    rate_limit_more,
    rate_limit_outcome,
    security_header_problems,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import dns as dnsutil
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import tls as tlsutil
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import (
    Response,
    split_url,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import (
    Outcome,
    Probe,
    failed,
    passed,
    skipped,
)


class WebProbes:
    """Probes of the smoke gate that look at the platform's public endpoints."""

    def _tls_checks(self) -> list[Probe]:
        cfg = self.p["tls"]
        names = list(cfg["names"])
        if not names:
            names = sorted({split_url(u)[1] for u in (self.api_url, self.frontend_url) if u})
        checks = []
        for name in names:
            host, port = _host_port(name, split_url(self.api_url)[2])
            checks.append(Probe(f"tls:{host}:{port}", "tls", _bind(self.check_tls, host, port)))
        return checks

    def check_tls(self, host: str, port: int) -> Outcome:
        min_days = int(self.p["tls"]["min_days"])
        threshold = f"chain valid, name matches, >= {min_days} days to expiry"
        where = f"{host}:{port}"
        cert = tlsutil.inspect(
            host, port, ca_bundle=self.ca_bundle, timeout=self.timeout, address=self.lookup(host) or host
        )
        measured = {
            "days_left": cert.days_left,
            "not_after": cert.not_after,
            "chain": "valid" if cert.chain_valid else cert.verify_error,
            "hostname": "matches" if cert.hostname_matches else "mismatch",
        }
        problems = []
        if not cert.chain_valid:
            problems.append(f"chain not valid: {cert.verify_error}")
        if not cert.hostname_matches:
            problems.append(f"{host} not among the certificate's names {', '.join(cert.names)}")
        if cert.days_left < min_days:
            problems.append(f"{cert.days_left:g} days to expiry (not after {cert.not_after}), below {min_days}")
        if problems:
            return failed(measured, threshold, f"{where}: " + "; ".join(problems), where, final=True)
        return passed(measured, threshold, f"{where}: valid until {cert.not_after} ({cert.days_left:g} days)", where)

    def _dns_checks(self) -> list[Probe]:
        cfg = self.p["dns"]
        names = list(cfg["names"])
        if not names:
            names = sorted({split_url(u)[1] for u in (self.api_url, self.frontend_url) if u})
        return [Probe(f"dns:{n}", "dns", _bind(self.check_dns, n)) for n in names]

    def check_dns(self, name: str) -> Outcome:
        cfg = self.p["dns"]
        expected = sorted(cfg["addresses"])
        rdtype = cfg["record_type"]
        where = f"{name} {rdtype} @ {self.resolver or 'system resolver'}"
        threshold = f"{rdtype} in {expected}" if expected else f"resolves ({rdtype})"
        answer = dnsutil.lookup(name, rdtype, self.resolver, self.timeout)
        if answer.error:
            return failed(answer.error, threshold, f"{name}: {answer.error}", where)
        measured = answer.addresses
        stray = [a for a in answer.addresses if expected and a not in expected]
        if stray:
            return failed(
                measured, threshold, f"{name} resolves to {', '.join(stray)}, not {', '.join(expected)}", where
            )
        return passed(measured, threshold, f"{name} -> {', '.join(answer.addresses)}", where)

    def _header_targets(self) -> list[str]:
        cfg = self.p["security_headers"]
        urls = [self.api(u) for u in cfg["urls"]]
        if not urls:
            urls = [self.api(self.p["health"]["path"])]
            if self.frontend_url:
                urls.append(self.frontend_url + "/")
        return urls

    def _fetch_headers(self) -> list[Response]:
        with self.session() as s:
            return [s.request("GET", url) for url in self._header_targets()]

    def _judge_headers(
        self, threshold: str, judge: Callable[[Response], tuple[Any, list[str]]], in_place: str
    ) -> Outcome:
        """Fetch every header target once and hold each answer to ``judge`` (what it measured, its problems)."""
        problems, measured = [], {}
        for r in self._fetch_headers():
            measured[r.url], found = judge(r)
            problems += [f"{r.url}: {p}" for p in found]
        where = ", ".join(measured)
        if problems:
            return failed(measured, threshold, "; ".join(problems), where)
        return passed(measured, threshold, f"{in_place} on {len(measured)} URL(s)", where)

    def check_headers(self) -> Outcome:
        cfg = self.p["security_headers"]
        threshold = (
            f"{', '.join(SECURITY_HEADERS)} present; HSTS max-age >= {cfg['hsts_min_max_age']} "
            "with includeSubDomains; nosniff; X-Frame-Options DENY/SAMEORIGIN; safe Referrer-Policy"
        )

        def judge(r: Response) -> tuple[Any, list[str]]:
            found = security_header_problems(
                r.headers,
                int(cfg["hsts_min_max_age"]),
                tuple(cfg["referrer_policies"]),
                tuple(cfg["frame_options"]),
            )
            return {h: r.header(h) for h in SECURITY_HEADERS if h != "Content-Security-Policy"}, found

        return self._judge_headers(threshold, judge, "security headers in place")

    def check_csp(self) -> Outcome:
        cfg = self.p["security_headers"]
        required = tuple(cfg["csp_required"])
        forbidden = tuple(cfg["csp_forbidden"])
        threshold = f"directives {', '.join(required)}; script sources without {' '.join(forbidden)}"

        def judge(r: Response) -> tuple[Any, list[str]]:
            value = r.header("content-security-policy")
            return value, csp_problems(value, required, forbidden)

        return self._judge_headers(threshold, judge, "hardened CSP")

    def check_cors(self) -> Outcome:
        cfg = self.p["cors"]
        url = self.api(cfg["path"])
        allowed = (cfg["allowed_origin"] or self.frontend_url).rstrip("/")
        foreign = cfg["foreign_origin"].rstrip("/")
        if not allowed:
            return skipped("no allowed origin given (cors.allowed_origin or frontend_url)")
        answers = {}
        with self.session() as s:
            for origin in (allowed, foreign):
                r = s.request(
                    "OPTIONS",
                    url,
                    headers={
                        "Origin": origin,
                        "Access-Control-Request-Method": "POST",
                        "Access-Control-Request-Headers": "content-type,authorization",
                    },
                )
                answers[origin] = r.header("access-control-allow-origin")
        outcome = cors_outcome(allowed, answers[allowed], foreign, answers[foreign])
        outcome.where = f"OPTIONS {url}"
        return outcome

    def check_rate_limit(self) -> Outcome:
        """Bounded probe of one dedicated route: at most min(limit, policy) + 1 requests, on a few connections."""
        cfg = self.p["rate_limit"]
        url = self.api(cfg["path"])
        policy = int(cfg["max_limit"])
        cap = int(cfg["max_requests"] or policy + 1)
        with self.session() as s:
            first = s.request("GET", url)
        more = rate_limit_more(first.status, first.headers, policy, cap)
        later: list[int] = []
        if more:
            stop = threading.Event()
            lock = threading.Lock()
            connections = max(1, min(int(cfg["connections"]), more))
            shares = [more // connections + (1 if i < more % connections else 0) for i in range(connections)]

            def burst(count: int) -> None:
                with self.session() as s:
                    for _unused in range(count):
                        if stop.is_set():
                            return
                        status = s.request("GET", url).status
                        with lock:
                            later.append(status)
                        if status == 429:
                            stop.set()

            with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="smoke-rl") as pool:
                for done in [pool.submit(burst, n) for n in shares]:
                    done.result()
        outcome = rate_limit_outcome(first.status, first.headers, later, policy)
        outcome.where = f"GET {url}"
        return outcome


def _bind(fn: Callable[..., Outcome], *args: Any) -> Callable[[], Outcome]:
    return lambda: fn(*args)


def _host_port(name: str, default_port: int) -> tuple[str, int]:
    if name.count(":") == 1:
        host, _unused, port = name.partition(":")
        try:
            return host, int(port)
        except ValueError as exc:
            raise ConfigurationError(f"bad TLS target {name!r}: port is not a number") from exc
    return name, default_port
