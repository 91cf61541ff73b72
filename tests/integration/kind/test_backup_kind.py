"""Real backups on the kind lab: the collection's backup CronJob runs pg_dump.

smeplatform.deploy.backup_cronjob puts the backup role's CronJob (its default
command: pg_dump in custom format into /backups, renamed into place when
complete, old dumps pruned) in front of PostgreSQL in the cluster, with the
platform's migrated schema and some rows, and starts a Job because no backup
is fresh. The dump is then read back from its PersistentVolumeClaim, restored
into a scratch database and compared table by table with the source (the
measurements a restore drill makes; the drill as a module of the collection is
not written yet).
"""

from __future__ import annotations

import time

import pytest
import yaml
from kind_db import migrate, postgres, run_module, sql
from kind_support import REPO, Kube, read_versions

pytestmark = pytest.mark.kind

ROWS = {"invoices": 5, "payments": 3}  # what the test inserts below


def backup_defaults() -> dict:
    return yaml.safe_load((REPO / "roles" / "backup" / "defaults" / "main.yml").read_text())


def reader(kube: Kube, image: str) -> None:
    """A pod with the backup volume and PostgreSQL's client tools, the superuser's password in PGPASSWORD."""
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "restore"},
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "containers": [
                    {
                        "name": "main",
                        "image": image,
                        "imagePullPolicy": "Never",
                        "command": ["sleep", "3600"],
                        "env": [
                            {
                                "name": "PGPASSWORD",
                                "valueFrom": {"secretKeyRef": {"name": "postgres", "key": "POSTGRES_PASSWORD"}},
                            },
                            {"name": "PGHOST", "value": f"postgres.{kube.namespace}.svc.cluster.local"},
                            {"name": "PGUSER", "value": "postgres"},
                        ],
                        "volumeMounts": [{"name": "backups", "mountPath": "/backups"}],
                    }
                ],
                "volumes": [{"name": "backups", "persistentVolumeClaim": {"claimName": "sme-platform-backups"}}],
            },
        }
    )
    kube.wait("condition=Ready", "pod/restore", timeout=90)


def test_backup_job_dumps_into_its_volume_and_the_dump_restores(namespace: Kube) -> None:
    postgres(namespace)
    migrate(namespace, "run", "migrate-run")
    sql(
        namespace,
        "INSERT INTO invoices (id, number, customer, amount_paise) SELECT gen_random_uuid(), 'INV-' || i, "
        "'Customer ' || i, i * 10000 FROM generate_series(1, 5) i",
    )
    sql(
        namespace,
        "INSERT INTO payments (id, invoice_id, amount_paise) SELECT gen_random_uuid(), id, 5000 FROM invoices "
        "ORDER BY number LIMIT 3",
    )
    namespace.apply(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "sme-platform-backups"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        }
    )
    defaults = backup_defaults()
    image = f"smeplatform.lab/postgres:15-{read_versions()['KIND_DEBIAN_SUITE']}"
    result = run_module(
        "backup_cronjob",
        {
            "name": "sme-platform-db-backup",
            "namespace": namespace.namespace,
            "schedule": defaults["backup_cronjob_schedule"],
            "image": image,
            "command": defaults["backup_cronjob_command"],
            "env": {
                "PGHOST": f"postgres.{namespace.namespace}.svc.cluster.local",
                "PGPORT": "5432",
                "PGDATABASE": "sme_platform",
                "PGUSER": "sme_owner",
            },
            "secret_env": [{"name": "PGPASSWORD", "secret_name": "sme-platform-secrets", "key": "DATABASE_PASSWORD"}],
            "volume_claim": "sme-platform-backups",
            "run_when_stale": True,
            "wait_timeout": 180,
        },
        namespace,
    )
    assert result["changed"]
    jobs = (
        namespace.get("jobs", "-l", "app.kubernetes.io/name=sme-platform-db-backup")["items"]
        or namespace.get("jobs")["items"]
    )
    assert any(j["status"].get("succeeded") for j in jobs), [j["status"] for j in jobs]

    reader(namespace, image)
    listing = namespace.exec("restore", "sh", "-c", "ls -l --time-style=+%s /backups").stdout.splitlines()
    dumps = [line.split() for line in listing if line.endswith(".dump")]
    assert len(dumps) == 1, listing
    size, mtime, name = int(dumps[0][4]), int(dumps[0][5]), dumps[0][6]
    assert name.startswith("sme_platform-") and size > 1000
    assert time.time() - mtime < 600, "the dump was written by this run"
    assert not any(line.endswith(".partial") for line in listing)
    contents = namespace.exec("restore", "pg_restore", "--list", f"/backups/{name}").stdout
    for table in ROWS:
        assert f"TABLE DATA public {table} " in contents

    started = time.monotonic()
    out = namespace.exec(
        "restore", "sh", "-ec", f"createdb restore_drill && pg_restore --no-owner -d restore_drill /backups/{name}"
    )
    seconds = time.monotonic() - started
    assert out.returncode == 0, out.stderr
    for table, rows in ROWS.items():
        restored = namespace.exec("restore", "psql", "-d", "restore_drill", "-Atc", f"SELECT count(*) FROM {table}")  # noqa: S608
        assert int(restored.stdout) == rows == int(sql(namespace, f"SELECT count(*) FROM {table}")[0])  # noqa: S608
    assert seconds < 60, f"restore took {seconds:.1f}s"
