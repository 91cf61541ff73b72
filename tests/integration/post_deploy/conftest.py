"""Fixtures of the post-deployment lab tests: the lab's settings, a healthy release with its backups and secrets,
and runs of playbooks/post_deploy.yml on the lab inventory.

The platform stand-in watches the release `sme-platform` in namespace `sme-platform`, which other tests use too:
the release is put back to v1.0.0 with the lab values before and after the tests.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from post_deploy_lab_support import HERE, PLAYBOOK, Stage, run_playbook
from smoke_lab_support import LAB, ROOT, Release, lab_settings


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    env = lab_settings()
    if not (LAB / "k8s" / "kubeconfig").exists() or not (LAB / "edge" / "secrets" / "admin-password").exists():
        pytest.fail("the lab is not up: run make lab-up (tests/lab/lab.sh up)", pytrace=False)
    return env


@pytest.fixture(scope="module")
def release(lab_env, tmp_path_factory):
    """v1.0.0 deployed, its secrets written and its daily backup scheduled and run once, as deploy.yml leaves it."""
    rel = Release(lab_env)
    rel.good()
    reports = tmp_path_factory.mktemp("setup")
    env = {**lab_env, "SMEPLATFORM_REPORT_DIR": str(reports)}
    for playbook in (ROOT / "playbooks" / "generate_secrets.yml", HERE / "backup.yml"):
        proc = run_playbook(playbook, env=env)
        assert proc.returncode == 0, f"{playbook.name} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    yield rel
    rel.good()


@pytest.fixture
def post_deploy(lab_env, tmp_path):
    """post_deploy(stage, *args, **extra_vars) -> Stage: a run of playbooks/post_deploy.yml on the lab."""

    def run(stage: str, *args: str, **extra: object) -> Stage:
        report_dir = tmp_path / f"report-{stage}-{uuid.uuid4().hex[:6]}"
        # the run's own TMPDIR, where module_running sees a pipelined module's payload while it runs
        (tmp_path / "tmp").mkdir(exist_ok=True)
        env = {**lab_env, "SMEPLATFORM_REPORT_DIR": str(report_dir), "TMPDIR": str(tmp_path / "tmp")}
        extra = {"post_deploy_stage": stage, **extra}
        started = time.monotonic()
        proc = run_playbook(PLAYBOOK, "-e", json.dumps(extra), *args, env=env)
        seconds = time.monotonic() - started
        reports = sorted(report_dir.glob("*.json"))
        report = json.loads(reports[-1].read_text()) if reports else None
        (tmp_path / f"{stage}.log").write_text(proc.stdout + proc.stderr)
        print(f"post_deploy stage {stage} {' '.join(args)}: {seconds:.1f} s, rc {proc.returncode}")
        for one in (report or {}).get("items", []):
            for e in one["evidence"] if one["id"].startswith("post.") else []:
                print(f"  {one['id']} {e['status']}: {e['detail'][:200]}")
        return Stage(proc, report, seconds)

    return run
