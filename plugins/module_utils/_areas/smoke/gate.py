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

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.ids import (
    CHECKS,
    EVIDENCE_IDS,
    PURPOSES,
    ROLLBACK_CHECKS,
    ROLLBACK_IDS,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.integrations import IntegrationProbes
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.metrics import MetricProbes
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.options import smoke_check_spec
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
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import settings
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

# --- the checks against the platform ------------------------------------------------------------------


class Smoke(PlatformProbes, WebProbes, IntegrationProbes, MetricProbes):
    """Builds the checks from the module's parameters and runs them."""

    def __init__(self, params: dict[str, Any], check_mode: bool = False, kube_factory: Callable[[], Any] | None = None):
        params = settings(smoke_check_spec(), params)
        self.p = params
        self.check_mode = check_mode
        self.purpose = params["purpose"]
        if self.purpose not in PURPOSES:
            raise ConfigurationError(f"purpose must be one of {', '.join(PURPOSES)}, got {self.purpose!r}")
        self.api_url = params["api_url"].rstrip("/")
        split_url(self.api_url)
        self.frontend_url = (params["frontend_url"] or "").rstrip("/")
        if self.frontend_url:
            split_url(self.frontend_url)
        self.ca_bundle = params["ca_bundle"] or None
        tls_context(self.ca_bundle)  # an unreadable bundle fails now, not in every check
        self.timeout = float(params["timeout"])
        self.headers = dict(params.get("headers") or {})
        self.resolver = params["resolver"]
        self.lookup = dnsutil.AddressResolver(self.resolver, params["resolve"], timeout=self.timeout)
        self.kube_factory = kube_factory
        self._rollout_lock = threading.Lock()
        self._served: float | None = None
        self.run_id = uuid.uuid4().hex[:12]
        self.secrets: set[str] = set()
        self.token = Handoff()
        self.selected = self._select()

    # selection -----------------------------------------------------------------------------------
    def _select(self) -> list[str]:
        wanted = list(self.p["checks"] or (ROLLBACK_CHECKS if self.purpose == "rollback" else CHECKS))
        unknown = sorted((set(wanted) | set(self.p["skip_checks"])) - set(CHECKS))
        if unknown:
            raise ConfigurationError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}")
        skip = set(self.p["skip_checks"])
        chosen = [c for c in CHECKS if c in wanted and c not in skip]
        login = self.p["login"]
        needs_login = {"login", "jwt_lifetime", "invoice"} & set(chosen)
        if needs_login and not (login["email"] and login["password"]):
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
            settle=float(self.p["settle"]),
            backoff=float(self.p["backoff"]),
            backoff_max=float(self.p["backoff_max"]),
        )
        started = clock()
        results = run_probes(self.checks(), policy, float(self.p["budget"]), int(self.p["workers"]), clock, sleep)
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
        # The gate's one decision, in words the role shows (and fails with) as they stand.
        if failed_checks:
            msg = (
                f"Smoke gate ({self.purpose}) failed: {len(failed_checks)} check(s) failed: {', '.join(failed_checks)}."
                + "".join(f" [{r.name}] {r.detail}." for r in results if r.status == FAILED)
            )
        else:
            msg = (
                f"Smoke gate ({self.purpose}) passed: {counts[PASSED]} passed, {counts[FAILED]} failed, "
                f"{counts[SKIPPED]} skipped in {duration} s."
            )
        return {
            "msg": msg,
            "passed": not failed_checks,
            "failed_checks": failed_checks,
            "checks": [r.as_dict() for r in results],
            "summary": counts,
            "evidence": evidence,
            "purpose": self.purpose,
            "run_id": self.run_id,
            "duration": duration,
        }
