"""The secrets engine: the one-write run, check mode, rotation, reuse refusal, verify mode, no value anywhere."""

from __future__ import annotations

import base64
import datetime
import json

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import engine, keyring, plan
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

from ...secrets_fakes import EXTERNAL, FakeCore, FakeKube, _alnum, factory

NOW = datetime.datetime(2026, 1, 10, 12, 0, 0, tzinfo=datetime.UTC)


def params(**over):
    base = {
        "name": "sme-platform-secrets",
        "namespace": "sme-platform",
        "generated": [
            {"name": g.name, "size": g.size, "encoding": g.encoding, "item": g.item} for g in keyring.DEFAULT_GENERATED
        ],
        "external": dict(EXTERNAL),
        "verify_providers": False,
        "rotation_max_age_days": 90,
    }
    base.update(over)
    return base


class Masked:
    def __init__(self) -> None:
        self.values: set[str] = set()

    def __call__(self, value: str) -> None:
        self.values.add(value)


def stored_values(core: FakeCore, ns="sme-platform", name="sme-platform-secrets") -> dict[str, str]:
    obj = core.secrets[(ns, name)]
    return {k: base64.b64decode(v).decode() for k, v in obj["data"].items()}


def run(core, p=None, check=False, diff=False, now=NOW, mask=None, kube_factory=None):
    return engine.run(
        plan.build_request(p or params()),
        kube_factory or factory(core),
        mask or Masked(),
        check_mode=check,
        want_diff=diff,
        now=now,
    )


def test_exported_fingerprint_file_round_trips(tmp_path):
    core = FakeCore()
    result = run(core, params(environment="staging", export_fingerprints=str(tmp_path / "fp.json")))
    assert result["exported"] is True
    document = json.loads((tmp_path / "fp.json").read_text())
    assert document["environment"] == "staging" and document["secret"] == "sme-platform/sme-platform-secrets"
    values = stored_values(core)
    text = (tmp_path / "fp.json").read_text()
    assert not any(v in text for v in values.values())
    other = keyring.FingerprintSet.from_file("", str(tmp_path / "fp.json"))
    assert other.label == "staging"
    assert keyring.find_reuse({"X": values["JWT_SECRET"]}, [other]) == {"X": ["staging:JWT_SECRET"]}
    assert (tmp_path / "fp.json").stat().st_mode & 0o777 == 0o600
    again = run(core, params(environment="staging", export_fingerprints=str(tmp_path / "fp.json")))
    assert again["exported"] is False and again["changed"] is False


# --- the run ----------------------------------------------------------------------------------------------------


def test_four_steps_check_create_check_again_run_again():
    core = FakeCore()
    first_check = run(core, check=True, diff=True)
    assert core.secrets == {} and core.writes == []
    assert first_check["changed"] is True
    assert first_check["created"] == sorted(
        [g.name for g in keyring.DEFAULT_GENERATED] + [k.name for k in keyring.EXTERNAL_KEYS]
    )
    planned = first_check["diff"]["after"]["keys"]
    assert {planned[g.name] for g in keyring.DEFAULT_GENERATED} == {"(new value)"}
    assert all(planned[k.name].startswith("hmac-sha256:") for k in keyring.EXTERNAL_KEYS)
    assert {e["id"]: e["status"] for e in first_check["evidence"]}["3.1.1"] == "skipped"

    created = run(core, diff=True)
    assert created["changed"] is True and core.writes == ["create sme-platform/sme-platform-secrets"]
    values = stored_values(core)
    assert set(values) == {g.name for g in keyring.DEFAULT_GENERATED} | {k.name for k in keyring.EXTERNAL_KEYS}
    for g in keyring.DEFAULT_GENERATED:
        assert len(keyring.decode(values[g.name], g.encoding)) == g.size
    annotations = core.secrets[("sme-platform", "sme-platform-secrets")]["metadata"]["annotations"]
    salt = base64.b64decode(annotations[keyring.SALT_ANNOTATION])
    for key, value in values.items():
        assert annotations[keyring.fingerprint_annotation(key)] == keyring.fingerprint(salt, value)
        assert annotations[keyring.rotated_annotation(key)] == "2026-01-10T12:00:00Z"
    assert annotations[keyring.CREATED_ANNOTATION] == "2026-01-10T12:00:00Z"

    check_again = run(core, check=True, now=NOW + datetime.timedelta(hours=1))
    run_again = run(core, diff=True, now=NOW + datetime.timedelta(hours=2))
    assert check_again["changed"] is False and run_again["changed"] is False
    assert run_again["diff"]["before"] == run_again["diff"]["after"]
    assert core.writes == ["create sme-platform/sme-platform-secrets"]
    assert stored_values(core) == values
    statuses = {e["id"]: e["status"] for e in run_again["evidence"]}
    assert statuses == {
        "3.1.1": "passed",
        "3.2.1": "passed",
        "3.2.2": "passed",
        "3.2.3": "passed",
        "3.2.4": "passed",
        "3.3.1": "manual",  # provider checks off in this test
        "3.3.2": "manual",
        "3.3.3": "manual",
        "3.3.4": "manual",
        "7.3.3": "passed",
        "post.month1.3": "passed",
    }


