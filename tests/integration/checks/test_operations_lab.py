"""The operations role on the lab: Grafana (the edge lab's API stand-in, whose data source health check really queries
the lab Prometheus) and the offsite file backup bucket on the lab's S3 server (moto). Each item passes on what the
tools answer, and fails with the precise reason when a dashboard is gone, a data source cannot be queried, an admin
too many exists, a bucket keeps no versions or lies in the platform's own region, or an admin of the platform has no
MFA (the platform stand-in lists its admin accounts as the application does)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from checks_support import ROOT

pytestmark = pytest.mark.lab

ITEMS = ("6.2.1", "6.2.2", "6.2.3", "9.1.2")


def _secrets(lab) -> list[str]:
    folder = Path(lab["SMEPLATFORM_LAB_SECRETS_DIR"])
    return [(folder / name).read_text().strip() for name in ("grafana_token", "s3_secret_access_key")]


@contextmanager
def grafana_state(lab):
    """The Grafana stand-in's organisation, to change for one test; put back afterwards."""
    path = Path(lab["SMEPLATFORM_LAB_GRAFANA_STATE"])
    original = path.read_text()
    state = json.loads(original)
    try:
        yield state, lambda: path.write_text(json.dumps(state))
    finally:
        path.write_text(original)


def make_bucket(lab, *args: str) -> str:
    name = f"sme-test-{uuid.uuid4().hex[:10]}"
    subprocess.run(
        [sys.executable, str(ROOT / "tests/lab/edge/s3_bucket.py"), "--endpoint", lab["SMEPLATFORM_LAB_S3_URL"],
         "--ca-bundle", lab["SMEPLATFORM_LAB_CA_BUNDLE"], name, *args],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return name


def test_operations_pass_on_the_lab_in_check_mode_and_a_real_run(run_role, lab):
    for check in (True, False):
        run = run_role("operations", check=check)
        assert run.proc.returncode == 0, run.output
        assert run.changed() == 0
        for item in ITEMS:
            assert run.status(item) == "passed", run.evidence(item)
        for secret in _secrets(lab):
            assert secret not in run.output and secret not in run.report_text
    dashboards = run.evidence("6.2.1")["measured"]["dashboards"]
    assert dashboards["sme-platform-overview"]["missing_panels"] == []
    assert dashboards["sme-platform-overview"]["panels"] == 5  # two of them inside the collapsed row
    assert run.evidence("6.2.2")["measured"]["Prometheus"] == (
        "prometheus: OK Successfully queried the Prometheus API."
    )
    access = run.evidence("6.2.3")["measured"]
    assert access["roles"] == {"Admin": 2, "Editor": 1, "Viewer": 1} and access["anonymous"] == 401
    backup = run.evidence("9.1.2")["measured"]
    assert backup["region"] == "ap-south-2" and backup["versioning"] == "Enabled"
    assert backup["lifecycle_rules"][0]["noncurrent_days"] == 90 and backup["objects"] >= 1


def test_a_missing_dashboard_and_an_unreachable_data_source_fail_with_the_reason(run_role, lab):
    with grafana_state(lab) as (state, save):
        state["dashboards"] = [d for d in state["dashboards"] if d["uid"] != "sme-platform-overview"]
        state["datasources"][0]["url"] = "http://127.0.0.1:9"  # nothing listens there
        save()
        run = run_role("operations", check=True)
    assert run.status("6.2.1") == "failed"
    assert "dashboard sme-platform-overview not found" in run.evidence("6.2.1")["detail"]
    assert run.status("6.2.2") == "failed"
    detail = run.evidence("6.2.2")["detail"]
    assert "data source Prometheus (prometheus) fails its health check" in detail and "refused" in detail
    assert run.status("6.2.3") == "passed" and run.status("9.1.2") == "passed"
    assert run.report["verdict"]["decision"] == "NO-GO"


def test_an_admin_too_many_and_an_empty_team_fail_user_access(run_role, lab):
    with grafana_state(lab) as (state, save):
        state["users"] += [{"userId": 9 + i, "login": f"extra{i}", "role": "Admin"} for i in range(2)]
        state["teams"][0]["members"] = []
        save()
        run = run_role("operations", check=True)
    detail = run.evidence("6.2.3")["detail"]
    assert run.status("6.2.3") == "failed"
    assert "4 org admins" in detail and "more than 3" in detail and "team SRE has no members" in detail


def test_a_bucket_without_versioning_or_lifecycle_fails_9_1_2(run_role, lab):
    bare = make_bucket(lab, "--region", "ap-south-2", "--versioning", "off", "--lifecycle-days", "0", "--object", "u/a")
    run = run_role("operations", check=True, operations_s3_bucket=bare)
    assert run.status("9.1.2") == "failed"
    detail = run.evidence("9.1.2")["detail"]
    assert "versioning never enabled" in detail and "no enabled lifecycle rule" in detail
    assert run.evidence("9.1.2")["measured"]["versioning"] == "off"


def test_a_suspended_bucket_in_the_primary_region_fails_9_1_2(run_role, lab):
    local = make_bucket(lab, "--region", "ap-south-1", "--object", "u/a")
    make_bucket_args = ["--region", "ap-south-1", "--versioning", "Suspended"]
    subprocess.run(
        [sys.executable, str(ROOT / "tests/lab/edge/s3_bucket.py"), "--endpoint", lab["SMEPLATFORM_LAB_S3_URL"],
         "--ca-bundle", lab["SMEPLATFORM_LAB_CA_BUNDLE"], local, *make_bucket_args],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    run = run_role("operations", check=True, operations_s3_bucket=local, operations_s3_region="ap-south-1")
    detail = run.evidence("9.1.2")["detail"]
    assert run.status("9.1.2") == "failed"
    assert "in the primary region ap-south-1: not offsite" in detail and "versioning Suspended" in detail


def test_a_missing_bucket_and_a_wrong_token_fail_naming_what_failed(run_role, lab):
    run = run_role(
        "operations",
        check=True,
        operations_s3_bucket="sme-no-such-bucket",
        operations_grafana_token="glsa_" + "x" * 32 + "_00000000",
    )
    assert "S3 bucket sme-no-such-bucket does not exist" in run.evidence("9.1.2")["detail"]
    assert "Grafana refused the token on GET" in run.evidence("6.2.2")["detail"]
    assert "glsa_xxxx" not in run.output


def test_admins_with_mfa_pass_and_an_admin_without_it_fails_7_3_2(run_role, lab, platform_release):
    admins = Path(lab["SMEPLATFORM_LAB_PLATFORM_ADMINS_FILE"])
    password = Path(lab["SMEPLATFORM_LAB_ADMIN_PASSWORD_FILE"]).read_text().strip()
    run = run_role("operations", check=True)
    assert run.status("7.3.2") == "passed", run.evidence("7.3.2")
    assert run.evidence("7.3.2")["measured"] == {"admins": 1, "without_mfa": []}
    listed = [
        {"id": "1", "email": "admin@smeplatform.test", "role": "admin", "mfaEnabled": True},
        {"id": "7", "email": "finance-admin@smeplatform.test", "role": "admin", "mfaEnabled": False},
    ]
    admins.parent.mkdir(parents=True, exist_ok=True)
    admins.write_text(json.dumps(listed))
    try:
        run = run_role("operations", check=True)
    finally:
        admins.unlink()
    assert run.status("7.3.2") == "failed"
    assert run.evidence("7.3.2")["detail"] == "admin account(s) without MFA: finance-admin@smeplatform.test"
    assert password not in run.output and password not in run.report_text
