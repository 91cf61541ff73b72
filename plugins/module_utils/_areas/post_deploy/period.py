# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The day, week and month reviews after a deployment (checklist post.day1.4, post.day1.5, post.week1.1,
post.week1.2, post.week1.5, post.month1.1, post.month1.3, post.month1.4), each measured over a period that ends now:
Prometheus range queries, Alertmanager's alerts, the HorizontalPodAutoscalers and their events,
pg_stat_statements and the statistics views of PostgreSQL, and the certificates the platform serves.

No check passes on missing data: a series that covers less than ``min_coverage`` of the period, an empty
pg_stat_statements, an HPA that cannot read its metrics, all fail (or, where an option says so, are skipped with
the reason)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.watch import iso
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Series
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds, human_duration

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


# --- Kubernetes: autoscaling ---------------------------------------------------------------------------------


def autoscaling(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.week1.5: every HPA of the namespace able to scale and reading its metrics; its rescales counted."""
    namespace = p["namespace"]
    if clients.kube is None or not namespace:
        raise ConfigurationError("post_deploy_check: the autoscaling check needs namespace")
    kube = clients.kube()
    where = f"{kube.server} namespace {namespace}"
    hpas = k8s.items(
        kube, f"HorizontalPodAutoscalers of {namespace}", "autoscaling/v2", "horizontalpodautoscalers", namespace
    )
    if not hpas:
        return [entry("post.week1.5", "failed", measured=0, threshold=">= 1 HorizontalPodAutoscaler",
                      detail=f"no HorizontalPodAutoscaler in {namespace}: nothing scales", where=where)]  # fmt: skip
    events = k8s.items(kube, f"Events of {namespace}", "v1", "events", namespace)
    since = now - p["period"]
    rescales: dict[str, int] = {}
    for event in events:
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != "HorizontalPodAutoscaler" or event.get("reason") != "SuccessfulRescale":
            continue
        stamp = (
            event.get("lastTimestamp")
            or event.get("eventTime")
            or (event.get("metadata") or {}).get("creationTimestamp")
        )
        age = age_seconds(_parse_time(stamp)) if stamp else None
        if age is not None and now - age >= since:
            rescales[involved.get("name", "?")] = rescales.get(involved.get("name", "?"), 0) + int(
                event.get("count") or 1
            )
    found = []
    for hpa in hpas:
        name = hpa["metadata"]["name"]
        spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
        conditions = {c.get("type"): c for c in status.get("conditions") or []}
        able = (conditions.get("AbleToScale") or {}).get("status") == "True"
        active = conditions.get("ScalingActive") or {}
        measured = {
            "current": status.get("currentReplicas"),
            "desired": status.get("desiredReplicas"),
            "min": spec.get("minReplicas", 1),
            "max": spec.get("maxReplicas"),
            "AbleToScale": (conditions.get("AbleToScale") or {}).get("status"),
            "ScalingActive": active.get("status"),
            "rescales_in_period": rescales.get(name, 0),
        }
        threshold = "AbleToScale and ScalingActive True (its metrics read), replicas within min..max"
        if active.get("status") != "True":
            why = f"HPA {name}: ScalingActive {active.get('status')} ({active.get('reason')}: {active.get('message')})"
            if active.get("reason", "").startswith("FailedGet") and p["autoscaling_without_metrics"] == "skip":
                found.append(entry("post.week1.5", "skipped", measured=measured, threshold=threshold,
                                   detail=f"{why}; the cluster serves no metrics to scale on "
                                   "(autoscaling_without_metrics=skip)", where=where))  # fmt: skip
            else:
                found.append(
                    entry("post.week1.5", "failed", measured=measured, threshold=threshold, detail=why, where=where)
                )
            continue
        current = status.get("currentReplicas") or 0
        within = measured["min"] <= current <= (measured["max"] or current)
        found.append(
            passed_if(
                "post.week1.5",
                able and within,
                measured=measured,
                threshold=threshold,
                detail=f"HPA {name}: {current} replicas ({measured['min']}..{measured['max']}), "
                f"{measured['rescales_in_period']} rescale(s) in the last {human_duration(p['period'])}",
                where=where,
            )  # fmt: skip
        )
    return found


def _parse_time(stamp: str) -> Any:
    return datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))


# --- PostgreSQL ----------------------------------------------------------------------------------------------

STATEMENTS_SQL = """
SELECT count(*) AS statements,
       coalesce(sum(calls), 0) AS calls,
       sum(total_exec_time) / nullif(sum(calls), 0) AS mean_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY mean_exec_time) AS p95_ms,
       count(*) FILTER (WHERE mean_exec_time > %s) AS slow
  FROM pg_stat_statements
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls > 0
"""
SLOWEST_SQL = """
SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query, calls, round(mean_exec_time::numeric, 3) AS mean_ms,
       round(total_exec_time::numeric, 3) AS total_ms
  FROM pg_stat_statements
 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND calls > 0
 ORDER BY total_exec_time DESC LIMIT 5