def test_no_value_in_result_or_diff_and_every_value_masked():
    core = FakeCore()
    mask = Masked()
    p = params()
    result = run(core, p, diff=True, mask=mask)
    values = stored_values(core)
    text = json.dumps(result)
    for value in values.values():
        assert value in mask.values
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
        assert value.encode().hex() not in text


def test_rotation_changes_exactly_the_named_keys():
    core = FakeCore()
    run(core)
    before = stored_values(core)
    later = NOW + datetime.timedelta(days=3)
    result = run(core, params(rotate=["JWT_SECRET", "REDIS_PASSWORD"]), now=later)
    after = stored_values(core)
    assert result["rotated"] == ["JWT_SECRET", "REDIS_PASSWORD"]
    assert {k for k in before if before[k] != after[k]} == {"JWT_SECRET", "REDIS_PASSWORD"}
    annotations = core.secrets[("sme-platform", "sme-platform-secrets")]["metadata"]["annotations"]
    assert annotations[keyring.rotated_annotation("JWT_SECRET")] == "2026-01-13T12:00:00Z"
    assert annotations[keyring.rotated_annotation("DATABASE_PASSWORD")] == "2026-01-10T12:00:00Z"
    assert len(core.writes) == 2


def test_rotate_in_check_mode_writes_nothing():
    core = FakeCore()
    run(core)
    before = stored_values(core)
    result = run(core, params(rotate=["all"]), check=True)
    assert result["changed"] is True and result["rotated"] == sorted(g.name for g in keyring.DEFAULT_GENERATED)
    assert stored_values(core) == before and len(core.writes) == 1


def test_rotating_an_unknown_or_external_key_is_refused():
    with pytest.raises(ConfigurationError, match="SENDGRID_API_KEY"):
        plan.build_request(params(rotate=["SENDGRID_API_KEY"]))


def test_age_policy_reports_due_keys_and_rotate_due_rotates_generated_ones():
    core = FakeCore()
    run(core)
    late = NOW + datetime.timedelta(days=100)
    checked = run(core, check=True, now=late)
    assert sorted(checked["due_for_rotation"]) == sorted(
        [g.name for g in keyring.DEFAULT_GENERATED] + [k.name for k in keyring.EXTERNAL_KEYS]
    )
    statuses = {e["id"]: e for e in checked["evidence"]}
    assert statuses["7.3.3"]["status"] == "failed" and "100.0 days old" in statuses["7.3.3"]["detail"]
    assert statuses["post.month1.3"]["status"] == "failed"
    rotated = run(core, params(rotate_due=True), now=late)
    assert rotated["rotated"] == sorted(g.name for g in keyring.DEFAULT_GENERATED)
    month = {e["id"]: e for e in rotated["evidence"]}["post.month1.3"]
    # external keys are rotated at their provider: still due
    assert month["status"] == "failed" and "SENDGRID_API_KEY" in month["detail"]


def test_changed_external_key_is_updated_and_its_time_recorded():
    core = FakeCore()
    p = params()
    run(core, p)
    p2 = dict(p, external={**p["external"], "sendgrid_api_key": "SG." + _alnum(22) + "." + _alnum(43)})
    result = run(core, p2, now=NOW + datetime.timedelta(days=1))
    assert result["updated"] == ["SENDGRID_API_KEY"]
    assert result["rotated"] == [] and result["created"] == []
    assert stored_values(core)["SENDGRID_API_KEY"] == p2["external"]["sendgrid_api_key"]


def test_reused_value_fails_naming_the_key_and_writes_nothing():
    core = FakeCore()
    run(core)
    values = stored_values(core)
    staging = FakeCore()
    staging.namespaces.add("sme-staging")
    staging.secrets[("sme-staging", "sme-platform-secrets")] = {
        "metadata": {"name": "sme-platform-secrets", "namespace": "sme-staging", "resourceVersion": "1"},
        "data": {"DB": base64.b64encode(values["DATABASE_PASSWORD"].encode()).decode()},
    }
    p = params(compare_with=[{"label": "staging", "context": "staging", "namespace": "sme-staging"}])
    with pytest.raises(engine.SecretsCheckFailed) as caught:
        run(core, p, kube_factory=factory(core, {(None, "staging"): staging}))
    message = str(caught.value)
    assert "DATABASE_PASSWORD is reused in staging:DB" in message
    assert "rotate: [DATABASE_PASSWORD]" in message
    assert values["DATABASE_PASSWORD"] not in message
    assert len(core.writes) == 1
    failed = {e["id"]: e["status"] for e in caught.value.evidence}
    assert failed["3.2.2"] == "failed" and failed["3.2.1"] == "passed"
    # rotating the reused key clears it
    fixed = run(core, dict(p, rotate=["DATABASE_PASSWORD"]), kube_factory=factory(core, {(None, "staging"): staging}))
    assert fixed["rotated"] == ["DATABASE_PASSWORD"] and fixed["reused"] == {}


