"""PostgreSQL in the kind cluster and the platform's migration Jobs, for the kind lab tests."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from kind_support import REPO, Kube, read_versions

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


def run_module(module: str, args: dict, kube: Kube) -> dict:
    """One module of the collection through `ansible` ad hoc against the kind cluster: its result."""
    args = {**args, "kubeconfig": kube.base[2], "context": kube.base[4]}
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_STDOUT_CALLBACK": "json",
    }
    ansible = Path(sys.executable).parent / "ansible"
    proc = subprocess.run(
        [str(ansible), "localhost", "-m", f"smeplatform.deploy.{module}", "-a", json.dumps(args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.stdout.startswith("{"), proc.stderr[-2000:]
    # the json callback's document, then the evidence report's summary lines
    document, _unused = json.JSONDecoder().raw_decode(proc.stdout)
    result = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert proc.returncode == 0, result.get("msg")
    return result
