# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate: many HTTP, TLS, DNS, Kubernetes, SMTP and PromQL checks run concurrently.

Each check is a function that returns an :class:`Outcome`. The runner
(:func:`run_checks`) runs them on a thread pool, retries a failed one with
exponential backoff while its settling window lasts, stops everything at the
overall budget, and returns one :class:`CheckResult` per check. :func:`smoke`
builds the checks from the module's parameters and turns the results into
evidence entries for the checklist items each check proves.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import dns as dnsutil
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import tls as tlsutil
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import (
    HttpSession,
    Response,
    basic_auth,
    join_url,
    split_url,
    tls_context,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Prometheus, QueryResult
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    SmeplatformError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"

# Which checklist items each check proves when it runs after a deployment.
EVIDENCE_IDS: dict[str, tuple[str, ...]] = {
    "health": ("deploy.5", "deploy.7.3", "success.2"),
    "frontend": ("deploy.5", "deploy.7.3"),
    "login": ("deploy.5", "deploy.7.8", "success.7"),
    "jwt_lifetime": ("7.2.5",),
    "invoice": ("deploy.7.9", "success.8"),
    "tls": ("deploy.7.5", "2.2.5"),
    "dns": ("deploy.7.6", "2.2.4"),
    "csp": ("7.2.3",),
    "security_headers": ("7.2.4",),
    "cors": ("7.2.2",),
    "rate_limit": ("7.2.1",),
    "pods": ("deploy.5", "deploy.7.1", "success.1"),
    "email": ("deploy.7.7", "post.hour.5", "success.6"),
    "sms": ("post.hour.5", "success.6"),
    "payment": ("post.hour.5", "success.6"),
    "error_rate": ("post.hour.1", "success.3"),
    "latency_p95": ("post.hour.2", "success.4"),
    "critical_alerts": ("success.5",),
    "errors_10m": ("deploy.7.2",),
}
CHECKS = tuple(EVIDENCE_IDS)
# After a rollback the question is narrower: is the previous release serving again?
ROLLBACK_CHECKS = ("pods", "health", "frontend", "login")
ROLLBACK_IDS = ("rollback.4",)
PURPOSES = ("deploy", "rollback")

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
)
SAFE_REFERRER_POLICIES = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
CSP_REQUIRED = ("default-src", "object-src", "frame-ancestors", "base-uri")
CSP_FORBIDDEN = ("'unsafe-eval'", "'unsafe-inline'", "*", "http:", "data:")
NO_DATA_CHOICES = ("fail", "pass", "skip")


# --- outcomes and the retrying runner ----------------------------------------------------------------


@dataclass
class Outcome:
    """What one attempt of a check found. `final` stops retrying (a retry cannot change the answer)."""

    status: str
    measured: Any = None
    threshold: Any = None
    detail: str = ""
    where: str = ""
    final: bool = False


def passed(measured: Any = None, threshold: Any = None, detail: str = "", where: str = "") -> Outcome:
    return Outcome(PASSED, measured, threshold, detail, where)


def failed(
    measured: Any = None, threshold: Any = None, detail: str = "", where: str = "", final: bool = False
) -> Outcome:
    return Outcome(FAILED, measured, threshold, detail, where, final)


def skipped(detail: str, measured: Any = None, threshold: Any = None, where: str = "") -> Outcome:
    return Outcome(SKIPPED, measured, threshold, detail, where)


@dataclass
class Check:
    """A named check, the group it belongs to (for selection and evidence ids) and its function."""

    name: str
    group: str
    run: Callable[[], Outcome]
    retry: bool = True
    on_done: Callable[[Outcome], None] | None = None


@dataclass
class CheckResult:
    name: str
    group: str
    status: str
    measured: Any
    threshold: Any
    detail: str
    where: str
    attempts: int
    duration: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RetryPolicy:
    """Retry a failed check after `backoff` seconds, doubling up to `backoff_max`, while `settle` seconds last."""

    settle: float = 20.0
    backoff: float = 0.5
    backoff_max: float = 4.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.settle < 0 or self.backoff <= 0 or self.backoff_max < self.backoff or self.factor < 1:
            raise ConfigurationError(
                "retry settings must satisfy settle >= 0, backoff > 0, backoff_max >= backoff, factor >= 1"
            )


def _attempt(fn: Callable[[], Outcome]) -> Outcome:
    try:
        outcome = fn()
    except SmeplatformError as exc:
        return failed(detail=str(exc))
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the results of the others
        return failed(detail=f"{type(exc).__name__}: {exc}")
    if not isinstance(outcome, Outcome) or outcome.status not in (PASSED, FAILED, SKIPPED):
        return failed(detail=f"check returned {outcome!r}", final=True)
    return outcome


def run_with_retry(
    fn: Callable[[], Outcome],
    policy: RetryPolicy,
    deadline: float,
    retry: bool = True,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Outcome, int]:
    """Run fn until it does not fail, its failure is final, or the next try would end after the settling window
    or the overall deadline. Returns the last outcome and the number of attempts."""
    start = clock()
    settle_end = min(start + policy.settle, deadline)
    delay = policy.backoff
    attempts = 0
    while True:
        attempts += 1
        outcome = _attempt(fn)
        if outcome.status != FAILED or outcome.final or not retry:
            return outcome, attempts
        if clock() + delay > settle_end:
            if attempts > 1:
                outcome.detail = (
                    f"{outcome.detail} (still failing after {attempts} attempts in {clock() - start:.1f} s)"
                )
            return outcome, attempts
        sleep(delay)
        delay = min(delay * policy.factor, policy.backoff_max)


