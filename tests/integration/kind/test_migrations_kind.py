"""Real migrations on the kind lab: the platform image's migration tool as Jobs
against PostgreSQL 15 running in the cluster (Debian's, on a local-path PVC).

The Jobs run what the release's migration step runs (inventories/kind:
``python3 -m standins.migrate run|show|revert``) with the settings and
credentials through envFrom, as the chart gives them to the application. Each
step is measured on the database itself (information_schema), and the Jobs'
logs are what a report shows.
"""

from __future__ import annotations

import pytest
from kind_db import IMAGE, MIGRATIONS, columns, migrate, postgres, run_module, sql
from kind_support import Kube

pytestmark = pytest.mark.kind


def test_migrations_run_show_revert_change_the_schema(namespace: Kube) -> None:
    postgres(namespace)
    assert columns(namespace, "invoices") == []

    log = migrate(namespace, "run", "migrate-run")
    for name in MIGRATIONS:
        assert f"Migration {name} has been executed successfully." in log, log
    assert "due_date" in columns(namespace, "invoices")
    assert columns(namespace, "payments") == ["amount_paise", "id", "invoice_id", "received_at"]
    assert sql(namespace, 'SELECT name FROM migrations ORDER BY "timestamp"') == list(MIGRATIONS)

    assert migrate(namespace, "show", "migrate-show")[1:] == [f" [X] {i} {n}" for i, n in enumerate(MIGRATIONS, 1)]

    log = migrate(namespace, "revert", "migrate-revert")
    assert f"Migration {MIGRATIONS[-1]} has been reverted successfully." in log
    assert columns(namespace, "payments") == []
    assert "due_date" in columns(namespace, "invoices"), "only the newest migration is reverted"
    assert migrate(namespace, "show", "migrate-show-2")[-1] == f" [ ] {MIGRATIONS[-1]}"

    log = migrate(namespace, "run", "migrate-run-2")
    assert log[-1] == f"Migration {MIGRATIONS[-1]} has been executed successfully."
    assert sum("has been executed" in line for line in log) == 1
    assert migrate(namespace, "run", "migrate-run-3")[-1] == "No migrations are pending"


def test_migration_job_module_reports_the_jobs_logs(namespace: Kube) -> None:
    """The release's own step (smeplatform.deploy.migration_job) on real pods: its result carries the Jobs' logs."""
    postgres(namespace)
    args = {
        "release": "sme-platform",
        "namespace": namespace.namespace,
        "action": "run",
        "image": IMAGE,
        "command": ["python3", "-m", "standins.migrate", "run"],
        "show_command": ["python3", "-m", "standins.migrate", "show"],
        "env_from": [
            {"configMapRef": {"name": "sme-platform-config"}},
            {"secretRef": {"name": "sme-platform-secrets"}},
        ],
        "timeout": 180,
        "evidence_id": "deploy.4",
    }
    result = run_module("migration_job", args, namespace)
    assert result["outcome"] == "succeeded"
    logs = "\n".join(result["logs"].values())
    for name in MIGRATIONS:
        assert f"Migration {name} has been executed successfully." in logs
    shown = "\n".join(result["show"]["logs"].values())
    assert f" [X] 3 {MIGRATIONS[-1]}" in shown
    assert [e["where"].split("/")[1] for e in result["evidence"]] == [result["job"], result["show"]["job"]]
    assert all(e["status"] == "passed" for e in result["evidence"])
    # the evidence (what the report shows) carries the Jobs' own log lines
    run_log = "\n".join(line for lines in result["evidence"][0]["measured"]["log"].values() for line in lines)
    for name in MIGRATIONS:
        assert f"Migration {name} has been executed successfully." in run_log
    assert result["evidence"][0]["measured"]["outcome"] == "succeeded"
    show_log = "\n".join(line for lines in result["evidence"][1]["measured"]["log"].values() for line in lines)
    assert f" [X] 3 {MIGRATIONS[-1]}" in show_log
    assert sql(namespace, "SELECT count(*) FROM migrations") == ["3"]
