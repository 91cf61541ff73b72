# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PostgreSQL reviews after a deployment, from pg_stat_statements and the statistics views: post.day1.4 (query
performance), post.month1.4 (optimisation: slow statements, large tables read by sequential scans) and post.month1.1
(what a restore starts from: WAL archived recently without failures since, a streaming replica)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds, human_duration

if TYPE_CHECKING:
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.period import Clients


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


def _database(p: Mapping[str, Any], clients: Clients, check: str) -> tuple[Mapping[str, Any], str]:
    """The database options of a check that reads the database, and where it reads; refused when not configured."""
    db = p["database"]
    if clients.database is None:
        raise ConfigurationError(f"post_deploy_check: the {check} check needs database.host, dbname and user")
    return db, f"{db['user']}@{db['host']}:{db['port']}/{db['dbname']}"


def database(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.day1.4: statement times (mean, p95 of the statements' means, slow statements) and index hit ratio."""
    db, where = _database(p, clients, "database")
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
    db, where = _database(p, clients, "optimisation")
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
    db, where = _database(p, clients, "restorable")
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