def run_checks(
    checks: list[Check],
    policy: RetryPolicy,
    budget: float,
    workers: int = 16,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[CheckResult]:
    """Run every check concurrently; one result per check, in the order given."""
    if budget <= 0 or workers < 1:
        raise ConfigurationError("budget must be > 0 seconds and workers >= 1")
    names = [c.name for c in checks]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"duplicate check names: {sorted({n for n in names if names.count(n) > 1})}")
    deadline = clock() + budget

    def one(check: Check) -> CheckResult:
        started = clock()
        outcome, attempts = run_with_retry(check.run, policy, deadline, check.retry, clock, sleep)
        if check.on_done is not None:
            check.on_done(outcome)
        return CheckResult(
            check.name,
            check.group,
            outcome.status,
            outcome.measured,
            outcome.threshold,
            outcome.detail,
            outcome.where,
            attempts,
            round(clock() - started, 3),
        )

    if not checks:
        return []
    executor = ThreadPoolExecutor(max_workers=min(workers, len(checks)), thread_name_prefix="smoke")
    try:
        futures = [executor.submit(one, c) for c in checks]
        wait(futures, timeout=max(0.0, deadline - clock()))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    results = []
    for check, future in zip(checks, futures, strict=True):
        if future.done() and not future.cancelled():
            results.append(future.result())
        else:
            for_release = check.on_done
            if for_release is not None:
                for_release(failed(detail="not finished"))
            results.append(
                CheckResult(
                    check.name,
                    check.group,
                    FAILED,
                    None,
                    None,
                    f"not finished within the overall budget of {budget:g} s",
                    "",
                    0,
                    round(budget, 3),
                )
            )
    return results


class Handoff:
    """A value one check produces and others wait for (the login token)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._value: Any = None
        self._why = ""

    def put(self, value: Any) -> None:
        self._value = value
        self._event.set()

    def close(self, outcome: Outcome) -> None:
        if not self._event.is_set():
            self._why = outcome.detail or outcome.status
            self._event.set()

    def get(self, timeout: float) -> Any:
        if not self._event.wait(max(0.0, timeout)):
            return None
        return self._value

    @property
    def why(self) -> str:
        return self._why or "not available in time"


# --- pure rules (unit-tested without servers) --------------------------------------------------------


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, without verifying its signature (the server's key is not ours to hold)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated parts")
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"JWT payload is not base64url JSON: {exc}") from exc
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not a JSON object")
    return claims


def jwt_lifetime_outcome(token: str, max_lifetime: int) -> Outcome:
    """exp - iat must be positive and at most max_lifetime seconds."""
    threshold = f"0 < exp - iat <= {max_lifetime} s ({_human(max_lifetime)})"
    try:
        claims = jwt_claims(token)
    except ValueError as exc:
        return failed(detail=str(exc), threshold=threshold, final=True)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        missing = [k for k, v in (("exp", exp), ("iat", iat)) if not isinstance(v, int | float)]
        return failed(
            measured=None, threshold=threshold, detail=f"token has no numeric {', '.join(missing)} claim", final=True
        )
    lifetime = int(exp - iat)
    measured = f"{lifetime} s ({_human(lifetime)})"
    if lifetime <= 0:
        return failed(measured, threshold, "token expires before it is issued", final=True)
    if lifetime > max_lifetime:
        return failed(measured, threshold, f"token lives {_human(lifetime)}, longer than the policy", final=True)
    return passed(measured, threshold, f"token lifetime {_human(lifetime)}")


def _human(seconds: float) -> str:
    seconds = int(seconds)
    # Hours up to two days: token lifetimes are stated as "24h".
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0 and (unit != "d" or seconds > 2 * 86400):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_csp(value: str) -> dict[str, list[str]]:
    """Content-Security-Policy to {directive: [sources]}; the first occurrence of a directive wins (CSP3)."""
    policy: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.strip().split()
        if tokens:
            policy.setdefault(tokens[0].lower(), tokens[1:])
    return policy


def csp_problems(
    value: str | None, required: tuple[str, ...] | list[str], forbidden: tuple[str, ...] | list[str]
) -> list[str]:
    """Why a CSP is not hardened: missing directives, unsafe script sources."""
    if not value:
        return ["Content-Security-Policy missing"]
    policy = parse_csp(value)
    problems = [f"directive {d} missing" for d in required if d not in policy]
    # script-src falls back to default-src; scripts are where 'unsafe-*' and wide sources hurt.
    script_directive = "script-src" if "script-src" in policy else "default-src"
    sources = [s.lower() for s in policy.get(script_directive, [])]
    bad = [s for s in forbidden if s.lower() in sources]
    if bad:
        problems.append(f"{script_directive} allows {' '.join(bad)}")
    if "object-src" in policy and policy["object-src"] != ["'none'"]:
        problems.append(f"object-src is {' '.join(policy['object-src'])}, not 'none'")
    return problems


def parse_hsts(value: str) -> tuple[int | None, bool]:
    """(max-age, includeSubDomains) of a Strict-Transport-Security value."""
    max_age = None
    subdomains = False
    for part in value.split(";"):
        key, _, val = part.strip().partition("=")
        key = key.strip().lower()
        if key == "max-age":
            try:
                max_age = int(val.strip().strip('"'))
            except ValueError:
                max_age = None
        elif key == "includesubdomains":
            subdomains = True
    return max_age, subdomains


def security_header_problems(
    headers: dict[str, str],
    hsts_min_max_age: int = 15552000,
    referrer_policies: tuple[str, ...] | list[str] = SAFE_REFERRER_POLICIES,
    frame_options: tuple[str, ...] | list[str] = ("DENY", "SAMEORIGIN"),
) -> list[str]:
    """Why the response's security headers fall short (header names case-insensitive)."""
    h = {k.lower(): v for k, v in headers.items()}
    problems = []
    missing = [name for name in SECURITY_HEADERS if name.lower() not in h]
    problems += [f"{name} missing" for name in missing]
    hsts = h.get("strict-transport-security")
    if hsts is not None:
        max_age, subdomains = parse_hsts(hsts)
        if max_age is None:
            problems.append("Strict-Transport-Security has no max-age")
        elif max_age < hsts_min_max_age:
            problems.append(f"Strict-Transport-Security max-age {max_age} below {hsts_min_max_age}")
        if not subdomains:
            problems.append("Strict-Transport-Security lacks includeSubDomains")
    xcto = h.get("x-content-type-options")
    if xcto is not None and xcto.strip().lower() != "nosniff":
        problems.append(f"X-Content-Type-Options is {xcto!r}, not nosniff")
    xfo = h.get("x-frame-options")
    if xfo is not None and xfo.strip().upper() not in {f.upper() for f in frame_options}:
        problems.append(f"X-Frame-Options is {xfo!r}, not one of {', '.join(frame_options)}")
    referrer = h.get("referrer-policy")
    if referrer is not None:
        # A list is allowed; the browser uses the last value it understands.
        last = [p.strip().lower() for p in referrer.split(",") if p.strip()][-1:] or [""]
        if last[0] not in referrer_policies:
            problems.append(f"Referrer-Policy is {referrer!r}, not one of {', '.join(referrer_policies)}")
    return problems