"""
INDEX_HIT_SQL = """
SELECT sum(idx_blks_hit) AS hit, sum(idx_blks_read) AS read FROM pg_statio_all_indexes
"""


def _rows(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql, params or None)
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _statements_loaded(conn: Any) -> str:
    """Why pg_stat_statements cannot be read; empty when it can."""
    row = _rows(
        conn,
        "SELECT current_setting('shared_preload_libraries') AS preload, "
        "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed",
    )[0]
    if "pg_stat_statements" not in row["preload"]:
        return "pg_stat_statements is not in shared_preload_libraries (add it and restart PostgreSQL)"
    if not row["installed"]:
        return "the extension pg_stat_statements is not created in this database (CREATE EXTENSION pg_stat_statements)"
    return ""


def database(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.day1.4: statement times (mean, p95 of the statements' means, slow statements) and index hit ratio."""
    db = p["database"]
    if clients.database is None:
        raise ConfigurationError("post_deploy_check: the database check needs database.host, dbname and user")
    where = f"{db['user']}@{db['host']}:{db['port']}/{db['dbname']}"
    threshold = (
        f"mean < {db['mean_max_ms']:g} ms, p95 of statement means < {db['p95_max_ms']:g} ms, "
        f"<= {db['slow_max']} statements slower than {db['slow_ms']:g} ms on average, "
        f"index hit ratio >= {db['index_hit_ratio_min']:g}"
    )
    with clients.database() as conn:
        missing = _statements_loaded(conn)
        if missing:
            return [
                entry("post.day1.4", "failed", measured="no data", threshold=threshold, detail=missing, where=where)
            ]
        stats = _rows(conn, STATEMENTS_SQL, (db["slow_ms"],))[0]
        slowest = _rows(conn, SLOWEST_SQL)
        index = _rows(conn, INDEX_HIT_SQL)[0]
    hit, read = float(index["hit"] or 0), float(index["read"] or 0)
    ratio = hit / (hit + read) if hit + read else None
    measured = {
        "statements": int(stats["statements"]),
        "calls": int(stats["calls"]),
        "mean_ms": None if stats["mean_ms"] is None else round(float(stats["mean_ms"]), 3),
        "p95_ms": None if stats["p95_ms"] is None else round(float(stats["p95_ms"]), 3),
        "slow": int(stats["slow"] or 0),
        "index_hit_ratio": None if ratio is None else round(ratio, 4),
        "slowest": [{k: (float(v) if k != "query" else v) for k, v in row.items()} for row in slowest],
    }
    if not measured["calls"] or ratio is None:
        what = "no statement recorded by pg_stat_statements" if not measured["calls"] else "no index block read or hit"
        return [
            entry(
                "post.day1.4",
                "failed",
                measured=measured,
                threshold=threshold,
                detail=f"{what}: nothing to judge",
                where=where,
            )
        ]
    problems = []
    if measured["mean_ms"] >= db["mean_max_ms"]:
        problems.append(f"mean {measured['mean_ms']:g} ms")
    if measured["p95_ms"] >= db["p95_max_ms"]:
        problems.append(f"p95 {measured['p95_ms']:g} ms")
    if measured["slow"] > db["slow_max"]:
        problems.append(f"{measured['slow']} slow statement(s)")
    if ratio < db["index_hit_ratio_min"]:
        problems.append(f"index hit ratio {ratio:.4f}")
    detail = (
        f"{measured['statements']} statements, {measured['calls']} calls: mean {measured['mean_ms']:g} ms, p95 "
        f"{measured['p95_ms']:g} ms, {measured['slow']} slow, index hit ratio {ratio:.4f}"
    )
    if problems:
        detail += "; out of bounds: " + ", ".join(problems)
    return [passed_if("post.day1.4", not problems, measured=measured, threshold=threshold, detail=detail, where=where)]


