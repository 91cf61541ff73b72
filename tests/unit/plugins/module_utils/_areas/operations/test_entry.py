"""operations_check end to end against a fake Grafana and S3: each item passes on what the tools answer, fails with
the precise reason when they answer otherwise, and no credential reaches the result."""

from __future__ import annotations

import json

import pytest

from ..area_module import no_log_options, run_entry
from .fake_tools import ADMIN_PASSWORD, JWT, S3_KEY_ID, S3_SECRET, TOKEN, fake_tools


def args(base: str, **extra):
    return {
        "grafana_url": base,
        "grafana_token": TOKEN,
        "grafana_dashboards": [{"uid": "overview", "panels": ["Request rate", "Error rate"]}],
        "grafana_datasources": ["Prometheus"],
        "grafana_teams": ["SRE"],
        "s3_endpoint": base,
        "s3_bucket": "backups",
        "s3_region": "eu-west-1",
        "s3_primary_region": "ap-south-1",
        "s3_access_key_id": S3_KEY_ID,
        "s3_secret_access_key": S3_SECRET,
        "platform_url": base,
        "platform_admin_email": "admin@x.test",
        "platform_admin_password": ADMIN_PASSWORD,
        "timeout": 5,
        **extra,
    }


def run(monkeypatch, base, **extra):
    result = run_entry("operations", "operations_check", args(base, **extra), monkeypatch)
    assert not result["failed"], result.get("msg")
    text = json.dumps(result)
    assert TOKEN not in text and S3_SECRET not in text and ADMIN_PASSWORD not in text and JWT not in text
    return {e["id"]: e for e in result["evidence"]}


def test_every_item_passes_on_healthy_tools_and_reads_them_signed(monkeypatch):
    with fake_tools() as (base, _state, seen):
        found = run(monkeypatch, base)
    assert {i: e["status"] for i, e in found.items()} == dict.fromkeys(
        ("6.2.1", "6.2.2", "6.2.3", "9.1.2", "7.3.2"), "passed"
    )
    assert found["7.3.2"]["measured"] == {"admins": 2, "without_mfa": []}
    assert found["6.2.1"]["measured"]["dashboards"]["overview"]["panels"] == 2  # the one inside the row counts
    assert found["6.2.2"]["measured"]["Prometheus"].startswith("prometheus: OK")
    assert found["6.2.3"]["measured"]["anonymous"] == 401
    assert found["9.1.2"]["measured"]["versioning"] == "Enabled"
    assert found["9.1.2"]["measured"]["objects"] == 2  # both pages of the listing
    s3 = [r for r in seen if not r["path"].startswith("/api/")]
    assert s3 and all("Signature=" in r["auth"] and S3_SECRET not in r["auth"] for r in s3)


@pytest.mark.parametrize(
    ("change", "item", "reason"),
    [
        (lambda s: s["dashboards"].clear(), "6.2.1", "dashboard overview not found"),
        (lambda s: s["dashboards"]["overview"]["panels"].pop(), "6.2.1", "lacks panel(s) Error rate"),
        (lambda s: s["health"].update(database="failing"), "6.2.1", "database 'failing'"),
        (lambda s: s["datasources"][0].update(healthy=False), "6.2.2", "fails its health check: connection refused"),
        (lambda s: s["datasources"].clear(), "6.2.2", "data source Prometheus not configured"),
        (lambda s: s["users"].extend([{"login": f"a{i}", "role": "Admin"} for i in range(3)]), "6.2.3", "4 org admins"),
        (lambda s: s["users"].pop(0), "6.2.3", "no org admin"),
        (lambda s: s["teams"][0].update(memberCount=0), "6.2.3", "team SRE has no members"),
        (lambda s: s.update(anonymous=200), "6.2.3", "an anonymous request reads the dashboard list"),
        (lambda s: s["bucket"].update(versioning=""), "9.1.2", "versioning never enabled"),
        (lambda s: s["bucket"].update(versioning="Suspended"), "9.1.2", "versioning Suspended"),
        (lambda s: s["bucket"].update(lifecycle=False), "9.1.2", "no enabled lifecycle rule"),
        (lambda s: s["bucket"].update(region="ap-south-1"), "9.1.2", "in the primary region ap-south-1: not offsite"),
        (lambda s: s["bucket"].update(objects=[]), "9.1.2", "no file backup written"),
        (lambda s: s["bucket"]["objects"].pop(), "9.1.2", "newest object uploads/a.pdf is"),
        (lambda s: s["platform"]["admins"][1].update(mfaEnabled=False), "7.3.2", "without MFA: ops@x.test"),
        (lambda s: s["platform"]["admins"][1].pop("mfaEnabled"), "7.3.2", "without MFA: ops@x.test"),
        (lambda s: s["platform"]["admins"].clear(), "7.3.2", "lists no admin account"),
    ],
)
def test_each_fault_fails_its_item_with_the_reason(monkeypatch, change, item, reason):
    with fake_tools() as (base, state, _seen):
        change(state)
        found = run(monkeypatch, base)
    assert found[item]["status"] == "failed"
    assert reason in found[item]["detail"], found[item]["detail"]
    others = [i for i, e in found.items() if i != item and e["status"] != "passed"]
    assert others == []