def cors_outcome(
    allowed_origin: str, allowed_answer: str | None, foreign_origin: str, foreign_answer: str | None
) -> Outcome:
    """The allowed origin must be echoed back; a foreign one must get no Access-Control-Allow-Origin (nor '*')."""
    measured = {"allowed_origin": allowed_answer, "foreign_origin": foreign_answer}
    threshold = f"{allowed_origin} accepted, {foreign_origin} refused"
    problems = []
    if allowed_answer != allowed_origin:
        problems.append(f"allowed origin {allowed_origin} not accepted (Access-Control-Allow-Origin: {allowed_answer})")
    if foreign_answer in (foreign_origin, "*"):
        problems.append(f"foreign origin {foreign_origin} accepted (Access-Control-Allow-Origin: {foreign_answer})")
    if problems:
        return failed(measured, threshold, "; ".join(problems))
    return passed(measured, threshold, "allowed origin accepted, foreign origin refused")


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = {k.lower(): v for k, v in headers.items()}.get(name.lower())
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_limit_more(first_status: int, first_headers: dict[str, str], policy: int, cap: int) -> int:
    """How many more requests the probe may send after the first one.

    0 when the first answer already decides (429, a server error, or a limit above the policy);
    otherwise X-RateLimit-Remaining + 1 when the server says it, capped so that the
    probe never sends more than `cap` requests in all.
    """
    limit = _int_header(first_headers, "x-ratelimit-limit")
    if first_status == 429 or first_status >= 500 or (limit is not None and limit > policy):
        return 0
    remaining = _int_header(first_headers, "x-ratelimit-remaining")
    wanted = remaining + 1 if remaining is not None else policy
    return max(0, min(wanted, cap - 1))


def rate_limit_outcome(first_status: int, first_headers: dict[str, str], later: list[int], policy: int) -> Outcome:
    """Rate limiting is active when the advertised limit is within the policy and a 429 came once it was used up."""
    limit = _int_header(first_headers, "x-ratelimit-limit")
    statuses = [first_status, *later]
    threshold = f"limit <= {policy} per window; 429 once exceeded"
    measured = {"limit": limit, "requests": len(statuses)}
    if limit is not None and limit > policy:
        return failed(measured, threshold, f"rate limit {limit} per window is above the policy of {policy}", final=True)
    if first_status >= 500:
        return failed(measured, threshold, f"the probed route answered {first_status}: nothing to measure", final=True)
    if 429 in statuses:
        measured["throttled"] = statuses.count(429)
        return passed(measured, threshold, f"429 within {len(statuses)} request(s) (X-RateLimit-Limit {limit})")
    return failed(
        measured,
        threshold,
        f"no 429 after {len(statuses)} requests (last status {statuses[-1]}): rate limiting is not active",
        final=True,
    )


def promql_outcome(
    result: QueryResult,
    maximum: float,
    no_data: str,
    unit: str = "",
    inclusive: bool = False,
    scale: float = 1.0,
) -> Outcome:
    """One number held against a maximum (value < max, or <= with inclusive); "no data" decided by `no_data`."""
    sign = "<=" if inclusive else "<"
    threshold = f"{sign} {maximum * scale:g}{unit}"
    value = result.value()
    if value is None:
        detail = f"no data for {result.query}"
        if no_data == "pass":
            return passed("no data", threshold, detail + " (accepted: no_data=pass)")
        if no_data == "skip":
            return skipped(detail + " (no_data=skip)", "no data", threshold)
        return failed("no data", threshold, detail + " (no_data=fail)")
    ok = value <= maximum if inclusive else value < maximum
    shown = f"{value * scale:.4g}{unit}"
    if ok:
        return passed(shown, threshold, f"{shown} {sign} {maximum * scale:g}{unit}")
    # A rate over minutes does not change within a settling window: retrying only delays the verdict.
    return failed(shown, threshold, f"{shown} not {sign} {maximum * scale:g}{unit}", final=True)


def error_rate_outcome(ratio: QueryResult, traffic: QueryResult | None, maximum: float, no_data: str) -> Outcome:
    """The 5xx ratio below `maximum`. An empty ratio with traffic means no 5xx series: 0 %, not "no data"."""
    if ratio.no_data and traffic is not None:
        requests = traffic.value()
        if requests:
            threshold = f"< {maximum * 100:g} %"
            return passed("0 %", threshold, f"no 5xx answer among {requests:.3g} requests/s over 5 minutes")
    return promql_outcome(ratio, maximum, no_data, " %", scale=100)


def alerts_outcome(result: QueryResult) -> Outcome:
    """Firing critical alerts: none passes (an empty result is the good answer here)."""
    firing = sorted({s.labels.get("alertname", "?") for s in result.samples if s.value == s.value and s.value != 0})
    if firing:
        return failed(len(firing), 0, f"firing: {', '.join(firing)}", final=True)
    return passed(0, 0, "no critical alert firing")


# --- the checks against the platform ------------------------------------------------------------------


