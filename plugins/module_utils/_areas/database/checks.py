# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL checks (checklist 4.1.1, 4.1.2, 4.1.4, 4.1.6, 4.2.3, 4.2.4) over psycopg 3, and the platform's Redis
(3.2.3, in cache.py) in the same batch: both are logged in to with the settings the platform reads from its Secret."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import app as platform_settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import cache, options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database.endpoint import (
    Endpoint,
    query_rows,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds, human_duration

# Roles whose members can read or write the server's files or run programs: never for the application.
DANGEROUS_ROLES = ("pg_read_server_files", "pg_write_server_files", "pg_execute_server_program")


@dataclass(frozen=True)
class PostgresPolicy:
    """What the database is held to; every value comes from postgres_check's option table."""

    min_version: int
    min_replicas: int
    max_lag_bytes: int
    max_lag_seconds: float
    max_archive_age_seconds: float

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> PostgresPolicy:
        """The policy of postgres_check's parameters (missing ones at the option table's defaults)."""
        p = settings(options.postgres_check()["argument_spec"], params)
        return build(cls, p, max_archive_age_seconds=float(p["max_archive_age"]))


def version_entry(conn: Any, where: str, policy: PostgresPolicy) -> dict[str, Any]:
    row = query_rows(
        conn, "SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS v"
    )[0]
    major = row["num"] // 10000
    return passed_if(
        "4.1.1",
        major >= policy.min_version,
        measured=row["v"],
        threshold=f">= {policy.min_version}",
        detail=f"PostgreSQL server version {row['v']} (major {major})",
        where=where,
    )


def replication_entry(conn: Any, where: str, policy: PostgresPolicy) -> dict[str, Any]:
    threshold = (
        f">= {policy.min_replicas} streaming replica(s), replay lag <= {policy.max_lag_bytes} bytes "
        f"and <= {policy.max_lag_seconds:g}s"
    )
    if query_rows(conn, "SELECT pg_is_in_recovery() AS r")[0]["r"]:
        return entry(
            "4.1.2",
            "failed",
            measured="standby",
            threshold=threshold,
            where=where,
            detail="the configured database host is a standby: point database_host at the primary",
        )
    rows = query_rows(
        conn,
        "SELECT application_name, client_addr::text AS client, state, sync_state,"
        " pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint AS lag_bytes,"
        " extract(epoch FROM replay_lag)::float AS lag_seconds"
        " FROM pg_stat_replication",
    )
    streaming = [r for r in rows if r["state"] == "streaming"]
    unreadable = [r for r in streaming if r["lag_bytes"] is None]
    if unreadable:
        return entry(
            "4.1.2",
            "failed",
            measured=f"{len(streaming)} streaming, lag unreadable",
            threshold=threshold,
            where=where,
            detail="the check user cannot read replication positions: grant it pg_monitor",
        )
    worst_bytes = max((r["lag_bytes"] for r in streaming), default=None)
    worst_seconds = max((r["lag_seconds"] or 0.0 for r in streaming), default=None)
    ok = (
        len(streaming) >= policy.min_replicas
        and worst_bytes is not None
        and worst_bytes <= policy.max_lag_bytes
        and (worst_seconds or 0.0) <= policy.max_lag_seconds
    )
    names = ", ".join(f"{r['application_name'] or r['client']} ({r['sync_state']})" for r in streaming) or "none"
    return passed_if(
        "4.1.2",
        ok,
        measured={"streaming": len(streaming), "max_lag_bytes": worst_bytes, "max_lag_seconds": worst_seconds},
        threshold=threshold,
        detail=f"streaming replicas: {names}; {len(rows) - len(streaming)} other WAL sender(s)",
        where=where,
    )


