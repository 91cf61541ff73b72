"""Fixtures of the smoke gate's lab tests: the lab's settings, a release of the reference chart, playbook runs.

The platform stand-in watches the release `sme-platform` in namespace `sme-platform`, which other tests use
too: every test that changes the release puts v1.0.0 with the lab values back before it ends.
"""

from __future__ import annotations

import json
import uuid

import pytest
from smoke_lab_support import LAB, PLAYBOOK, ROOT, Release, client_ip, lab_settings


@pytest.fixture(scope="session")
def lab_env() -> dict[str, str]:
    env = lab_settings()
    if not (LAB / "k8s" / "kubeconfig").exists() or not (LAB / "edge" / "secrets" / "admin-password").exists():
        pytest.fail("the lab is not up: run make lab-up (tests/lab/lab.sh up)", pytrace=False)
    return env


@pytest.fixture(scope="module")
def release(lab_env):
    rel = Release(lab_env)
    rel.good()
    yield rel
    rel.good()


@pytest.fixture
def smoke(lab_env, tmp_path, playbook_runner):
    """smoke(*args, **extra_vars) -> (process, report JSON) of the smoke role on the lab inventory."""

    def run(*args: str, **extra: object):
        report_dir = tmp_path / f"report-{uuid.uuid4().hex[:6]}"
        extra.setdefault("smoke_request_headers", {"X-Forwarded-For": client_ip()})
        env = {**lab_env, "SMEPLATFORM_REPORT_DIR": str(report_dir)}
        proc = playbook_runner(
            PLAYBOOK, "-e", json.dumps(extra), *args, env=env, inventory=str(ROOT / "inventories/lab")
        )
        reports = sorted(report_dir.glob("*.json"))
        report = json.loads(reports[-1].read_text()) if reports else None
        return proc, report

    return run