class Smoke:
    """Builds the checks from the module's parameters and runs them."""

    def __init__(self, params: dict[str, Any], check_mode: bool = False, kube_factory: Callable[[], Any] | None = None):
        self.p = params
        self.check_mode = check_mode
        self.purpose = params.get("purpose") or "deploy"
        if self.purpose not in PURPOSES:
            raise ConfigurationError(f"purpose must be one of {', '.join(PURPOSES)}, got {self.purpose!r}")
        self.api_url = params["api_url"].rstrip("/")
        split_url(self.api_url)
        self.frontend_url = (params.get("frontend_url") or "").rstrip("/")
        if self.frontend_url:
            split_url(self.frontend_url)
        self.ca_bundle = params.get("ca_bundle") or None
        tls_context(self.ca_bundle)  # an unreadable bundle fails now, not in every check
        self.timeout = float(params.get("timeout") or 5.0)
        self.headers = dict(params.get("headers") or {})
        self.resolver = params.get("resolver") or ""
        self.lookup = dnsutil.AddressResolver(self.resolver, params.get("resolve") or {}, timeout=self.timeout)
        self.kube_factory = kube_factory
        self._rollout_lock = threading.Lock()
        self._served: float | None = None
        self.run_id = uuid.uuid4().hex[:12]
        self.secrets: set[str] = set()
        self.token = Handoff()
        self.selected = self._select()

    # selection -----------------------------------------------------------------------------------
    def _select(self) -> list[str]:
        wanted = list(self.p.get("checks") or (ROLLBACK_CHECKS if self.purpose == "rollback" else CHECKS))
        unknown = sorted((set(wanted) | set(self.p.get("skip_checks") or [])) - set(CHECKS))
        if unknown:
            raise ConfigurationError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
        skip = set(self.p.get("skip_checks") or [])
        chosen = [c for c in CHECKS if c in wanted and c not in skip]
        login = self.p.get("login") or {}
        needs_login = {"login", "jwt_lifetime", "invoice"} & set(chosen)
        if needs_login and not (login.get("email") and login.get("password")):
            raise ConfigurationError(
                f"check(s) {', '.join(sorted(needs_login))} need login.email and login.password (the admin account)"
            )
        if ("jwt_lifetime" in chosen or "invoice" in chosen) and "login" not in chosen:
            chosen.insert(0, "login")  # they use its token
        return chosen

    def ids_for(self, group: str) -> tuple[str, ...]:
        return ROLLBACK_IDS if self.purpose == "rollback" else EVIDENCE_IDS[group]

    def session(self) -> HttpSession:
        return HttpSession(ca_bundle=self.ca_bundle, timeout=self.timeout, lookup=self.lookup, headers=self.headers)

    def api(self, path: str) -> str:
        return join_url(self.api_url, path)

    # building ------------------------------------------------------------------------------------
    def checks(self) -> list[Check]:
        builders: dict[str, Callable[[], list[Check]]] = {
            "login": lambda: [Check("login", "login", self.check_login, on_done=self.token.close)],
            "jwt_lifetime": lambda: [Check("jwt_lifetime", "jwt_lifetime", self.check_jwt, retry=False)],
            "invoice": lambda: [Check("invoice", "invoice", self.check_invoice)],
            "health": lambda: [Check("health", "health", self.check_health)],
            "frontend": lambda: [Check("frontend", "frontend", self.check_frontend)],
            "tls": self._tls_checks,
            "dns": self._dns_checks,
            "csp": lambda: [Check("csp", "csp", self.check_csp)],
            "security_headers": lambda: [Check("security_headers", "security_headers", self.check_headers)],
            "cors": lambda: [Check("cors", "cors", self.check_cors)],
            "rate_limit": lambda: [Check("rate_limit", "rate_limit", self.check_rate_limit, retry=False)],
            "pods": lambda: [Check("pods", "pods", self.check_pods)],
            "email": lambda: [Check("email", "email", self.check_email)],
            "sms": lambda: [Check("sms", "sms", self.check_sms)],
            "payment": lambda: [Check("payment", "payment", self.check_payment)],
            "error_rate": lambda: [Check("error_rate", "error_rate", self.check_error_rate)],
            "latency_p95": lambda: [Check("latency_p95", "latency_p95", self.check_latency)],
            "critical_alerts": lambda: [Check("critical_alerts", "critical_alerts", self.check_alerts)],
            "errors_10m": lambda: [Check("errors_10m", "errors_10m", self.check_errors_10m)],
        }
        # login first: the checks waiting for its token must never hold every worker before it starts.
        order = ["login"] + [g for g in self.selected if g != "login"] if "login" in self.selected else self.selected
        return [c for group in order for c in builders[group]()]

    # platform ------------------------------------------------------------------------------------
    def check_health(self) -> Outcome:
        cfg = self.p.get("health") or {}
        url = self.api(cfg.get("path") or "/health")
        expected = cfg.get("expected_version") or ""
        threshold = "200" + (f", version {expected}" if expected else "")
        with self.session() as s:
            r = s.request("GET", url)
        try:
            body = r.json()
        except ValueError:
            body = None
        version = body.get("version") if isinstance(body, dict) else None
        state = body.get("status") if isinstance(body, dict) else None
        measured = f"{r.status}" + (f" {state}" if state else "") + (f" version {version}" if version else "")
        if r.status != 200:
            return failed(measured, threshold, f"GET {url} answered {r.status}: {r.text()}", url)
        if expected and version != expected:
            return failed(measured, threshold, f"serving version {version}, expected {expected}", url)
        return passed(measured, threshold, f"GET {url} answered 200 in {r.elapsed * 1000:.0f} ms", url)

    def check_frontend(self) -> Outcome:
        if not self.frontend_url:
            return skipped("no frontend_url given")
        url = self.frontend_url + "/"
        with self.session() as s:
            r = s.request("GET", url, headers={"Accept": "text/html"})
        ctype = r.header("content-type") or ""
        measured = f"{r.status} {ctype.split(';')[0]}".strip()
        if r.status != 200:
            return failed(measured, "200 text/html", f"GET {url} answered {r.status}: {r.text()}", url)
        if "html" not in ctype or not r.body.strip():
            return failed(measured, "200 text/html", f"GET {url} answered 200 without an HTML page", url)
        return passed(measured, "200 text/html", f"GET {url} served {len(r.body)} bytes of HTML", url)

    def check_login(self) -> Outcome:
        cfg = self.p.get("login") or {}
        url = self.api(cfg.get("path") or "/api/auth/login")
        self.secrets.add(cfg["password"])
        with self.session() as s:
            r = s.request("POST", url, json_body={"email": cfg["email"], "password": cfg["password"]})
        threshold = "2xx with an access token"
        if r.status == 429:
            return failed(
                r.status, threshold, f"login throttled (429, retry after {r.header('retry-after')} s)", url, final=True
            )
        if r.status in (400, 401, 403):
            return failed(r.status, threshold, f"login of {cfg['email']} refused: {r.status}", url, final=True)
        if not 200 <= r.status < 300:
            return failed(r.status, threshold, f"POST {url} answered {r.status}: {r.text()}", url)
        try:
            body = r.json()
        except ValueError:
            body = None
        token = None
        if isinstance(body, dict):
            token = body.get(cfg.get("token_field") or "access_token") or body.get("token")
        if not isinstance(token, str) or not token:
            return failed(r.status, threshold, "login answered without an access token", url)
        self.secrets.add(token)
        self.token.put(token)
        return passed(r.status, threshold, f"{cfg['email']} logged in ({r.elapsed * 1000:.0f} ms)", url)

    def _wait_token(self) -> str | None:
        return self.token.get(timeout=float(self.p.get("budget") or 60.0))

    def check_jwt(self) -> Outcome:
        cfg = self.p.get("login") or {}
        max_lifetime = int(cfg.get("jwt_max_lifetime") or 86400)
        token = self._wait_token()
        if token is None:
            return failed(detail=f"no token to inspect: login failed ({self.token.why})", final=True)
        outcome = jwt_lifetime_outcome(token, max_lifetime)
        outcome.where = self.api((self.p.get("login") or {}).get("path") or "/api/auth/login")
        return outcome

    def check_invoice(self) -> Outcome:
        cfg = self.p.get("invoice") or {}
        base = self.api(cfg.get("path") or "/api/invoices")
        threshold = "created (201), read back (200), removed (200/204)"
        if self.check_mode:
            return skipped("check mode: no sample invoice written", threshold=threshold, where=base)
        token = self._wait_token()
        if token is None:
            return failed(threshold=threshold, detail=f"no token: login failed ({self.token.why})", final=True)
        reference = f"SMOKE-{self.run_id}"
        payload = dict(cfg.get("payload") or {})
        payload.setdefault("invoiceNumber", reference)
        payload.setdefault("customerName", "Smoke test (removed automatically)")
        payload.setdefault("amount", 1)
        payload.setdefault("currency", "INR")
        auth = {"Authorization": f"Bearer {token}"}
        with self.session() as s:
            created = s.request("POST", base, headers=auth, json_body=payload)
            if created.status not in (200, 201):
                return failed(
                    created.status, threshold, f"POST {base} answered {created.status}: {created.text()}", base
                )
            try:
                invoice_id = created.json().get("id")
            except (ValueError, AttributeError):
                invoice_id = None
            if not invoice_id:
                return failed(created.status, threshold, f"POST {base} answered without an invoice id", base)
            item = join_url(base, str(invoice_id))
            try:
                read = s.request("GET", item, headers=auth)
                same = read.status == 200 and _json_field(read, "invoiceNumber") == payload["invoiceNumber"]
            finally:
                removed = s.request("DELETE", item, headers=auth)
        measured = f"POST {created.status}, GET {read.status}, DELETE {removed.status}"
        if not same:
            return failed(measured, threshold, f"invoice {invoice_id} not read back as written", item)
        if removed.status not in (200, 202, 204):
            return failed(measured, threshold, f"sample invoice {invoice_id} was not removed: {removed.status}", item)
        return passed(measured, threshold, f"sample invoice {reference} created, read back and removed", base)

    def _tls_checks(self) -> list[Check]:
        cfg = self.p.get("tls") or {}
        names = list(cfg.get("names") or [])
        if not names:
            names = sorted({split_url(u)[1] for u in (self.api_url, self.frontend_url) if u})
        checks = []
        for name in names:
            host, port = _host_port(name, split_url(self.api_url)[2])
            checks.append(Check(f"tls:{host}:{port}", "tls", _bind(self.check_tls, host, port)))
        return checks

    def check_tls(self, host: str, port: int) -> Outcome:
        min_days = int((self.p.get("tls") or {}).get("min_days", 14))
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

    def _dns_checks(self) -> list[Check]:
        cfg = self.p.get("dns") or {}
        names = list(cfg.get("names") or [])
        if not names:
            names = sorted({split_url(u)[1] for u in (self.api_url, self.frontend_url) if u})
        return [Check(f"dns:{n}", "dns", _bind(self.check_dns, n)) for n in names]

    def check_dns(self, name: str) -> Outcome:
        cfg = self.p.get("dns") or {}
        expected = sorted(cfg.get("addresses") or [])
        rdtype = cfg.get("record_type") or "A"
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
        cfg = self.p.get("security_headers") or {}
        urls = [self.api(u) for u in (cfg.get("urls") or [])]
        if not urls:
            urls = [self.api((self.p.get("health") or {}).get("path") or "/health")]
            if self.frontend_url:
                urls.append(self.frontend_url + "/")
        return urls

    def _fetch_headers(self) -> list[Response]:
        with self.session() as s:
            return [s.request("GET", url) for url in self._header_targets()]

    def check_headers(self) -> Outcome:
        cfg = self.p.get("security_headers") or {}
        threshold = (
            f"{', '.join(SECURITY_HEADERS)} present; HSTS max-age >= {cfg.get('hsts_min_max_age', 15552000)} "
            "with includeSubDomains; nosniff; X-Frame-Options DENY/SAMEORIGIN; safe Referrer-Policy"
        )
        problems, measured = [], {}
        for r in self._fetch_headers():
            found = security_header_problems(
                r.headers,
                int(cfg.get("hsts_min_max_age", 15552000)),
                tuple(cfg.get("referrer_policies") or SAFE_REFERRER_POLICIES),
                tuple(cfg.get("frame_options") or ("DENY", "SAMEORIGIN")),
            )
            problems += [f"{r.url}: {p}" for p in found]
            measured[r.url] = {h: r.header(h) for h in SECURITY_HEADERS if h != "Content-Security-Policy"}
        where = ", ".join(measured)
        if problems:
            return failed(measured, threshold, "; ".join(problems), where)
        return passed(measured, threshold, f"security headers in place on {len(measured)} URL(s)", where)

    def check_csp(self) -> Outcome:
        cfg = self.p.get("security_headers") or {}
        required = tuple(cfg.get("csp_required") or CSP_REQUIRED)
        forbidden = tuple(cfg.get("csp_forbidden") or CSP_FORBIDDEN)
        threshold = f"directives {', '.join(required)}; script sources without {' '.join(forbidden)}"
        problems, measured = [], {}
        for r in self._fetch_headers():
            value = r.header("content-security-policy")
            measured[r.url] = value
            problems += [f"{r.url}: {p}" for p in csp_problems(value, required, forbidden)]
        where = ", ".join(measured)
        if problems:
            return failed(measured, threshold, "; ".join(problems), where)
        return passed(measured, threshold, f"hardened CSP on {len(measured)} URL(s)", where)

    def check_cors(self) -> Outcome:
        cfg = self.p.get("cors") or {}
        url = self.api(cfg.get("path") or "/api/auth/login")
        allowed = (cfg.get("allowed_origin") or self.frontend_url).rstrip("/")
        foreign = (cfg.get("foreign_origin") or "https://foreign-origin.invalid").rstrip("/")
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
        cfg = self.p.get("rate_limit") or {}
        url = self.api(cfg.get("path") or "/api/auth/me")
        policy = int(cfg.get("max_limit") or 100)
        cap = int(cfg.get("max_requests") or policy + 1)
        with self.session() as s:
            first = s.request("GET", url)
        more = rate_limit_more(first.status, first.headers, policy, cap)
        later: list[int] = []
        if more:
            stop = threading.Event()
            lock = threading.Lock()
            connections = max(1, min(int(cfg.get("connections") or 4), more))
            shares = [more // connections + (1 if i < more % connections else 0) for i in range(connections)]

            def burst(count: int) -> None:
                with self.session() as s:
                    for _ in range(count):
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

    # cluster -------------------------------------------------------------------------------------
    def check_pods(self) -> Outcome:
        cfg = self.p.get("kubernetes") or {}
        namespace = cfg.get("namespace") or "sme-platform"
        names = list(cfg.get("deployments") or [])
        max_restarts = int(cfg.get("max_restarts", 3))
        threshold = f"every Deployment fully available; container restarts <= {max_restarts}"
        if self.kube_factory is None or not names:
            return skipped("no Kubernetes deployments to check")
        kube = self.kube_factory()
        problems, summary, pods_ready, pods_total, worst = [], [], 0, 0, 0
        for name in names:
            dep = kube.get_or_none(
                f"Deployment {namespace}/{name}", kube.apps.read_namespaced_deployment, name, namespace
            )
            if dep is None:
                problems.append(f"Deployment {name} not found in {namespace}")
                continue
            want = dep.spec.replicas if dep.spec.replicas is not None else 1
            st = dep.status
            available, updated, ready = st.available_replicas or 0, st.updated_replicas or 0, st.ready_replicas or 0
            current = st.observed_generation is not None and st.observed_generation >= (dep.metadata.generation or 0)
            summary.append(f"{name} {available}/{want}")
            if not current or updated != want or available != want or ready != want or (st.replicas or 0) != want:
                problems.append(
                    f"{name}: {available}/{want} available, {updated} updated, {st.replicas or 0} in total"
                    + ("" if current else ", rollout not yet observed")
                )
            selector = ",".join(f"{k}={v}" for k, v in (dep.spec.selector.match_labels or {}).items())
            pods = kube.call(
                f"pods of {namespace}/{name}", kube.core.list_namespaced_pod, namespace, label_selector=selector
            )
            for pod in pods.items:
                if pod.metadata.deletion_timestamp is not None:
                    continue
                pods_total += 1
                conditions = {c.type: c.status for c in (pod.status.conditions or [])}
                if pod.status.phase == "Running" and conditions.get("Ready") == "True":
                    pods_ready += 1
                for cs in pod.status.container_statuses or []:
                    worst = max(worst, cs.restart_count or 0)
                    if (cs.restart_count or 0) > max_restarts:
                        problems.append(f"{pod.metadata.name}/{cs.name} restarted {cs.restart_count} times")
        measured = {"pods_ready": f"{pods_ready}/{pods_total}", "deployments": summary, "max_restarts": worst}
        where = f"{getattr(kube, 'server', 'kubernetes')} namespace {namespace}"
        if pods_ready != pods_total:
            problems.append(f"{pods_total - pods_ready} pod(s) not Running and Ready")
        if problems:
            return failed(measured, threshold, "; ".join(problems), where)
        return passed(
            measured, threshold, f"{pods_ready}/{pods_total} pods Running and Ready; {', '.join(summary)}", where
        )

    # integrations --------------------------------------------------------------------------------
    def check_email(self) -> Outcome:
        cfg = self.p.get("smtp") or {}
        host = cfg.get("host")
        if not host:
            return skipped("no SMTP relay configured")
        port = int(cfg.get("port") or 587)
        server_name = cfg.get("server_name") or host
        where = f"{server_name}:{port}"
        threshold = "STARTTLS, AUTH accepted, message queued (250)"
        if cfg.get("password"):
            self.secrets.add(cfg["password"])
        try:
            with _SMTP(self.lookup(host) or host, timeout=self.timeout) as smtp:
                smtp.connect(server_name, port)
                smtp.ehlo("smoke.smeplatform.invalid")
                if cfg.get("starttls", True):
                    smtp.starttls(context=tls_context(self.ca_bundle))
                    smtp.ehlo("smoke.smeplatform.invalid")
                if cfg.get("username"):
                    smtp.login(cfg["username"], cfg.get("password") or "")
                if self.check_mode:
                    return skipped(
                        "check mode: relay accepted the credentials, no message sent", "AUTH 235", threshold, where
                    )
                msg = EmailMessage()
                msg["From"] = cfg.get("sender") or "smoke@smeplatform.invalid"
                msg["To"] = cfg.get("recipient") or msg["From"]
                msg["Subject"] = f"SME Platform smoke test {self.run_id}"
                msg["Date"] = formatdate(localtime=False)
                msg["Message-ID"] = make_msgid("smoke-" + self.run_id)
                msg.set_content(f"Deployment smoke test {self.run_id}: the platform can send e-mail.\n")
                code, _ = smtp.mail(msg["From"])
                if code != 250:
                    return failed(code, threshold, f"MAIL FROM refused: {code}", where)
                code, _ = smtp.rcpt(msg["To"])
                if code not in (250, 251):
                    return failed(code, threshold, f"RCPT TO refused: {code}", where)
                code, reply = smtp.data(msg.as_bytes())
        except smtplib.SMTPAuthenticationError as exc:
            return failed(
                exc.smtp_code, threshold, f"{where} refused the credentials: {exc.smtp_code}", where, final=True
            )
        except smtplib.SMTPNotSupportedError as exc:
            return failed("no STARTTLS", threshold, f"{where}: {exc}", where, final=True)
        except ssl.SSLCertVerificationError as exc:
            return failed(
                "TLS", threshold, f"{where}: certificate not trusted: {exc.verify_message}", where, final=True
            )
        except (smtplib.SMTPException, OSError) as exc:
            return failed(None, threshold, f"{where}: {exc}", where)
        text = reply.decode("utf-8", "replace")
        if code != 250:
            return failed(f"{code} {text}", threshold, f"message refused: {code} {text}", where)
        return passed(f"{code} {text}", threshold, f"message {msg['Message-ID']} accepted: {code} {text}", where)

    def _api_probe(self, url: str, auth: str, ok: Callable[[Response], str | None]) -> tuple[Response, str | None]:
        with self.session() as s:
            # Third-party APIs: the platform's client marker headers are not theirs to see.
            s.headers = {}
            r = s.request("GET", url, headers={"Authorization": auth})
        return r, ok(r)

    def check_sms(self) -> Outcome:
        cfg = self.p.get("twilio") or {}
        sid, token = cfg.get("account_sid"), cfg.get("auth_token")
        if not (sid and token):
            return skipped("no Twilio credentials configured")
        self.secrets.update({sid, token})
        base = cfg.get("url") or "https://api.twilio.com"
        url = join_url(base, f"/2010-04-01/Accounts/{sid}.json")
        where = join_url(base, "/2010-04-01/Accounts/{sid}.json")

        def status(r: Response) -> str | None:
            try:
                return r.json().get("status")
            except (ValueError, AttributeError):
                return None

        r, state = self._api_probe(url, basic_auth(sid, token), status)
        threshold = "200, account active"
        if r.status in (401, 403):
            return failed(
                r.status, threshold, f"Twilio refused the credentials: {r.status} {_twilio_error(r)}", where, final=True
            )
        if r.status != 200 or state != "active":
            return failed(
                f"{r.status} {state}", threshold, f"Twilio account answered {r.status}, status {state}", where
            )
        return passed(f"{r.status} {state}", threshold, "Twilio accepted the live credentials; account active", where)

    def check_payment(self) -> Outcome:
        cfg = self.p.get("razorpay") or {}
        key_id, secret = cfg.get("key_id"), cfg.get("key_secret")
        if not (key_id and secret):
            return skipped("no Razorpay credentials configured")
        self.secrets.add(secret)
        url = join_url(cfg.get("url") or "https://api.razorpay.com", "/v1/payments?count=1")
        threshold = "200 (live key accepted)"
        mode = "live" if key_id.startswith("rzp_live_") else "test" if key_id.startswith("rzp_test_") else "unknown"
        r, entity = self._api_probe(url, basic_auth(key_id, secret), lambda r: _json_field(r, "entity"))
        if r.status in (400, 401, 403):
            return failed(r.status, threshold, f"Razorpay refused the {mode} key: {r.status}", url, final=True)
        if r.status != 200:
            return failed(r.status, threshold, f"Razorpay answered {r.status}", url)
        if cfg.get("require_live", True) and mode != "live":
            return failed(f"200 {mode} key", threshold, f"the key is a {mode} key, not a live one", url, final=True)
        return passed(f"200 {entity}", threshold, f"Razorpay accepted the {mode} key", url)

    # metrics -------------------------------------------------------------------------------------
    def _prom(self) -> tuple[dict[str, Any], Prometheus | None]:
        cfg = self.p.get("prometheus") or {}
        if not cfg.get("url"):
            return cfg, None
        if cfg.get("bearer_token"):
            self.secrets.add(cfg["bearer_token"])
        session = self.session()
        session.headers = {}
        return cfg, Prometheus(cfg["url"], session, cfg.get("bearer_token") or None)

    def _promql(
        self,
        query_key: str,
        default_query: str,
        judge: Callable[[QueryResult, dict[str, Any], Prometheus], Outcome],
    ) -> Outcome:
        cfg, prom = self._prom()
        if prom is None:
            return skipped("no Prometheus URL configured")
        query = self._since_rollout(cfg.get(query_key) or default_query, cfg)
        try:
            outcome = judge(prom.query(query), cfg, prom)
        finally:
            prom.session.close()
        outcome.where = f"{cfg['url']} {query}"
        return outcome

    def _since_rollout(self, query: str, cfg: dict[str, Any]) -> str:
        """``query`` with its windows cut to the time since the newest rollout of the checked Deployments.

        With ``min_window`` set, the first metric check waits until the release has served that long, so the
        window always holds at least that much of the release now running (and a few scrapes).
        """
        min_window = float(cfg.get("min_window") or 0)
        if min_window <= 0:
            return query
        with self._rollout_lock:
            if self._served is None:
                served = self._rollout_age()
                if served is not None and served < min_window:
                    time.sleep(min_window - served)
                    served = min_window
                self._served = served if served is not None else float("inf")
        return narrow_ranges(query, self._served)

    def _rollout_age(self) -> float | None:
        """Seconds since the checked Deployments last progressed (a rollout), None when unknown."""
        cfg = self.p.get("kubernetes") or {}
        names = list(cfg.get("deployments") or [])
        if self.kube_factory is None or not names:
            return None
        namespace = cfg.get("namespace") or "sme-platform"
        kube = self.kube_factory()
        moments = []
        for name in names:
            dep = kube.get_or_none(
                f"Deployment {namespace}/{name}", kube.apps.read_namespaced_deployment, name, namespace
            )
            for condition in (dep.status.conditions or []) if dep is not None and dep.status else []:
                if condition.type == "Progressing" and condition.last_update_time is not None:
                    moments.append(condition.last_update_time.timestamp())
        return time.time() - max(moments) if moments else None

    def check_error_rate(self) -> Outcome:
        def judge(ratio: QueryResult, cfg: dict[str, Any], prom: Prometheus) -> Outcome:
            traffic = None
            if ratio.no_data:
                # An empty ratio is either "no traffic" or "no 5xx series yet"; the traffic query tells which.
                traffic = prom.query(self._since_rollout(cfg.get("traffic_query") or TRAFFIC_QUERY, cfg))
            return error_rate_outcome(
                ratio, traffic, float(cfg.get("error_rate_max", 0.01)), cfg.get("no_data") or "fail"
            )

        return self._promql("error_rate_query", ERROR_RATE_QUERY, judge)

    def check_latency(self) -> Outcome:
        return self._promql(
            "latency_query",
            LATENCY_P95_QUERY,
            lambda r, c, _p: promql_outcome(
                r, float(c.get("latency_max", 0.2)), c.get("no_data") or "fail", " ms", scale=1000
            ),
        )

    def check_alerts(self) -> Outcome:
        return self._promql("alerts_query", CRITICAL_ALERTS_QUERY, lambda r, _c, _p: alerts_outcome(r))

    def check_errors_10m(self) -> Outcome:
        def judge(result: QueryResult, cfg: dict[str, Any], _prom: Prometheus) -> Outcome:
            # No 5xx series at all means no 5xx answer was ever counted: zero errors, not "no data".
            if result.no_data:
                maximum = float(cfg.get("errors_max", 0))
                return passed(0, f"<= {maximum:g}", "no 5xx answer counted in the last 10 minutes")
            result.samples = [type(s)(s.labels, round(s.value)) for s in result.samples]
            return promql_outcome(result, float(cfg.get("errors_max", 0)), "fail", " 5xx", inclusive=True)

        return self._promql("errors_query", ERRORS_10M_QUERY, judge)

    # running -------------------------------------------------------------------------------------
    def run(
        self, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> dict[str, Any]:
        policy = RetryPolicy(
            settle=float(self.p.get("settle", 20.0)),
            backoff=float(self.p.get("backoff", 0.5)),
            backoff_max=float(self.p.get("backoff_max", 4.0)),
        )
        started = clock()
        results = run_checks(
            self.checks(), policy, float(self.p.get("budget", 60.0)), int(self.p.get("workers") or 16), clock, sleep
        )
        return self.summarise(results, round(clock() - started, 3))

    def summarise(self, results: list[CheckResult], duration: float) -> dict[str, Any]:
        evidence = []
        for r in results:
            for item_id in self.ids_for(r.group):
                evidence.append(
                    entry(
                        item_id,
                        r.status,
                        measured=r.measured,
                        threshold=r.threshold,
                        detail=f"{r.name}: {r.detail}",
                        where=r.where,
                        duration=r.duration,
                    )
                )
        failed_checks = [r.name for r in results if r.status == FAILED]
        counts = {s: sum(1 for r in results if r.status == s) for s in (PASSED, FAILED, SKIPPED)}
        return {
            "passed": not failed_checks,
            "failed_checks": failed_checks,
            "checks": [r.as_dict() for r in results],
            "summary": counts,
            "evidence": evidence,
            "purpose": self.purpose,
            "run_id": self.run_id,
            "duration": duration,
        }


ERROR_RATE_QUERY = 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
LATENCY_P95_QUERY = "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))"
CRITICAL_ALERTS_QUERY = 'ALERTS{alertstate="firing",severity="critical"}'
TRAFFIC_QUERY = "sum(rate(http_requests_total[5m]))"
ERRORS_10M_QUERY = 'sum(increase(http_requests_total{status=~"5.."}[10m]))'


# --- small helpers -----------------------------------------------------------------------------------

_RANGE = re.compile(r"\[(\d+(?:\.\d+)?)([smhd])\]")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def narrow_ranges(query: str, seconds: float) -> str:
    """Shorten every range selector of ``query`` to at most ``seconds``.

    After a rollout, the metrics that judge the release must cover only the time it has served: a 5-minute
    window would still hold the errors of the release it replaced.
    """

    def shorten(match: re.Match[str]) -> str:
        original = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        return match.group(0) if original <= seconds else f"[{math.ceil(seconds)}s]"

    return _RANGE.sub(shorten, query)


class _SMTP(smtplib.SMTP):
    """SMTP to a given address while STARTTLS verifies the relay's own name."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        self._address = address
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self._host = host  # STARTTLS sends this name (SNI) and checks the certificate against it
        return socket.create_connection((self._address or host, port), timeout, self.source_address)


def _bind(fn: Callable[..., Outcome], *args: Any) -> Callable[[], Outcome]:
    return lambda: fn(*args)


def _host_port(name: str, default_port: int) -> tuple[str, int]:
    if name.count(":") == 1:
        host, _, port = name.partition(":")
        try:
            return host, int(port)
        except ValueError as exc:
            raise ConfigurationError(f"bad TLS target {name!r}: port is not a number") from exc
    return name, default_port


def _json_field(r: Response, key: str) -> Any:
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get(key) if isinstance(body, dict) else None


def _twilio_error(r: Response) -> str:
    code = _json_field(r, "code")
    return f"(code {code})" if code else ""
