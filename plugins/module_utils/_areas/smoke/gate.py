# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate: many HTTP, TLS, DNS, Kubernetes, SMTP and PromQL probes run concurrently.

Each probe is a method (of the platform, web, integration and metric probe classes) that returns an
:class:`Outcome`. The one runner (``_core.runner.run_probes``) runs them on a thread pool, retries a failed one
with exponential backoff while its settling window lasts, stops everything at the overall budget, and returns one
result per probe. :class:`Smoke` picks the probes from the module's parameters and turns the results into
evidence entries for the checklist items each probe proves; the gate passes when no probe failed.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.integrations import IntegrationProbes
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.metrics import MetricProbes
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.platform import PlatformProbes
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.web import WebProbes
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import dns as dnsutil
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import (
    HttpSession,
    join_url,
    split_url,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.tls import tls_context
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import (
    FAILED,
    PASSED,
    SKIPPED,
    Handoff,
    Probe,
    ProbeResult,
    RetryPolicy,
    run_probes,
)

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

NO_DATA_CHOICES = ("fail", "pass", "skip")


# --- the checks against the platform ------------------------------------------------------------------


class Smoke(PlatformProbes, WebProbes, IntegrationProbes, MetricProbes):
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
    def checks(self) -> list[Probe]:
        builders: dict[str, Callable[[], list[Probe]]] = {
            "login": lambda: [Probe("login", "login", self.check_login, on_done=self.token.close)],
            "jwt_lifetime": lambda: [Probe("jwt_lifetime", "jwt_lifetime", self.check_jwt, retry=False)],
            "invoice": lambda: [Probe("invoice", "invoice", self.check_invoice)],
            "health": lambda: [Probe("health", "health", self.check_health)],
            "frontend": lambda: [Probe("frontend", "frontend", self.check_frontend)],
            "tls": self._tls_checks,
            "dns": self._dns_checks,
            "csp": lambda: [Probe("csp", "csp", self.check_csp)],
            "security_headers": lambda: [Probe("security_headers", "security_headers", self.check_headers)],
            "cors": lambda: [Probe("cors", "cors", self.check_cors)],
            "rate_limit": lambda: [Probe("rate_limit", "rate_limit", self.check_rate_limit, retry=False)],
            "pods": lambda: [Probe("pods", "pods", self.check_pods)],
            "email": lambda: [Probe("email", "email", self.check_email)],
            "sms": lambda: [Probe("sms", "sms", self.check_sms)],
            "payment": lambda: [Probe("payment", "payment", self.check_payment)],
            "error_rate": lambda: [Probe("error_rate", "error_rate", self.check_error_rate)],
            "latency_p95": lambda: [Probe("latency_p95", "latency_p95", self.check_latency)],
            "critical_alerts": lambda: [Probe("critical_alerts", "critical_alerts", self.check_alerts)],
            "errors_10m": lambda: [Probe("errors_10m", "errors_10m", self.check_errors_10m)],
        }
        # login first: the checks waiting for its token must never hold every worker before it starts.
        order = ["login"] + [g for g in self.selected if g != "login"] if "login" in self.selected else self.selected
        return [c for group in order for c in builders[group]()]

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
        results = run_probes(
            self.checks(), policy, float(self.p.get("budget", 60.0)), int(self.p.get("workers") or 16), clock, sleep
        )
        return self.summarise(results, round(clock() - started, 3))

    def summarise(self, results: list[ProbeResult], duration: float) -> dict[str, Any]:
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