def archiving_entry(conn: Any, where: str, policy: PostgresPolicy) -> dict[str, Any]:
    settings = {
        r["name"]: r["setting"]
        for r in query_rows(
            conn,
            "SELECT name, setting FROM pg_settings"
            " WHERE name IN ('archive_mode', 'archive_command', 'archive_library', 'wal_level', 'archive_timeout')",
        )
    }
    stats = query_rows(
        conn,
        "SELECT archived_count, last_archived_wal, last_archived_time, failed_count,"
        " last_failed_wal, last_failed_time FROM pg_stat_archiver",
    )[0]
    problems = []
    if settings.get("archive_mode") not in ("on", "always"):
        problems.append(f"archive_mode is {settings.get('archive_mode')!r}")
    command = (settings.get("archive_command") or "").strip()
    if (not command or command == "(disabled)") and not settings.get("archive_library"):
        problems.append("neither archive_command nor archive_library is set")
    if settings.get("wal_level") not in ("replica", "logical"):
        problems.append(f"wal_level is {settings.get('wal_level')!r}")
    age = age_seconds(stats["last_archived_time"])
    if age is None:
        problems.append("no WAL segment was ever archived")
    elif age > policy.max_archive_age_seconds:
        problems.append(f"last WAL archived {human_duration(age)} ago")
    last_failed, last_ok = stats["last_failed_time"], stats["last_archived_time"]
    if last_failed is not None and (last_ok is None or last_failed > last_ok):
        problems.append(f"the latest archive attempt failed ({stats['last_failed_wal']})")
    return passed_if(
        "4.1.4",
        not problems,
        measured={
            "archive_mode": settings.get("archive_mode"),
            "archived_count": stats["archived_count"],
            "failed_count": stats["failed_count"],
            "last_archived_wal": stats["last_archived_wal"],
            "last_archived_age": human_duration(age) if age is not None else None,
        },
        threshold=(
            f"archive_mode on, archive_command set, last archive <= {human_duration(policy.max_archive_age_seconds)}"
            " old, latest attempt succeeded"
        ),
        detail="; ".join(problems) or "WAL archiving on and succeeding: point-in-time recovery possible",
        where=where,
    )


def privileges_entry(conn: Any, where: str, app_user: str, dbname: str) -> dict[str, Any]:
    rows = query_rows(
        conn,
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = %s",
        (app_user,),
    )
    threshold = "no SUPERUSER/CREATEDB/CREATEROLE/REPLICATION/BYPASSRLS, no CREATE on schema public or the database"
    if not rows:
        return entry(
            "4.2.3",
            "failed",
            measured="role missing",
            threshold=threshold,
            where=where,
            detail=f"role {app_user} does not exist",
        )
    violations = [flag[3:].upper() for flag, value in rows[0].items() if value]
    checks = query_rows(
        conn,
        "SELECT has_schema_privilege(%s, 'public', 'CREATE') AS public_create,"
        " has_database_privilege(%s, %s, 'CREATE') AS db_create,"
        " (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s) AS db_owner",
        (app_user, app_user, dbname, dbname),
    )[0]
    if checks["public_create"]:
        violations.append("CREATE on schema public")
    if checks["db_create"]:
        violations.append(f"CREATE on database {dbname}")
    if checks["db_owner"] == app_user:
        violations.append(f"owns database {dbname}")
    for role in DANGEROUS_ROLES:
        if query_rows(conn, "SELECT pg_has_role(%s, %s, 'MEMBER') AS m", (app_user, role))[0]["m"]:
            violations.append(f"member of {role}")
    return passed_if(
        "4.2.3",
        not violations,
        measured=violations or "none",
        threshold=threshold,
        detail=(f"role {app_user} has " + ", ".join(violations))
        if violations
        else f"role {app_user} is least-privilege",
        where=where,
    )


@dataclass(frozen=True)
class Platform:
    """How to reach the platform's own settings (its Secret and ConfigMap) and log in with them (4.2.4, 3.2.3)."""

    settings: Any  # () -> app.AppSettings, read once (app.Once)
    fallback: platform_settings.Fallback
    # Endpoint settings that are the controller's, not the platform's: sslmode, sslrootcert, connect_timeout.
    connection: Mapping[str, Any]
    redis_min_version: int = 6
    # The role whose privileges 4.2.3 checks (database_app_user): the platform must log in as that role.
    expected_user: str = ""
    # host:port of the primary: a platform address elsewhere is a pooler in front of it (named when it cannot reach it).
    primary: str = ""
    # Where the controller reaches an address the platform names (app.parse_routes); the connection only.
    routes: platform_settings.Routes = field(default_factory=dict)