def test_missing_external_key_fails_before_the_cluster_is_contacted():
    p = params()
    p["external"] = {**p["external"], "razorpay_key_id": "rzp_test_" + _alnum(14), "twilio_auth_token": None}

    def no_cluster(*_):
        raise AssertionError("the cluster must not be contacted")

    with pytest.raises(engine.SecretsCheckFailed) as caught:
        engine.run(plan.build_request(p), no_cluster, Masked(), now=NOW)
    message = str(caught.value)
    assert "RAZORPAY_KEY_ID is a Razorpay test-mode key (rzp_test_)" in message
    assert "TWILIO_AUTH_TOKEN is missing" in message
    assert p["external"]["razorpay_key_id"] not in message


def test_unreachable_cluster_raises_and_writes_nothing():
    core = FakeCore()
    core.down = True
    with pytest.raises(ConnectionFailure, match="cannot reach the Kubernetes API"):
        run(core)
    assert core.secrets == {}


def test_concurrent_change_is_a_conflict_not_a_half_write(monkeypatch):
    core = FakeCore()
    run(core)
    original = core.replace_secret

    def changed_meanwhile(namespace, name, body):
        core.secrets[(namespace, name)]["metadata"]["resourceVersion"] = "999"
        return original(namespace, name, body)

    monkeypatch.setattr(core, "replace_secret", changed_meanwhile)
    before = stored_values(core)
    with pytest.raises(ApiError, match="changed or created by someone else"):
        run(core, params(rotate=["JWT_SECRET"]))
    assert stored_values(core) == before


def test_missing_namespace_is_created_only_when_asked():
    core = FakeCore()
    core.namespaces.clear()
    with pytest.raises(ApiError, match="creating Secret"):
        run(core)
    run(core, params(create_namespace=True))
    assert core.writes == ["create namespace sme-platform", "create sme-platform/sme-platform-secrets"]


def test_verify_mode_reads_only_and_reports_failures():
    core = FakeCore()
    result = run(core, params(mode="verify"))
    assert result["changed"] is False and core.writes == []
    statuses = {e["id"]: e["status"] for e in result["evidence"]}
    assert statuses["3.1.1"] == "failed" and statuses["3.2.1"] == "failed"
    assert statuses["3.3.1"] == "failed"  # configured but not in the Secret
    run(core)
    ok = run(core, params(mode="verify", external={}))
    assert {e["id"]: e["status"] for e in ok["evidence"]}["3.2.4"] == "passed"
    assert len(core.writes) == 1


def test_short_existing_value_is_reported_not_replaced():
    core = FakeCore()
    run(core)
    obj = core.secrets[("sme-platform", "sme-platform-secrets")]
    obj["data"]["JWT_SECRET"] = base64.b64encode(base64.b64encode(b"x" * 16)).decode()
    result = run(core)
    entry = {e["id"]: e for e in result["evidence"]}["3.2.1"]
    assert entry["status"] == "failed" and "16 bytes, policy 64" in entry["detail"]
    assert "JWT_SECRET changed outside this module; its rotation time is reset" in result["reasons"]


def test_fake_kube_matches_the_real_error_mapping():
    kube = FakeKube(FakeCore())
    assert k8s.get(kube, "x", k8s.path("v1", "secrets", "sme-platform", "nope")) is None


def test_key_without_set_time_annotation_has_unknown_age_never_age_zero():
    """A Secret made outside the collection (no annotations): 7.3.3 and post.month1.3 fail naming the keys."""
    core = FakeCore()
    run(core)
    obj = core.secrets[("sme-platform", "sme-platform-secrets")]
    obj["metadata"]["annotations"] = {}
    checked = run(core, check=True)
    items = {e["id"]: e for e in checked["evidence"]}
    assert items["7.3.3"]["status"] == "failed", items["7.3.3"]
    assert "age unknown" in items["7.3.3"]["detail"] and "JWT_SECRET" in items["7.3.3"]["detail"]
    assert items["7.3.3"]["measured"]["oldest_days"] is None
    assert items["post.month1.3"]["status"] == "failed" and "JWT_SECRET" in items["post.month1.3"]["detail"]
    # adopting the Secret records fingerprints but no invented set time: the age stays unknown
    adopted = run(core)
    assert {e["id"]: e for e in adopted["evidence"]}["7.3.3"]["status"] == "failed"
    kept = core.secrets[("sme-platform", "sme-platform-secrets")]["metadata"]["annotations"]
    assert keyring.rotated_annotation("JWT_SECRET") not in kept
    # rotating the generated keys starts a known age for them
    rotated = run(core, params(rotate_due=True))
    assert "JWT_SECRET" in rotated["rotated"]
    after = {e["id"]: e for e in rotated["evidence"]}["7.3.3"]
    assert "JWT_SECRET" not in after["detail"]
