# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import app as platform_settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import checks as postgres
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import endpoint
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import forms


def run_postgres_check(module: Any) -> None:
    """postgres_check: run with the module's validated parameters and exit."""
    if not endpoint.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=str(endpoint.PSYCOPG_IMPORT_ERROR))
    p = module.params
    common = {
        "sslmode": p["sslmode"],
        "sslrootcert": p["sslrootcert"],
        "connect_timeout": p["connect_timeout"],
        "dbname": p["dbname"],
    }
    primary = f"{p['host']}:{p['port']}"

    def login(server: str, host: str, port: int, user: str, password: str | None, **how: Any) -> endpoint.Endpoint:
        """``user``'s login to the server that the options database_<server>host and _port name."""
        settings = f"database_{server}host and database_{server}port"
        return endpoint.Endpoint(host, port, user=user, password=password, settings=settings, **{**common, **how})

    admin = None
    if p["admin_user"]:
        admin = login("", p["host"], p["port"], p["admin_user"], p["admin_password"], kind="the PostgreSQL primary")
    app_host, app_port = p["app_host"] or p["host"], p["app_port"] or p["port"]
    app_behind = primary if f"{app_host}:{app_port}" != primary else ""
    app = login("app_", app_host, app_port, p["app_user"], p["app_password"], behind=app_behind)
    pooler = pooler_admin = None
    if p["pgbouncer_host"]:
        at = ("pgbouncer_", p["pgbouncer_host"], p["pgbouncer_port"])
        pooler = login(*at, p["app_user"], p["app_password"], kind="PgBouncer", behind=primary)
        if p["pgbouncer_admin_user"]:
            pooler_admin = login(
                *at,
                p["pgbouncer_admin_user"],
                p["pgbouncer_admin_password"],
                kind="PgBouncer's admin console",
                dbname="pgbouncer",
            )
    policy = postgres.PostgresPolicy.from_options(p)
    try:
        routes = platform_settings.parse_routes(p["routes"])
    except ConfigurationError as exc:
        module.fail_json(msg=str(exc))
    if not k8s.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(k8s.KUBERNETES_IMPORT_ERROR))

    def mask(value: str) -> None:
        # every value of the platform's Secret, in every form it could be shown in, is hidden from all output
        module.no_log_values.update(forms(value))

    def read_settings() -> platform_settings.AppSettings:
        kube = k8s.Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        return platform_settings.read(kube, p["namespace"], p["app_secret_name"], p["app_configmap"], mask)

    platform = postgres.Platform(
        settings=platform_settings.Once(read_settings),
        fallback=platform_settings.Fallback(
            host=app_host,
            port=app_port,
            dbname=p["dbname"],
            user=p["app_user"],
            redis_host=p["redis_host"] or "",
            redis_port=p["redis_port"],
        ),
        connection={k: common[k] for k in ("sslmode", "sslrootcert", "connect_timeout")},
        redis_min_version=p["redis_min_version"],
        expected_user=p["app_user"],
        primary=primary,
        routes=routes,
    )

    def run() -> list:
        return postgres.check_database(admin, app, pooler, pooler_admin, policy, platform)

    exit_checked(module, "database", run)
