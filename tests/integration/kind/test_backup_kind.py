"""Real backups and restore drills on the kind lab.

smeplatform.deploy.backup_cronjob puts the backup role's CronJob (its default
command: pg_dump in custom format into /backups, read back with pg_restore
--list, renamed into place, old dumps pruned, a JSON report in the termination
message) in front of PostgreSQL in the cluster, with the platform's migrated
schema and some rows, and starts a Job because no backup is fresh.
smeplatform.deploy.backup_check then passes on that dump (its size matches the
file on the volume), smeplatform.deploy.backup_restore_drill restores it into a
scratch database, compares row counts table by table and drops the database,
and fails (leaving nothing) when the counts differ or the drill's user may not
create databases. A CronJob whose command is /bin/true proves nothing.
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


def test_backup_job_dumps_into_its_volume_and_the_dump_restores(namespace: Kube, tmp_path) -> None:
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
    namespace.exec("restore", "dropdb", "restore_drill")
    namespace.run("delete", "pod", "restore", "--wait=true")

    # backup_check passes on that dump, and its evidence names it
    check = run_module("backup_check", check_args(namespace, tmp_path), namespace)
    found = {e["id"]: e for e in check["evidence"]}
    for item in ("4.1.3", "9.1.1", "4.1.5", "success.10", "post.week1.4", "9.2.3"):
        assert found[item]["status"] == "passed", found[item]
    dump = found["4.1.3"]["measured"]["dump"]
    assert dump["file"] == f"/backups/{name}" and dump["bytes"] == size and dump["toc_entries"] > 4, dump

    # the restore drill, as a module: counts equal, timed, scratch database dropped, no pod left
    drill = run_module("backup_restore_drill", drill_args(namespace), namespace)
    found = {e["id"]: e for e in drill["evidence"]}
    assert {found[i]["status"] for i in ("10.1.3", "9.2.2", "9.1.4")} == {"passed"}, found
    measured = found["10.1.3"]["measured"]
    assert measured["dump"]["file"] == f"/backups/{name}" and measured["dump"]["bytes"] == size
    tables = measured["tables"]
    assert tables["public.invoices"] == {"source": 5, "restored": 5}, tables
    assert tables["public.payments"] == {"source": 3, "restored": 3}, tables
    assert tables["public.migrations"]["restored"] == 3, tables
    assert 0 < measured["seconds"] < found["9.2.2"]["measured"]["rto_seconds"]
    assert measured["dropped"] is True
    assert_nothing_left(namespace)

    # rows written after the dump: the counts differ, the drill fails and still drops its database
    sql(
        namespace,
        "INSERT INTO invoices (id, number, customer, amount_paise) VALUES (gen_random_uuid(), 'INV-X', 'X', 1)",
    )
    drill = run_module("backup_restore_drill", drill_args(namespace), namespace)
    found = {e["id"]: e for e in drill["evidence"]}
    assert found["10.1.3"]["status"] == "failed" and "row counts differ in public.invoices" in found["10.1.3"]["detail"]
    assert found["10.1.3"]["measured"]["tables"]["public.invoices"] == {"source": 6, "restored": 5}
    assert found["9.2.2"]["status"] == "failed"
    assert_nothing_left(namespace)

    # the backup Job's own user may not create databases: the drill fails before restoring, nothing is left
    drill = run_module("backup_restore_drill", {"namespace": namespace.namespace, "cronjob": CRONJOB}, namespace)
    found = {e["id"]: e for e in drill["evidence"]}
    assert found["10.1.3"]["status"] == "failed"
    assert "createdb" in found["10.1.3"]["detail"], found["10.1.3"]
    assert_nothing_left(namespace)


CRONJOB = "sme-platform-db-backup"


def check_args(kube: Kube, tmp_path) -> dict:
    return {
        "namespace": kube.namespace,
        "cronjob": CRONJOB,
        "release": "sme-platform",
        "config_dest": str(tmp_path / "exports"),
    }


def drill_args(kube: Kube) -> dict:
    """The drill as the superuser (the backup Job's owner role may not create databases)."""
    return {
        "namespace": kube.namespace,
        "cronjob": CRONJOB,
        "rto_hours": 4,
        "env": {"PGUSER": "postgres"},
        "secret_env": [{"name": "PGPASSWORD", "secret_name": "postgres", "key": "POSTGRES_PASSWORD"}],
        "timeout": 300,
    }


def assert_nothing_left(kube: Kube) -> None:
    assert sql(kube, "SELECT datname FROM pg_database WHERE datname LIKE 'restore_drill%'") == []
    pods = kube.get("pods", "-l", f"app.kubernetes.io/name={CRONJOB}-restore-drill")["items"]
    assert all(p["metadata"].get("deletionTimestamp") for p in pods), [p["metadata"]["name"] for p in pods]


def test_a_backup_job_that_dumps_nothing_proves_nothing(namespace: Kube, busybox_image: str, tmp_path) -> None:
    """A CronJob whose command is /bin/true: its Job succeeds, and no backup item passes on it."""
    result = run_module(
        "backup_cronjob",
        {
            "name": CRONJOB,
            "namespace": namespace.namespace,
            "image": busybox_image,
            "command": ["/bin/true"],
            "run_when_stale": True,
            "wait_timeout": 120,
        },
        namespace,
    )
    assert result["changed"] and result["job"]
    check = run_module("backup_check", check_args(namespace, tmp_path), namespace)
    found = {e["id"]: e for e in check["evidence"]}
    assert found["post.week1.4"]["status"] == "passed"  # the Job did succeed
    for item in ("4.1.3", "9.1.1", "4.1.5", "success.10", "9.2.3"):
        assert found[item]["status"] == "failed", found[item]
    assert "reported no dump" in found["success.10"]["detail"]
    drill = run_module("backup_restore_drill", {"namespace": namespace.namespace, "cronjob": CRONJOB}, namespace)
    assert {e["status"] for e in drill["evidence"]} == {"failed"}
    assert namespace.get("pods", "-l", f"app.kubernetes.io/name={CRONJOB}-restore-drill")["items"] == []