def optimisation(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.month1.4: what to optimise, from the month's statistics: statements slower than slow_ms and tables
    read mostly by sequential scans; passes when there is nothing left to optimise."""
    db = p["database"]
    if clients.database is None:
        raise ConfigurationError("post_deploy_check: the optimisation check needs database.host, dbname and user")
    where = f"{db['user']}@{db['host']}:{db['port']}/{db['dbname']}"
    threshold = (
        f"no statement slower than {db['slow_ms']:g} ms on average, "
        "no table of >= 10000 rows read mostly by sequential scans"
    )
    with clients.database() as conn:
        missing = _statements_loaded(conn)
        if missing:
            return [
                entry("post.month1.4", "failed", measured="no data", threshold=threshold, detail=missing, where=where)
            ]
        slow = _rows(
            conn,
            "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 120) AS query, calls, "
            "round(mean_exec_time::numeric, 3)::float AS mean_ms FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND mean_exec_time > %s "
            "ORDER BY mean_exec_time DESC LIMIT 10",
            (db["slow_ms"],),
        )
        calls = _rows(
            conn,
            "SELECT coalesce(sum(calls), 0)::bigint AS n FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )[0]["n"]
        scans = _rows(
            conn,
            "SELECT relname AS table, seq_scan, coalesce(idx_scan, 0) AS idx_scan, n_live_tup AS rows "
            "FROM pg_stat_user_tables WHERE n_live_tup >= 10000 AND seq_scan > coalesce(idx_scan, 0) "
            "ORDER BY seq_scan DESC LIMIT 10",
        )
    measured = {"calls": int(calls), "slow_statements": slow, "sequential_tables": scans}
    if not calls:
        return [entry("post.month1.4", "failed", measured=measured, threshold=threshold,
                      detail="no statement recorded by pg_stat_statements: nothing to judge", where=where)]  # fmt: skip
    detail = (
        f"{len(slow)} statement(s) slower than {db['slow_ms']:g} ms, {len(scans)} large table(s) read mostly by "
        f"sequential scans, over {int(calls)} calls"
    )
    return [
        passed_if(
            "post.month1.4", not slow and not scans, measured=measured, threshold=threshold, detail=detail, where=where
        )
    ]


def restorable(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.month1.1: what a disaster-recovery drill restores from is there and fresh: WAL archived recently and
    without failures since, and a streaming replica to fail over to."""
    db = p["database"]
    if clients.database is None:
        raise ConfigurationError("post_deploy_check: the restorable check needs database.host, dbname and user")
    where = f"{db['user']}@{db['host']}:{db['port']}/{db['dbname']}"
    with clients.database() as conn:
        archiver = _rows(
            conn,
            "SELECT archived_count, last_archived_wal, last_archived_time, failed_count, last_failed_time, "
            "current_setting('archive_mode') AS mode FROM pg_stat_archiver",
        )[0]
        replicas = _rows(
            conn, "SELECT application_name, state, replay_lag FROM pg_stat_replication WHERE state = 'streaming'"
        )
    archive_age = age_seconds(archiver["last_archived_time"])
    failed_after = archiver["last_failed_time"] is not None and (
        archiver["last_archived_time"] is None or archiver["last_failed_time"] > archiver["last_archived_time"]
    )
    measured = {
        "archive_mode": archiver["mode"],
        "last_archived_wal": archiver["last_archived_wal"],
        "last_archived_age": None if archive_age is None else human_duration(archive_age),
        "archive_failing": failed_after,
        "streaming_replicas": [r["application_name"] for r in replicas],
    }
    threshold = (
        f"WAL archived within {human_duration(db['max_archive_age'])} and not failing since, "
        f">= {db['min_replicas']} streaming replica(s)"
    )
    ok = (
        archiver["mode"] in ("on", "always")
        and archive_age is not None
        and archive_age <= db["max_archive_age"]
        and not failed_after
        and len(replicas) >= db["min_replicas"]
    )
    detail = (
        f"archive_mode {archiver['mode']}, last WAL {archiver['last_archived_wal'] or 'never'} archived "
        f"{measured['last_archived_age'] or 'never'} ago{', failing since' if failed_after else ''}; "
        f"{len(replicas)} streaming replica(s). This proves the inputs of the drill; the timed restore itself is "
        "the DR drill owner's"
    )
    return [passed_if("post.month1.1", ok, measured=measured, threshold=threshold, detail=detail, where=where)]


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
