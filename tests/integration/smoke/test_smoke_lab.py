"""The smoke gate against the lab: a good release passes, each kind of bad release is caught and named.

Serial by design: the tests change the one release the platform stand-in watches and put v1.0.0 back.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from smoke_lab_support import GOOD_TAG, LAB, client_ip, health_version, platform_get, quiet_prometheus

pytestmark = pytest.mark.lab

SMOKE_IDS = {
    "deploy.5", "deploy.7.1", "deploy.7.2", "deploy.7.3", "deploy.7.5", "deploy.7.6", "deploy.7.7", "deploy.7.8",
    "deploy.7.9", "post.hour.1", "post.hour.2", "post.hour.5", "2.2.4", "2.2.5", "7.2.1", "7.2.2", "7.2.3", "7.2.4",
    "7.2.5", *(f"success.{n}" for n in range(1, 9)),
}  # fmt: skip
MAIL = LAB / "edge" / "mail"


def items(report):
    return {i["id"]: i for i in report["items"]}


def evidence(report, item_id):
    return items(report)[item_id]["evidence"]


def test_good_release_is_all_green(release, smoke, lab_env):
    waited = quiet_prometheus(lab_env)
    before = set(MAIL.glob("*.eml"))
    proc, report = smoke()
    assert proc.returncode == 0, f"waited {waited:.0f} s for a quiet Prometheus\n{proc.stdout[-6000:]}"
    found = items(report)
    assert {i for i in SMOKE_IDS if found[i]["status"] == "passed"} == SMOKE_IDS
    assert report["verdict"]["decision"] == "GO"
    # Measured values and thresholds are recorded on the items.
    jwt = evidence(report, "7.2.5")[0]
    assert jwt["measured"] == "86400 s (24h)" and "86400" in jwt["threshold"]
    tls = evidence(report, "deploy.7.5")
    assert len(tls) == 4 and all(e["measured"]["days_left"] >= 14 for e in tls)
    assert evidence(report, "success.1")[0]["measured"]["pods_ready"] == "5/5"
    assert evidence(report, "7.2.1")[0]["measured"]["limit"] == 100
    # The test message arrived in the relay's mail drop, with this run's marker.
    email = evidence(report, "deploy.7.7")[0]
    queued = re.search(r"queued as (\S+\.eml)", email["measured"]).group(1)
    new = set(MAIL.glob("*.eml")) - before
    assert MAIL / queued in new
    run_id = re.search(r"smoke-([0-9a-f]{12})", email["detail"]).group(1)
    assert f"SME Platform smoke test {run_id}" in (MAIL / queued).read_text()
    # The sample invoice was written and removed: created, read back, deleted.
    assert evidence(report, "deploy.7.9")[0]["measured"] == "POST 201, GET 200, DELETE 204"
    assert "smoke gate (deploy) passed" in proc.stdout.lower()
    assert re.search(r"lab-cluster\s*:\s*ok=\d+\s+changed=0\s", proc.stdout), "the invoice is removed again: no change"


def _secrets() -> list[str]:
    names = ["admin-password", "smtp", "twilio_auth_token", "twilio_account_sid", "razorpay_key_secret", "jwt_secret"]
    return [(LAB / "edge" / "secrets" / n).read_text().strip() for n in names]


def test_check_mode_runs_read_only_checks_and_writes_nothing(release, smoke):
    before = set(MAIL.glob("*.eml"))
    # Metric checks depend on what other tests did to the lab in the last 10 minutes: not this test's subject.
    proc, report = smoke("--check", "-vvv", "--diff", smoke_skip_checks=["error_rate", "errors_10m", "critical_alerts"])
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert re.search(r"lab-cluster\s*:\s*ok=\d+\s+changed=0", proc.stdout)
    found = items(report)
    assert found["deploy.7.9"]["status"] == "skipped"
    assert "check mode" in found["deploy.7.9"]["evidence"][0]["detail"]
    assert found["deploy.7.7"]["status"] == "skipped", "no message sent in check mode"
    for read_only in ("deploy.7.3", "deploy.7.8", "7.2.5", "deploy.7.5", "deploy.7.6", "7.2.1", "7.2.2", "deploy.7.1"):
        assert found[read_only]["status"] == "passed", read_only
    assert set(MAIL.glob("*.eml")) == before
    # No secret in the verbose output, nor in the report, in any of its usual encodings.
    text = proc.stdout + proc.stderr + json.dumps(report)
    for secret in _secrets():
        for form in (secret, base64.b64encode(secret.encode()).decode(), secret.encode().hex()):
            assert form not in text


def test_expired_certificate_fails_tls_with_days_shown(release, smoke):
    proc, report = smoke(smoke_checks=["tls"], smoke_tls_names=["api.smeplatform.test", "expired.smeplatform.test"])
    assert proc.returncode != 0
    assert "Smoke gate (deploy) failed: 1 check(s) failed: tls:expired.smeplatform.test:15543" in proc.stdout
    expired = [e for e in evidence(report, "deploy.7.5") if e["status"] == "failed"]
    assert len(expired) == 1
    assert expired[0]["measured"]["days_left"] < 0
    assert expired[0]["measured"]["chain"] == "certificate has expired"
    assert re.search(r"-\d+(\.\d+)? days to expiry", expired[0]["detail"])
    assert items(report)["2.2.5"]["status"] == "failed"


def test_foreign_cors_origin_accepted_is_caught(release, smoke):
    foreign = "https://foreign-origin.invalid"
    try:
        release.deploy(GOOD_TAG, "config.allowedOrigins={https://smeplatform.test:15543," + foreign + "}")
        release.wait_serving(lambda: _acao(foreign) == foreign, "the widened CORS origins")
        proc, report = smoke(smoke_checks=["cors"])
        assert proc.returncode != 0
        assert "1 check(s) failed: cors" in proc.stdout
        assert f"foreign origin {foreign} accepted" in proc.stdout
        assert items(report)["7.2.2"]["status"] == "failed"
    finally:
        release.good()
    proc, report = smoke(smoke_checks=["cors"])
    assert proc.returncode == 0 and items(report)["7.2.2"]["status"] == "passed"


def _acao(origin):
    _unused, headers, _unused = platform_get("/health", {"Origin": origin})
    return {k.lower(): v for k, v in headers.items()}.get("access-control-allow-origin")


def test_disabled_rate_limit_is_caught(release, smoke):
    try:
        release.deploy(GOOD_TAG, "config.rateLimit.max=1000000")
        release.wait_serving(
            lambda: (
                platform_get("/api/auth/me", {"X-Forwarded-For": client_ip()})[1].get("X-RateLimit-Limit") == "1000000"
            ),
            "the raised rate limit",
        )
        proc, report = smoke(smoke_checks=["rate_limit"])
        assert proc.returncode != 0
        assert "1 check(s) failed: rate_limit" in proc.stdout
        entry = evidence(report, "7.2.1")[0]
        assert entry["measured"] == {"limit": 1000000, "requests": 1}, "decided from the header, without a flood"
        assert "above the policy of 100" in entry["detail"]
    finally:
        release.good()


def test_rollback_verification_records_rollback_4(release, smoke):
    proc, report = smoke(smoke_purpose="rollback")
    assert proc.returncode == 0, proc.stdout[-4000:]
    found = items(report)
    assert found["rollback.4"]["status"] == "passed"
    assert {e["detail"].split(":")[0] for e in found["rollback.4"]["evidence"]} == {
        "health",
        "frontend",
        "login",
        "pods",
    }
    assert all(found[i]["status"] == "not run" for i in SMOKE_IDS)


def test_faulty_release_fails_the_gate_naming_the_checks(release, smoke):
    try:
        release.deploy("v1.2.0-faulty")
        release.wait_serving(lambda: health_version() is None, "the faulty build")
        proc, report = smoke(smoke_settle_seconds=3)
        assert proc.returncode != 0
        line = next(x for x in proc.stdout.splitlines() if "Smoke gate (deploy) failed" in x)
        for name in ("health", "login", "jwt_lifetime", "invoice"):
            assert re.search(rf"\b{name}\b", line), (name, line)
        found = items(report)
        for item in ("deploy.7.3", "deploy.7.8", "deploy.7.9", "success.2", "success.7", "deploy.5"):
            assert found[item]["status"] == "failed", item
        assert found["deploy.7.5"]["status"] == "passed", "TLS is not what broke"
        assert report["verdict"]["decision"] == "NO-GO"
    finally:
        release.good()


def test_unknown_check_fails_before_anything_runs(release, smoke):
    proc, report = smoke(smoke_checks=["helth"])
    assert proc.returncode != 0
    assert "helth" in proc.stdout
    assert not any(i["evidence"] for i in report["items"] if i["id"] in SMOKE_IDS)
