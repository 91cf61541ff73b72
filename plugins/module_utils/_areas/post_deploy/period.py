# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The day, week and month reviews after a deployment (checklist post.day1.4, post.day1.5, post.week1.1,
post.week1.2, post.week1.5, post.month1.1, post.month1.3, post.month1.4), each measured over a period that ends now:
Prometheus range queries, Alertmanager's alerts, the HorizontalPodAutoscalers and their events,
pg_stat_statements and the statistics views of PostgreSQL, and the certificates the platform serves.

No check passes on missing data: a series that covers less than ``min_coverage`` of the period, an empty
pg_stat_statements, an HPA that cannot read its metrics, all fail (or, where an option says so, are skipped with
the reason).

This module holds the run (the clients, the parameters, the checks by name), the Prometheus and Alertmanager
checks and the certificates; PostgreSQL's reviews are in ``period_database``, the autoscalers' in
``period_autoscaling``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.period_autoscaling import (
    autoscaling,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.period_database import (
    database,
    optimisation,
    restorable,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.watch import iso
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Series
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration

# Which items each check proves.
ITEMS = {
    "performance": ("post.week1.1",),
    "errors": ("post.week1.2",),
    "alerts": ("post.day1.5",),
    "database": ("post.day1.4",),
    "autoscaling": ("post.week1.5",),
    "restorable": ("post.month1.1",),
    "certificates": ("post.month1.3",),
    "optimisation": ("post.month1.4",),
}


@dataclass
class Clients:
    """Factories of the clients the checks use (each check opens its own: they run on threads)."""

    range_query: Callable[[str, float, float, float], list[Series]]
    alertmanager: Callable[[str], Any] | None
    kube: Callable[[], Any] | None
    database: Callable[[], Any] | None
    certificate: Callable[[str], Any] | None
    rules: Callable[[], list[dict[str, Any]]] | None = None


def params_of(params: Mapping[str, Any]) -> dict[str, Any]:
    p = settings(options.post_deploy_check()["argument_spec"], params)
    if p["period"] <= 0 or p["points"] < 2 or not 0 < p["min_coverage"] <= 1:
        raise ConfigurationError(
            "post_deploy_check: period must be > 0 seconds, points >= 2 and 0 < min_coverage <= 1; got period "
            f"{p['period']:g}, points {p['points']}, min_coverage {p['min_coverage']:g}"
        )
    return p


# --- Prometheus over the period ------------------------------------------------------------------------------


def _window(p: Mapping[str, Any], now: float) -> tuple[float, float, float]:
    step = p["period"] / (p["points"] - 1)
    return now - p["period"], now, step


def _one_series(found: list[Series], query: str) -> Series | None:
    if len(found) > 1:
        raise ConfigurationError(f"query returned {len(found)} series where one was expected; aggregate it: {query}")
    return found[0] if found else None


def _coverage(series: Series | None, p: Mapping[str, Any]) -> float:
    return 0.0 if series is None else min(1.0, len(series.points) / p["points"])


def series_entry(
    item: str,
    label: str,
    series: Series | None,
    p: Mapping[str, Any],
    maximum: float,
    shown: Callable[[float], str],
    query: str,
    where: str,
) -> dict[str, Any]:
    """A series over the period held below ``maximum`` at every point, covering at least min_coverage of it."""
    threshold = (
        f"< {shown(maximum)} at every point, over {human_duration(p['period'])}, covering >= {p['min_coverage']:.0%}"
    )
    coverage = _coverage(series, p)
    points = [[t, v] for t, v in (series.points if series else [])]
    measured = {"series": points, "coverage": round(coverage, 3)}
    if series is None:
        return entry(
            item, "failed", measured=measured, threshold=threshold, detail=f"{label}: no data for {query}", where=where
        )
    worst_t, worst_v = max(series.points, key=lambda tv: tv[1])
    measured["max"] = worst_v
    if coverage < p["min_coverage"]:
        return entry(
            item,
            "failed",
            measured=measured,
            threshold=threshold,
            detail=f"{label}: Prometheus holds {len(series.points)} of {p['points']} points of the period "
            f"({coverage:.0%}): the period is not measured",
            where=where,
        )
    return passed_if(
        item,
        worst_v < maximum,
        measured=measured,
        threshold=threshold,
        detail=f"{label}: max {shown(worst_v)} at {iso(worst_t)} over {len(series.points)} points",
        where=where,
    )


def performance(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.week1.1: p95 latency over the period."""
    start, end, step = _window(p, now)
    query = p["queries"]["latency_p95"]
    series = _one_series(clients.range_query(query, start, end, step), query)
    return [
        series_entry(
            "post.week1.1", "p95 latency", series, p, p["latency_p95_max"], lambda v: f"{v * 1000:.4g} ms", query,
            f"{p['prometheus_url']} {query}",
        )
    ]  # fmt: skip


def errors(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.week1.2: the error rate over the period; a step without 5xx series but with traffic is 0 %."""
    start, end, step = _window(p, now)
    q = p["queries"]
    ratio = _one_series(clients.range_query(q["error_rate"], start, end, step), q["error_rate"])
    traffic = _one_series(clients.range_query(q["traffic"], start, end, step), q["traffic"])
    values = dict(ratio.points) if ratio else {}
    if traffic is not None:
        # an empty ratio at a step with traffic: no 5xx series existed then, which is 0 %
        merged = [(t, values.get(t, 0.0)) for t, v in traffic.points if v > 0 or t in values]
        ratio = Series({}, merged) if merged else ratio
    return [
        series_entry(
            "post.week1.2", "error rate (5xx share)", ratio, p, p["error_rate_max"], lambda v: f"{v * 100:.3g} %",
            q["error_rate"], f"{p['prometheus_url']} {q['error_rate']}",
        )
    ]  # fmt: skip


def alerts(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.day1.5: every alert of the period reviewed: none firing now in Alertmanager (of the severities that
    page), the rules evaluating (so that no alert means nothing went wrong), and the alerts that fired in the
    period listed."""
    if clients.alertmanager is None:
        return [entry("post.day1.5", "failed", detail="no Alertmanager URL configured (alertmanager_url)")]
    active = clients.alertmanager("/api/v2/alerts?active=true&silenced=false&inhibited=false")
    if not isinstance(active, list):
        return [entry("post.day1.5", "failed", detail=f"Alertmanager answered {type(active).__name__}, not a list")]
    severities = set(p["alert_severities"])
    firing = sorted(
        {
            (a.get("labels") or {}).get("alertname", "?")
            for a in active
            if (a.get("labels") or {}).get("severity") in severities
            and (a.get("status") or {}).get("state") == "active"
        }
    )
    rules = clients.rules() if clients.rules else []
    broken = sorted(r.get("name", "?") for r in rules if r.get("health") not in ("ok", None))
    start, end, step = _window(p, now)
    query = p["queries"]["alerts_history"]
    history = clients.range_query(query, start, end, step)
    fired = sorted({s.labels.get("alertname", "?") for s in history})
    per_step: dict[float, float] = {}
    for one in history:
        for t, v in one.points:
            per_step[t] = per_step.get(t, 0.0) + v
    measured = {
        "firing_now": firing,
        "fired_in_period": fired,
        "rules": len(rules),
        "rules_not_ok": broken,
        "series": [[t, v] for t, v in sorted(per_step.items())],
    }
    if not rules:
        return [
            entry(
                "post.day1.5", "failed", measured=measured, threshold="rules evaluating, none of "
                f"{', '.join(sorted(severities))} firing", detail="Prometheus has no alerting rule loaded: no alert "
                "could have fired, so their absence proves nothing", where=p["alertmanager_url"],
            )
        ]  # fmt: skip
    ok = not firing and not broken
    detail = (
        f"firing now: {', '.join(firing) or 'none'}; rules not evaluating: {', '.join(broken) or 'none'}; "
        f"{len(rules)} rules evaluating; fired in the last {human_duration(p['period'])}: {', '.join(fired) or 'none'}"
    )
    return [
        passed_if(
            "post.day1.5", ok, measured=measured,
            threshold=f"no {'/'.join(sorted(severities))} alert active and unsilenced, every rule evaluating",
            detail=detail, where=p["alertmanager_url"],
        )
    ]  # fmt: skip


# --- certificates --------------------------------------------------------------------------------------------


def certificates(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.month1.3 (certificates): every served certificate valid for at least certificate_min_days more."""
    if not p["certificates"] or clients.certificate is None:
        raise ConfigurationError("post_deploy_check: the certificates check needs certificates (host or host:port)")
    found = []
    threshold = f"chain valid, name matches, >= {p['certificate_min_days']:g} days left"
    for name in p["certificates"]:
        cert = clients.certificate(name)
        ok = cert.chain_valid and cert.hostname_matches and cert.days_left >= p["certificate_min_days"]
        found.append(
            passed_if(
                "post.month1.3",
                ok,
                measured={"days_left": round(cert.days_left, 1), "not_after": cert.not_after},
                threshold=threshold,
                detail=f"certificate of {name}: {cert.days_left:.0f} days left (until {cert.not_after})"
                + (f"; {cert.verify_error}" if cert.verify_error else "")
                + ("" if cert.hostname_matches else "; name does not match"),
                where=f"{cert.host}:{cert.port}",
            )
        )
    return found


CHECKS: dict[str, Callable[[Mapping[str, Any], Clients, float], Entries]] = {
    "performance": performance,
    "errors": errors,
    "alerts": alerts,
    "database": database,
    "autoscaling": autoscaling,
    "restorable": restorable,
    "certificates": certificates,
    "optimisation": optimisation,
}


def check_period(params: Mapping[str, Any], clients: Clients, now: float | None = None) -> Entries:
    """Run the named checks concurrently over the period that ends ``now``."""
    p = params_of(params)
    moment = time.time() if now is None else now
    return run_checks(
        [Check(ITEMS[name], (lambda fn=CHECKS[name]: fn(p, clients, moment)), name) for name in p["checks"]]
    )
