"""Real migrations on the kind lab: the platform image's migration tool as Jobs
against PostgreSQL 15 running in the cluster (Debian's, on a local-path PVC).

The Jobs run what the release's migration step runs (inventories/kind:
``python3 -m standins.migrate run|show|revert``) with the settings and
credentials through envFrom, as the chart gives them to the application. Each
step is measured on the database itself (information_schema), and the Jobs'
logs are what a report shows.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from kind_support import REPO, Kube, read_versions

pytestmark = pytest.mark.kind

IMAGE = "smeplatform.lab/sme-platform/backend:v1.0.0"
MIGRATIONS = ("CreateInvoices1700000000000", "AddInvoiceDueDate1700000100000", "CreatePayments1700000200000")


def postgres(kube: Kube) -> None:
    image = f"smeplatform.lab/postgres:15-{read_versions()['KIND_DEBIAN_SUITE']}"
    owner, superuser = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    kube.run(
        "create",
        "secret",
        "generic",
        "postgres",
        "--from-env-file=/dev/stdin",
        stdin=f"POSTGRES_PASSWORD={superuser}\nPOSTGRES_USER_PASSWORD={owner}\n",
    )
    kube.run(
        "create",
        "secret",
        "generic",
        "sme-platform-secrets",
        "--from-env-file=/dev/stdin",
        stdin=f"DATABASE_PASSWORD={owner}\n",
    )
    kube.apply(
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "sme-platform-config"},
                "data": {
                    "DATABASE_HOST": f"postgres.{kube.namespace}.svc.cluster.local",
                    "DATABASE_PORT": "5432",
                    "DATABASE_NAME": "sme_platform",
                    "DATABASE_USER": "sme_owner",
                },
            },
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": {"name": "postgres"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            },
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "postgres"},
                "spec": {
                    "replicas": 1,
                    "strategy": {"type": "Recreate"},
                    "selector": {"matchLabels": {"app": "postgres"}},
                    "template": {
                        "metadata": {"labels": {"app": "postgres"}},
                        "spec": {
                            "containers": [
                                {
                                    "name": "postgres",
                                    "image": image,
                                    "imagePullPolicy": "Never",
                                    "env": [
                                        {"name": "POSTGRES_USER", "value": "sme_owner"},
                                        {"name": "POSTGRES_DB", "value": "sme_platform"},
                                    ],
                                    "envFrom": [{"secretRef": {"name": "postgres"}}],
                                    "ports": [{"containerPort": 5432}],
                                    "readinessProbe": {"tcpSocket": {"port": 5432}, "periodSeconds": 1},
                                    "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}],
                                }
                            ],
                            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "postgres"}}],
                        },
                    },
                },
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "postgres"},
                "spec": {"selector": {"app": "postgres"}, "ports": [{"port": 5432}]},
            },
        ]
    )
    kube.run("rollout", "status", "deployment/postgres", "--timeout=180s", timeout=200)


def migrate(kube: Kube, command: str, name: str) -> list[str]:
    """One migration Job, as the release runs it; its log lines."""
    kube.apply(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name},
            "spec": {
                "backoffLimit": 0,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [
                            {
                                "name": "migrate",
                                "image": IMAGE,
                                "imagePullPolicy": "Never",
                                "command": ["python3", "-m", "standins.migrate", command],
                                "envFrom": [
                                    {"configMapRef": {"name": "sme-platform-config"}},
                                    {"secretRef": {"name": "sme-platform-secrets"}},
                                ],
                            }
                        ],
                    }
                },
            },
        }
    )
    kube.wait("condition=Complete", f"job/{name}", timeout=120)
    return kube.run("logs", f"job/{name}").stdout.splitlines()


def sql(kube: Kube, query: str) -> list[str]:
    out = kube.run(
        "exec", "deploy/postgres", "--", "psql", "-h", "/tmp", "-U", "postgres", "-d", "sme_platform", "-Atc", query
    )
    return out.stdout.splitlines()


def columns(kube: Kube, table: str) -> list[str]:
    assert table in ("invoices", "payments")
    query = f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY 1"  # noqa: S608 - a fixed name
    return sql(kube, query)


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
    kubeconfig, context = namespace.base[2], namespace.base[4]
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
        "kubeconfig": kubeconfig,
        "context": context,
    }
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "json",
    }
    ansible = Path(sys.executable).parent / "ansible"
    proc = subprocess.run(
        [str(ansible), "localhost", "-m", "smeplatform.deploy.migration_job", "-a", json.dumps(args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    assert proc.stdout.startswith("{"), proc.stderr[-2000:]
    # the json callback's document, then the evidence report's summary lines
    document, _ = json.JSONDecoder().raw_decode(proc.stdout)
    result = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert proc.returncode == 0, result.get("msg")
    assert result["outcome"] == "succeeded"
    logs = "\n".join(result["logs"].values())
    for name in MIGRATIONS:
        assert f"Migration {name} has been executed successfully." in logs
    shown = "\n".join(result["show"]["logs"].values())
    assert f" [X] 3 {MIGRATIONS[-1]}" in shown
    assert [e["where"].split("/")[1] for e in result["evidence"]] == [result["job"], result["show"]["job"]]
    assert all(e["status"] == "passed" for e in result["evidence"])
    assert sql(namespace, "SELECT count(*) FROM migrations") == ["3"]
