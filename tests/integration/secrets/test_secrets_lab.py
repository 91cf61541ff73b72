"""The secrets role against the lab: four steps, rotation, reuse from staging, bad input and the leak test."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

SECRET = "sme-platform-secrets"
VERIFY = Path(__file__).parent / "verify.yml"

GENERATED = {"JWT_SECRET": 64, "DATABASE_PASSWORD": 32, "REDIS_PASSWORD": 24, "ENCRYPTION_KEY": 32}
EXTERNAL = [
    "SENDGRID_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "RAZORPAY_KEY_ID",
    "RAZORPAY_KEY_SECRET",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
]
ROTATED_AT = "secrets.smeplatform.io/rotated-at."


def _decoded_size(value: str) -> int:
    return len(base64.urlsafe_b64decode(value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4)))


def test_four_steps_then_rotation_changes_exactly_the_named_keys(lab):
    ns = lab.namespace("secrets-it")
    check = lab.play(ns, check=True)
    assert check.proc.returncode == 0, check.output[-4000:]
    assert check.changed == 1
    assert lab.secret(ns) is None, "check mode must not create the Secret"
    assert "would generate" in json.dumps(check.report())

    real = lab.play(ns)
    assert real.proc.returncode == 0, real.output[-4000:]
    assert real.changed == 1
    obj = lab.secret(ns)
    values = lab.values(ns)
    assert sorted(values) == sorted(list(GENERATED) + EXTERNAL)
    for key, size in GENERATED.items():
        assert _decoded_size(values[key]) == size, key
    assert values["SENDGRID_API_KEY"] == lab.lab_secret_file("sendgrid_api_key")
    statuses = real.statuses()
    for item in ("3.1.1", "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3.1", "3.3.2", "3.3.3", "7.3.3", "post.month1.3"):
        assert statuses[item] == "passed", (item, statuses)
    assert statuses["3.3.4"] == "manual"  # the lab has no AWS stand-in: format only, sign-off needed
    version = obj.metadata.resource_version

    again_check = lab.play(ns, check=True)
    again = lab.play(ns)
    assert again_check.proc.returncode == 0 and again.proc.returncode == 0, again.output[-4000:]
    assert again_check.changed == 0 and again.changed == 0
    assert lab.secret(ns).metadata.resource_version == version
    assert lab.values(ns) == values

    before_annotations = lab.secret(ns).metadata.annotations
    rotated = lab.play(ns, secrets_rotate=["JWT_SECRET", "REDIS_PASSWORD"])
    assert rotated.proc.returncode == 0, rotated.output[-4000:]
    assert rotated.changed == 1
    after = lab.values(ns)
    assert {k for k in values if values[k] != after[k]} == {"JWT_SECRET", "REDIS_PASSWORD"}
    after_annotations = lab.secret(ns).metadata.annotations
    changed_times = {
        k[len(ROTATED_AT) :]
        for k, v in after_annotations.items()
        if k.startswith(ROTATED_AT) and before_annotations.get(k) != v
    }
    assert changed_times <= {"JWT_SECRET", "REDIS_PASSWORD"}
    assert rotated.statuses()["post.month1.3"] == "passed"


def test_values_reused_from_staging_fail_the_run_naming_the_key(lab):
    staging, prod = lab.namespace("secrets-it-staging"), lab.namespace("secrets-it-prod")
    export = lab.tmp / "staging-fingerprints.json"
    made = lab.play(
        staging, verbose=False, secrets_manage_external=False, smeplatform_keys_export_fingerprints=str(export)
    )
    assert made.proc.returncode == 0, made.output[-4000:]
    assert json.loads(export.read_text())["fingerprints"].keys() == set(GENERATED)
    by_secret = [{"label": "staging", "namespace": staging}]
    by_file = [{"label": "staging-file", "fingerprint_file": str(export)}]

    clean = lab.play(prod, verbose=False, smeplatform_keys_compare_with=by_secret + by_file)
    assert clean.proc.returncode == 0, clean.output[-4000:]
    evidence = {e["id"]: e for i in clean.report()["items"] for e in i["evidence"]}
    assert "not found in staging, staging-file" in evidence["3.2.2"]["detail"]

    # staging gets production's database password: both ways of comparing must catch it
    prod_password = lab.values(prod)["DATABASE_PASSWORD"]
    staging_obj = lab.secret(staging)
    staging_obj.data["DATABASE_PASSWORD"] = base64.b64encode(prod_password.encode()).decode()
    lab.core.replace_namespaced_secret(SECRET, staging, staging_obj)
    version = lab.secret(prod).metadata.resource_version

    reused = lab.play(prod, verbose=False, smeplatform_keys_compare_with=by_secret, secrets_rotate=["JWT_SECRET"])
    assert reused.proc.returncode != 0
    assert "DATABASE_PASSWORD is reused in staging:DATABASE_PASSWORD" in reused.output
    assert prod_password not in reused.output
    assert lab.secret(prod).metadata.resource_version == version, "nothing may be written when a value is reused"

    again = lab.play(
        staging, verbose=False, secrets_manage_external=False, smeplatform_keys_export_fingerprints=str(export)
    )
    assert again.proc.returncode == 0
    by_file_run = lab.play(prod, verbose=False, smeplatform_keys_compare_with=by_file)
    assert by_file_run.proc.returncode != 0
    assert "DATABASE_PASSWORD is reused in staging-file:DATABASE_PASSWORD" in by_file_run.output
    assert lab.secret(prod).metadata.resource_version == version

    fixed = lab.play(
        prod, verbose=False, smeplatform_keys_compare_with=by_secret + by_file, secrets_rotate=["DATABASE_PASSWORD"]
    )
    assert fixed.proc.returncode == 0, fixed.output[-4000:]
    assert lab.values(prod)["DATABASE_PASSWORD"] != prod_password


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ({"sendgrid_api_key": ""}, "SENDGRID_API_KEY is missing"),
        ({"aws_secret_access_key": ""}, "AWS_SECRET_ACCESS_KEY is missing"),
        ({"razorpay_key_id": "@razorpay_test_key_id"}, "RAZORPAY_KEY_ID is a Razorpay test-mode key (rzp_test_)"),
        ({"sendgrid_api_key": "@twilio_auth_token"}, "SENDGRID_API_KEY is malformed: a SendGrid API key is 'SG.'"),
        ({"aws_access_key_id": "AKIAlowercase0000000"}, "AWS_ACCESS_KEY_ID is malformed: an AWS access key id"),
        (
            {"twilio_account_sid": "@twilio_test_account_sid", "twilio_auth_token": "@twilio_test_auth_token"},
            "test account credentials are not production credentials (Twilio error 20008)",
        ),
        ({"razorpay_key_secret": "Wrong0Secret0For0Live0Key"}, "Razorpay refused the key: HTTP 401"),
    ],
)
def test_bad_external_input_is_named_and_nothing_is_written(lab, override, expected):
    ns = lab.namespace("secrets-it-bad")
    resolved = {k: (lab.lab_secret_file(v[1:]) if v.startswith("@") else v) for k, v in override.items()}
    run = lab.play(ns, verbose=False, secrets_external=lab.external(**resolved))
    assert run.proc.returncode != 0
    assert expected in run.output, run.output[-4000:]
    for value in resolved.values():
        if value:
            assert value not in run.output
    assert lab.secret(ns) is None


def test_unreachable_cluster_is_a_clear_error_and_writes_nothing(lab):
    ns = lab.namespace("secrets-it-down")
    config = Path(lab.env["KUBECONFIG"]).read_text().replace("127.0.0.1:16443", "127.0.0.1:16999")
    dead = lab.tmp / "dead-kubeconfig"
    dead.write_text(config)
    run = lab.play(ns, verbose=False, smeplatform_kubeconfig=str(dead), secrets_request_timeout=3)
    assert run.proc.returncode != 0
    assert "cannot reach the Kubernetes API at https://127.0.0.1:16999" in run.output
    assert lab.secret(ns) is None


def test_verify_entry_point_reports_a_missing_key_without_changing_anything(lab):
    ns = lab.namespace("secrets-it-verify")
    assert lab.play(ns, verbose=False).proc.returncode == 0
    ok = lab.play(ns, verbose=False, playbook=VERIFY)
    assert ok.proc.returncode == 0 and ok.changed == 0, ok.output[-4000:]
    assert ok.statuses()["3.2.3"] == "passed"
    obj = lab.secret(ns)
    del obj.data["REDIS_PASSWORD"]
    lab.core.replace_namespaced_secret(SECRET, ns, obj)
    version = lab.secret(ns).metadata.resource_version
    missing = lab.play(ns, verbose=False, playbook=VERIFY)
    assert missing.proc.returncode != 0  # the report's gate: NO-GO
    assert missing.statuses()["3.2.3"] == "failed"
    assert lab.secret(ns).metadata.resource_version == version


def _forms(value: str) -> set[str]:
    raw = value.encode()
    return {
        value,
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        raw.hex(),
        raw.hex().upper(),
    }


def test_no_secret_value_in_any_output_or_report(lab):
    ns, staging = lab.namespace("secrets-it-leak"), lab.namespace("secrets-it-leak-staging")
    lab.unmasked_reports = True
    seen: set[str] = set()
    lab.play(ns, check=True)
    assert lab.play(ns).proc.returncode == 0
    seen |= set(lab.values(ns).values())
    lab.play(ns, check=True)
    lab.play(ns)
    lab.play(ns, check=True, secrets_rotate=["all"])
    assert lab.play(ns, secrets_rotate=["all"]).proc.returncode == 0
    seen |= set(lab.values(ns).values())
    lab.play(ns, playbook=VERIFY)
    # failing runs: a reused value, a provider refusing test credentials, verify with a missing key
    lab.play(staging, secrets_manage_external=False)
    obj = lab.secret(staging)
    obj.data["JWT_SECRET"] = base64.b64encode(lab.values(ns)["JWT_SECRET"].encode()).decode()
    lab.core.replace_namespaced_secret(SECRET, staging, obj)
    reused = lab.play(ns, smeplatform_keys_compare_with=[{"label": "staging", "namespace": staging}])
    assert reused.proc.returncode != 0 and "JWT_SECRET is reused in staging" in reused.output
    test_creds = {
        "twilio_account_sid": lab.lab_secret_file("twilio_test_account_sid"),
        "twilio_auth_token": lab.lab_secret_file("twilio_test_auth_token"),
        "razorpay_key_id": lab.lab_secret_file("razorpay_test_key_id"),
        "razorpay_key_secret": lab.lab_secret_file("razorpay_test_key_secret"),
    }
    refused = lab.play(ns, secrets_external=lab.external(**test_creds))
    assert refused.proc.returncode != 0 and "RAZORPAY_KEY_ID is a Razorpay test-mode key" in refused.output
    seen |= set(test_creds.values()) | set(lab.values(staging).values())
    obj = lab.secret(ns)
    del obj.data["ENCRYPTION_KEY"]
    lab.core.replace_namespaced_secret(SECRET, ns, obj)
    failed_verify = lab.play(ns, playbook=VERIFY)
    assert failed_verify.proc.returncode != 0

    assert len(lab.runs) == 11
    assert all("-vvv" in r.proc.args and "--diff" in r.proc.args for r in lab.runs)
    # -vvv shows each module's arguments; the credential options are there, masked by no_log
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in lab.runs[1].output
    assert "hmac-sha256:" in lab.runs[1].output  # the diff: fingerprints in place of values
    texts = {f"run {i} output": r.output for i, r in enumerate(lab.runs)}
    for i, r in enumerate(lab.runs):
        for path in r.report_dir.iterdir():
            texts[f"run {i} {path.name}"] = path.read_text()
    assert sum(1 for name in texts if name.endswith(".md")) == 11
    assert len(seen) >= 4 + 4 + 7 + 4
    # positive control: the search finds a value where one is known to be (the vars files handed to the runs)
    handed = "".join(p.read_text() for p in lab.tmp.glob("vars-*.json"))
    assert any(form in handed for form in _forms(test_creds["razorpay_key_secret"]))
    hits = []
    for value in seen:
        for form in _forms(value):
            hits += [(name, value[:4] + "...") for name, text in texts.items() if form in text]
    assert hits == [], f"secret values found in: {hits[:10]}"
