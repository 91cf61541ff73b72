"""smoke_check's option table: known checks only, credentials no_log, every default filled in."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.ids import CHECKS

from ..area_module import no_log_options, validate


def test_only_known_checks_can_be_chosen():
    _unused, errors = validate("smoke", "smoke_check", {"api_url": "https://a", "checks": ["helth"]})
    assert any("helth" in e for e in errors)
    params, errors = validate("smoke", "smoke_check", {"api_url": "https://a", "checks": list(CHECKS)})
    assert errors == []


def test_credentials_are_no_log_and_dict_options_are_completed():
    assert {
        "login.password",
        "smtp.password",
        "twilio.auth_token",
        "razorpay.key_secret",
        "prometheus.bearer_token",
    } <= (no_log_options("smoke", "smoke_check"))
    params, _unused = validate("smoke", "smoke_check", {"api_url": "https://a"})
    assert params["prometheus"]["no_data"] == "fail" and params["prometheus"]["error_rate_query"]