def test_a_refused_token_fails_the_grafana_items_naming_the_request_not_the_token(monkeypatch):
    with fake_tools() as (base, _state, _seen):
        found = run(monkeypatch, base, grafana_token="glsa_wrong_token_value_000000000000_00000000")
    for item in ("6.2.2", "6.2.3"):
        assert found[item]["status"] == "failed"
        assert "Grafana refused the token on GET" in found[item]["detail"]
        assert "glsa_wrong" not in found[item]["detail"]
    assert found["9.1.2"]["status"] == "passed"


def test_a_missing_bucket_and_wrong_keys_fail_9_1_2_with_the_reason(monkeypatch):
    with fake_tools() as (base, _state, _seen):
        assert "does not exist" in run(monkeypatch, base, s3_bucket="other")["9.1.2"]["detail"]
        refused = run(monkeypatch, base, s3_access_key_id="AKIAWRONGKEY00000000")["9.1.2"]
    assert refused["status"] == "failed" and "S3 refused GET" in refused["detail"]


def test_admins_are_skipped_while_no_release_serves_the_platform_and_a_wrong_password_fails(monkeypatch):
    with fake_tools() as (base, state, _seen):
        state["platform"]["status"] = 503
        skipped = run(monkeypatch, base)["7.3.2"]
        state["platform"]["status"] = 200
        refused = run(monkeypatch, base, platform_admin_password="wrong-password-1")["7.3.2"]
    assert skipped["status"] == "skipped" and "checked after the deploy" in skipped["detail"]
    assert refused["status"] == "failed" and "answered 401 without a token" in refused["detail"]
    assert "wrong-password-1" not in refused["detail"]


def test_unconfigured_tools_fail_their_items_naming_the_setting(monkeypatch):
    result = run_entry("operations", "operations_check", {}, monkeypatch)
    found = {e["id"]: e for e in result["evidence"]}
    assert {i: e["status"] for i, e in found.items()} == dict.fromkeys(("6.2.1", "6.2.2", "6.2.3", "9.1.2"), "failed")
    assert "operations_grafana_url" in found["6.2.1"]["detail"]
    assert "operations_s3_bucket" in found["9.1.2"]["detail"]


def test_bad_input_fails_the_module_before_any_request(monkeypatch):
    result = run_entry("operations", "operations_check", {"s3_max_backup_age": "a day"}, monkeypatch)
    assert result["failed"] and "not a duration" in result["msg"]
    result = run_entry("operations", "operations_check", {"s3_bucket": "b", "s3_region": "r"}, monkeypatch)
    assert result["failed"] and "no S3 credentials for bucket b" in result["msg"]
    result = run_entry("operations", "operations_check", {"grafana_url": "https://g"}, monkeypatch)
    assert result["failed"] and "no Grafana token" in result["msg"]


def test_credentials_are_no_log():
    assert no_log_options("operations", "operations_check") == {
        "grafana_token",
        "s3_secret_access_key",
        "platform_admin_password",
    }
