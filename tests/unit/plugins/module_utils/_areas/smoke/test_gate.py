"""The smoke gate: which probes run, and the evidence they record."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import CHECKS, Smoke
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import validate
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import ProbeResult, skipped

# --- selection and evidence --------------------------------------------------------------------------

BASE = {"api_url": "https://api.unit.test", "frontend_url": "https://unit.test"}
LOGIN = {"login": {"email": "admin@unit.test", "password": "pw"}}


def test_deploy_runs_every_check_by_default():
    assert Smoke({**BASE, **LOGIN}).selected == list(CHECKS)


def test_rollback_runs_the_narrow_set_and_records_rollback_4():
    smoke = Smoke({**BASE, **LOGIN, "purpose": "rollback"})
    assert smoke.selected == ["health", "frontend", "login", "pods"]
    summary = smoke.summarise([ProbeResult("health", "health", "passed", "200", "200", "", "", 1, 0.1)], 0.1)
    assert [e["id"] for e in summary["evidence"]] == ["rollback.4"]


def test_token_users_bring_login_along():
    assert Smoke({**BASE, **LOGIN, "checks": ["invoice"]}).selected == ["login", "invoice"]


def test_login_checks_need_credentials_before_anything_runs():
    with pytest.raises(ConfigurationError, match="login.email and login.password"):
        Smoke({**BASE, "checks": ["jwt_lifetime"]})
    assert Smoke({**BASE, "checks": ["health"]}).selected == ["health"]


def test_unknown_check_names():
    with pytest.raises(ConfigurationError, match="unknown check"):
        Smoke({**BASE, "checks": ["helth"]})


def test_bad_resolver_and_url_fail_early():
    with pytest.raises(ConfigurationError):
        Smoke({**BASE, "checks": ["health"], "resolver": "dns.example.com"})
    with pytest.raises(ConfigurationError):
        Smoke({"api_url": "api.unit.test/health", "checks": ["health"]})


def test_summary_names_failed_checks_and_builds_valid_evidence():
    smoke = Smoke({**BASE, "checks": ["health", "tls"]})
    results = [
        ProbeResult(
            "health", "health", "failed", "503", "200", "answered 503", "https://api.unit.test/health", 4, 20.1
        ),
        ProbeResult("tls:old.unit.test:443", "tls", "failed", {"days_left": -35.0}, ">= 14", "expired", "", 1, 0.1),
        ProbeResult("frontend", "frontend", "skipped", None, None, "no frontend", "", 1, 0.0),
    ]
    summary = smoke.summarise(results, 20.2)
    assert summary["passed"] is False
    assert summary["failed_checks"] == ["health", "tls:old.unit.test:443"]
    assert summary["summary"] == {"passed": 0, "failed": 2, "skipped": 1}
    ids = [(e["id"], e["status"]) for e in summary["evidence"]]
    assert ("deploy.7.3", "failed") in ids and ("2.2.5", "failed") in ids and ("deploy.5", "skipped") in ids
    for e in summary["evidence"]:
        assert validate(e) == e
    tls = next(e for e in summary["evidence"] if e["id"] == "deploy.7.5")
    assert tls["measured"] == {"days_left": -35.0}
    assert tls["detail"].startswith("tls:old.unit.test:443: ")


def test_check_mode_skips_the_invoice_without_any_request():
    smoke = Smoke({**BASE, **LOGIN, "checks": ["invoice"]}, check_mode=True)
    outcome = smoke.check_invoice()
    assert outcome.status == "skipped"
    assert "check mode" in outcome.detail


def test_unconfigured_integrations_are_skipped():
    smoke = Smoke({**BASE, "checks": ["email", "sms", "payment", "error_rate", "pods"]})
    for check in (smoke.check_email, smoke.check_sms, smoke.check_payment, smoke.check_error_rate, smoke.check_pods):
        assert check().status == "skipped"
    assert skipped("x").status == "skipped"


def test_the_gate_says_its_decision_once():
    smoke = Smoke({**BASE, "checks": ["health"]})
    bad = smoke.summarise([ProbeResult("health", "health", "failed", "503", "200", "answered 503", "", 1, 1.0)], 1.0)
    assert bad["msg"] == "Smoke gate (deploy) failed: 1 check(s) failed: health. [health] answered 503."
    good = smoke.summarise([ProbeResult("health", "health", "passed", "200", "200", "ok", "", 1, 1.0)], 1.5)
    assert good["passed"] and good["msg"] == "Smoke gate (deploy) passed: 1 passed, 0 failed, 0 skipped in 1.5 s."
