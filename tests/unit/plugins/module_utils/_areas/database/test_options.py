"""postgres_check's option table: passwords are no_log; the policy takes the thresholds from the table."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database.checks import PostgresPolicy

from ..area_module import no_log_options, validate


def test_passwords_are_no_log():
    assert {"admin_password", "app_password", "pgbouncer_admin_password"} <= no_log_options(
        "database", "postgres_check"
    )


def test_the_policy_takes_the_tables_thresholds():
    params, errors = validate(
        "database", "postgres_check", {"host": "db", "dbname": "d", "app_user": "a", "namespace": "n"}
    )
    assert errors == []
    policy = PostgresPolicy.from_options(params)
    assert policy.max_archive_age_seconds == float(params["max_archive_age"])
    assert policy.min_version == params["min_version"]