def app_connection_entry(app: Endpoint, sources: list[str] | None = None) -> dict[str, Any]:
    """4.2.4: the application's own settings connect and run a query."""
    threshold = "connects with the platform's settings and DATABASE_PASSWORD, SELECT 1 returns 1"
    try:
        conn = app.connect()
    except ConnectionFailure as exc:
        return entry("4.2.4", "failed", measured="no connection", threshold=threshold, detail=str(exc), where=app.label)
    try:
        with conn:
            row = app.rows(conn, "SELECT 1 AS one, current_user AS who, current_setting('server_version') AS v")[0]
    except ConnectionFailure as exc:
        return entry("4.2.4", "failed", measured="no answer", threshold=threshold, detail=str(exc), where=app.label)
    used = f"; settings: {', '.join(sources)}" if sources else ""
    return passed_if(
        "4.2.4",
        row["one"] == 1 and row["who"] == app.user,
        measured={"select_1": row["one"], "current_user": row["who"]},
        threshold=threshold,
        detail=f"connected as {row['who']} to {app.host}:{app.port}/{app.dbname} (server {row['v']}){used}",
        where=app.label,
    )


def platform_login_entry(platform: Platform) -> dict[str, Any]:
    """4.2.4 with exactly what the platform reads: host, port, database and user from its ConfigMap (or
    DATABASE_URL), DATABASE_PASSWORD from its Secret."""
    settings = platform.settings()
    try:
        resolved = platform_settings.database(settings, platform.fallback)
    except ConfigurationError as exc:  # the platform's own settings are wrong: a finding, not the run's input
        resolved = platform_settings.Resolved(None, problem=str(exc))
    if resolved.target is None:
        return entry(
            "4.2.4",
            "failed",
            measured="no settings",
            threshold="the platform's DATABASE_* settings and DATABASE_PASSWORD exist",
            detail=resolved.problem,
            where=settings.secret_ref,
        )
    target = resolved.target
    named = f"{target['host']}:{target['port']}"
    host, port, via = platform_settings.routed(target["host"], target["port"], platform.routes)
    endpoint = Endpoint(
        host,
        port,
        target["dbname"],
        target["user"],
        password=target["password"],
        settings=f"the route of {named} in the inventory's routes"
        if via
        else f"DATABASE_HOST and DATABASE_PORT of {settings.configmap_ref}",
        password_from=next((s for s in resolved.sources if "DATABASE_PASSWORD" in s or "DATABASE_URL" in s), ""),
        behind=platform.primary if named != platform.primary else "",
        **platform.connection,
    )
    found = app_connection_entry(endpoint, resolved.sources + ([via] if via else []))
    if via and via not in found["detail"]:
        found["detail"] = f"{found['detail']} ({via})"
    if found["status"] == "passed" and platform.expected_user and endpoint.user != platform.expected_user:
        found = entry(
            "4.2.4",
            "failed",
            measured=found["measured"],
            threshold=found["threshold"],
            detail=f"the platform logs in as {endpoint.user}, but database_app_user (whose privileges 4.2.3 checks) "
            f"is {platform.expected_user}: make them the same role",
            where=endpoint.label,
        )
    return found


def platform_redis_entry(platform: Platform) -> dict[str, Any]:
    """3.2.3: the platform's Redis accepts its REDIS_PASSWORD (cache.py)."""
    settings = platform.settings()
    try:
        resolved = platform_settings.redis(settings, platform.fallback)
    except ConfigurationError as exc:  # the platform's own settings are wrong: a finding, not the run's input
        resolved = platform_settings.Resolved(None, problem=str(exc))
    if resolved.target is not None:
        host, port, via = platform_settings.routed(resolved.target.host, resolved.target.port, platform.routes)
        if via:
            resolved = platform_settings.Resolved(
                replace(resolved.target, host=host, port=port), resolved.sources, route=via
            )
    return cache.redis_entry(
        resolved,
        settings.secret_ref,
        platform.redis_min_version,
        float(platform.connection.get("connect_timeout", 10)),
    )


