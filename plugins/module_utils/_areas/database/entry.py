# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import checks as postgres
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_postgres_check(module: Any) -> None:
    """postgres_check: run with the module's validated parameters and exit."""
    if not postgres.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=str(postgres.PSYCOPG_IMPORT_ERROR))
    p = module.params
    common = {
        "sslmode": p["sslmode"],
        "sslrootcert": p["sslrootcert"],
        "connect_timeout": p["connect_timeout"],
        "dbname": p["dbname"],
    }
    primary = f"{p['host']}:{p['port']}"
    admin = (
        postgres.Endpoint(
            p["host"],
            p["port"],
            user=p["admin_user"],
            password=p["admin_password"],
            kind="the PostgreSQL primary",
            settings="database_host and database_port",
            **common,
        )
        if p["admin_user"]
        else None
    )
    app_host, app_port = p["app_host"] or p["host"], p["app_port"] or p["port"]
    app = postgres.Endpoint(
        app_host,
        app_port,
        user=p["app_user"],
        password=p["app_password"],
        settings="database_app_host and database_app_port",
        behind=primary if f"{app_host}:{app_port}" != primary else "",
        **common,
    )
    pooler = pooler_admin = None
    if p["pgbouncer_host"]:
        pooler = postgres.Endpoint(
            p["pgbouncer_host"],
            p["pgbouncer_port"],
            user=p["app_user"],
            password=p["app_password"],
            kind="PgBouncer",
            settings="database_pgbouncer_host and database_pgbouncer_port",
            behind=primary,
            **common,
        )
        if p["pgbouncer_admin_user"]:
            pooler_admin = postgres.Endpoint(
                p["pgbouncer_host"],
                p["pgbouncer_port"],
                user=p["pgbouncer_admin_user"],
                password=p["pgbouncer_admin_password"],
                kind="PgBouncer's admin console",
                settings="database_pgbouncer_host and database_pgbouncer_port",
                **{**common, "dbname": "pgbouncer"},
            )
    policy = postgres.PostgresPolicy.from_options(p)

    def run() -> list:
        return postgres.check_database(admin, app, pooler, pooler_admin, policy)

    exit_checked(module, "database", run)
