"""The backup role against the lab: the CronJob and the configuration export in four steps, a backup run, the
checks, bad input, and no Secret value anywhere."""

from __future__ import annotations

import base64
import json
import subprocess
import time

import pytest
from checks_support import ROOT, kubectl

pytestmark = pytest.mark.lab

DB_PASSWORD = "Backup-test-pw-3f9e1c77"


@pytest.fixture
def release(lab, namespace):
    """The reference chart as release checks-rel in the test's namespace, and a Secret with a known value."""
    subprocess.run(
        [
            "helm", "upgrade", "--install", "checks-rel", str(ROOT / "charts" / "sme-platform"), "-n", namespace,
            "-f", str(ROOT / "charts" / "sme-platform" / "values-lab.yaml"),
        ],
        env=lab, capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    kubectl(lab, "create", "secret", "generic", "checks-secret", "-n", namespace,
            f"--from-literal=DATABASE_PASSWORD={DB_PASSWORD}")  # fmt: skip
    yield namespace
    subprocess.run(["helm", "uninstall", "checks-rel", "-n", namespace], env=lab, capture_output=True, check=False)


def _vars(namespace, tmp_path, **extra):
    return {
        "backup_namespace": namespace,
        "backup_release": "checks-rel",
        "backup_cronjob_name": "checks-rel-db-backup",
        "backup_volume_claim": "checks-rel-backups",
        "backup_config_dest": str(tmp_path / "exports"),
        "backup_cronjob_env_from_secrets": [
            {"name": "PGPASSWORD", "secret_name": "checks-secret", "key": "DATABASE_PASSWORD"}
        ],
        **extra,
    }


def _cronjob(lab, namespace):
    out = kubectl(lab, "get", "cronjob", "checks-rel-db-backup", "-n", namespace, "-o", "json", check=False)
    return json.loads(out) if out else None


def _claim(lab, namespace):
    out = kubectl(lab, "get", "pvc", "checks-rel-backups", "-n", namespace, "-o", "json", check=False)
    return json.loads(out) if out else None


def test_backup_four_steps_then_a_run(run_role, lab, release, tmp_path):
    namespace = release
    exports = tmp_path / "exports"

    # 1. check mode: reports the change, creates nothing
    run = run_role("backup", check=True, **_vars(namespace, tmp_path))
    assert run.proc.returncode == 0, run.output
    assert run.changed() >= 2
    assert _cronjob(lab, namespace) is None
    assert _claim(lab, namespace) is None
    assert '"storage":"30Gi"' in run.proc.stdout.replace(" ", "")  # the claim it would create, in the diff
    assert not exports.exists()
    assert run.status("9.1.3") == "failed"  # verify sees no export yet
    assert run.status("4.1.3") == "failed"

    # 2. real run: CronJob, claim and export in place
    run = run_role("backup", **_vars(namespace, tmp_path))
    assert run.proc.returncode == 0, run.output
    assert run.changed() >= 2
    cronjob = _cronjob(lab, namespace)
    assert cronjob["spec"]["schedule"] == "0 2 * * *"
    assert cronjob["metadata"]["annotations"]["smeplatform.io/backup-retention-days"] == "30"
    claim = _claim(lab, namespace)
    assert claim["spec"]["resources"]["requests"]["storage"] == "30Gi"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["metadata"]["labels"]["app.kubernetes.io/name"] == "checks-rel-db-backup"
    assert claim["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "smeplatform.deploy"
    for item in ("4.1.3", "9.1.1", "4.1.5", "9.1.3"):
        assert run.status(item) == "passed", run.evidence(item)
    # No backup had succeeded yet, so the run started one and waited for it (backup_run_when_stale).
    assert run.status("success.10") == "passed", run.evidence("success.10")
    assert run.status("post.week1.4") == "passed", run.evidence("post.week1.4")
    jobs = kubectl(lab, "get", "jobs", "-n", namespace, "-o", "jsonpath={.items[*].metadata.name}").split()
    assert len([j for j in jobs if "-manual-" in j]) == 1, jobs
    folders = list(exports.iterdir())
    assert len(folders) == 1 and folders[0].name.endswith("-r1")

    # 3. check mode again, 4. real run again: nothing to change
    run = run_role("backup", check=True, **_vars(namespace, tmp_path))
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0, run.output
    run = run_role("backup", **_vars(namespace, tmp_path))
    assert run.changed() == 0, run.output
    assert len(list(exports.iterdir())) == 1

    # No Secret value in the export or the output, only key names.
    written = "".join(p.read_text() for p in folders[0].iterdir())
    assert "DATABASE_PASSWORD" in written
    for form in (DB_PASSWORD, base64.b64encode(DB_PASSWORD.encode()).decode(), DB_PASSWORD.encode().hex()):
        assert form not in written
        assert form not in run.output + run.report_text

    # A backup run now (kwok completes the Job): the CronJob records the success, the checks see it.
    run = run_role("backup", "cronjob", **_vars(namespace, tmp_path, backup_run_now=True))
    assert run.proc.returncode == 0, run.output
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (_cronjob(lab, namespace).get("status") or {}).get("lastSuccessfulTime"):
        time.sleep(2)
    run = run_role("backup", "verify", **_vars(namespace, tmp_path))
    for item in ("success.10", "post.week1.4", "9.2.3"):
        assert run.status(item) == "passed", run.evidence(item)
    assert "dump" in run.evidence("9.2.3")["measured"]


def test_backup_change_shows_a_diff_and_weak_retention_fails(run_role, lab, release, tmp_path):
    namespace = release
    run_role("backup", "cronjob", **_vars(namespace, tmp_path))
    run = run_role("backup", "cronjob", check=True, **_vars(namespace, tmp_path, backup_retention_days=14))
    assert run.changed() == 1
    lines = [line.replace(" ", "") for line in run.proc.stdout.splitlines()]
    assert '-"smeplatform.io/backup-retention-days":"30"' in lines
    assert '+"smeplatform.io/backup-retention-days":"14"' in lines
    assert _cronjob(lab, namespace)["metadata"]["annotations"]["smeplatform.io/backup-retention-days"] == "30"
    run_role("backup", "cronjob", **_vars(namespace, tmp_path, backup_retention_days=14))
    run = run_role("backup", "verify", **_vars(namespace, tmp_path))
    assert run.status("4.1.5") == "failed"
    assert run.evidence("4.1.5")["measured"]["annotation"] == "14"


def test_backup_leaves_a_claim_already_there_alone(run_role, lab, release, tmp_path):
    namespace = release
    kubectl(lab, "apply", "-n", namespace, "-f", "-", stdin=json.dumps({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "checks-rel-backups"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}},
    }))  # fmt: skip
    run_role("backup", "cronjob", **_vars(namespace, tmp_path))
    run = run_role("backup", "cronjob", check=True, **_vars(namespace, tmp_path, backup_volume_size="50Gi"))
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0, run.output
    run = run_role("backup", "cronjob", **_vars(namespace, tmp_path, backup_volume_size="50Gi"))
    assert run.changed() == 0, run.output
    claim = _claim(lab, namespace)
    assert claim["spec"]["resources"]["requests"]["storage"] == "2Gi"
    assert "app.kubernetes.io/managed-by" not in (claim["metadata"].get("labels") or {})


def test_backup_bad_schedule_fails_before_any_change(run_role, lab, release, tmp_path):
    run = run_role("backup", "cronjob", **_vars(release, tmp_path, backup_cronjob_schedule="every night"))
    assert run.proc.returncode != 0
    assert "must have five cron fields" in run.output
    assert _cronjob(lab, release) is None