def pooling_entry(pooler: Endpoint | None, admin: Endpoint | None, dbname: str) -> dict[str, Any]:
    """4.1.6: a query goes through the pooler; with admin credentials, its pools are listed."""
    threshold = "a query through the pooler succeeds" + (" and SHOW POOLS lists the database" if admin else "")
    if pooler is None:
        return entry(
            "4.1.6",
            "failed",
            measured="no pooler configured",
            threshold=threshold,
            detail="set database_pgbouncer_host and database_pgbouncer_port",
        )
    measured: dict[str, Any] = {}
    problems = []
    try:
        with pooler.connect() as conn:
            measured["select_1"] = pooler.rows(conn, "SELECT 1 AS one")[0]["one"]
    except ConnectionFailure as exc:
        problems.append(str(exc))
    if admin is not None:
        try:
            with admin.connect(admin_console=True) as conn:
                version = admin.rows(conn, "SHOW VERSION")
                pools = admin.rows(conn, "SHOW POOLS")
            measured["version"] = next(iter(version[0].values())) if version else None
            ours = [p for p in pools if p.get("database") == dbname]
            measured["pools"] = [f"{p['database']}/{p['user']} ({p.get('pool_mode', '?')})" for p in ours]
            if not ours:
                problems.append(f"PgBouncer has no pool for database {dbname}")
        except ConnectionFailure as exc:
            problems.append(f"admin console: {exc}")
    return passed_if(
        "4.1.6",
        not problems,
        measured=measured,
        threshold=threshold,
        detail="; ".join(problems) or f"pooler at {pooler.host}:{pooler.port} serves {dbname}",
        where=f"{pooler.host}:{pooler.port}",
    )


def check_database(
    admin: Endpoint | None,
    app: Endpoint | None,
    pooler: Endpoint | None,
    pooler_admin: Endpoint | None,
    policy: PostgresPolicy,
    platform: Platform | None = None,
    max_workers: int = 4,
) -> Entries:
    """All database items, in independent groups run concurrently: the primary as the check user, the platform's
    own login (4.2.4) and Redis (3.2.3), the pooler. Without ``platform`` 4.2.4 fails: nothing else proves it."""
    checks: list[Check] = []

    if admin is not None:

        def on_primary() -> Entries:
            with admin.connect() as conn:
                found = [
                    version_entry(conn, admin.label, policy),
                    replication_entry(conn, admin.label, policy),
                    archiving_entry(conn, admin.label, policy),
                ]
                if app is not None:
                    found.append(privileges_entry(conn, admin.label, app.user, app.dbname))
                return found

        ids = ("4.1.1", "4.1.2", "4.1.4") + (("4.2.3",) if app is not None else ())
        checks.append(Check(ids, on_primary, admin.label))
    if platform is not None:
        checks.append(Check(("4.2.4",), lambda: [platform_login_entry(platform)], "the platform's settings"))
        checks.append(Check((cache.ITEM,), lambda: [platform_redis_entry(platform)], "the platform's Redis"))
    else:
        checks.append(
            Check(
                ("4.2.4",),
                lambda: [
                    entry(
                        "4.2.4",
                        "failed",
                        measured="no settings",
                        detail="the platform's namespace is not known: its Secret cannot be read (set namespace)",
                    )
                ],
            )
        )
    if app is not None and admin is None:

        def privileges_as_app() -> Entries:
            with app.connect() as conn:
                return [privileges_entry(conn, app.label, app.user, app.dbname)]

        checks.append(Check(("4.2.3",), privileges_as_app, app.label))
    checks.append(Check(("4.1.6",), lambda: [pooling_entry(pooler, pooler_admin, (app or admin).dbname)]))
    return run_checks(checks, max_workers=max_workers)
