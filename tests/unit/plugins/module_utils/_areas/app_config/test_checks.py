from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.app_config import checks as app_config

GOOD = {
    "NODE_ENV": "production",
    "CORS_ORIGIN": "https://smeplatform.com/",
    "ALLOWED_ORIGINS": "https://smeplatform.com, https://www.smeplatform.com",
    "RATE_LIMIT_MAX": "100",
    "RATE_LIMIT_WINDOW_MS": "900000",
    "DEBUG": "false",
    "ENABLE_MILESTONE_WORKFLOWS": "true",
    "ENABLE_INVOICE_CONCIERGE": "false",
    "ENABLE_CREDIT_DECISIONING": "False",
    "LOG_LEVEL": "info",
}
FLAGS = {"ENABLE_MILESTONE_WORKFLOWS": True, "ENABLE_INVOICE_CONCIERGE": False, "ENABLE_CREDIT_DECISIONING": False}
POLICY = app_config.ConfigPolicy.from_options(
    {"frontend_url": "https://smeplatform.com", "domain": "smeplatform.com", "feature_flags": FLAGS}
)


def statuses(config, policy=POLICY):
    return {e["id"]: e["status"] for e in app_config.settings_entries(config, policy, "test")}


def test_production_settings_pass():
    assert set(statuses(GOOD).values()) == {"passed"}


@pytest.mark.parametrize(
    ("key", "value", "item"),
    [
        ("NODE_ENV", "development", "5.1.1"),
        ("CORS_ORIGIN", "*", "5.1.2"),
        ("CORS_ORIGIN", "https://smeplatform.com.evil.io", "5.1.2"),
        ("ALLOWED_ORIGINS", "", "5.1.3"),
        ("ALLOWED_ORIGINS", "http://smeplatform.com", "5.1.3"),
        ("ALLOWED_ORIGINS", "https://notsmeplatform.com", "5.1.3"),
        ("RATE_LIMIT_MAX", "1000", "5.1.4"),
        ("RATE_LIMIT_MAX", "0", "5.1.4"),
        ("RATE_LIMIT_WINDOW_MS", "60000", "5.1.4"),
        ("RATE_LIMIT_MAX", "lots", "5.1.4"),
        ("DEBUG", "true", "5.1.5"),
        ("ENABLE_INVOICE_CONCIERGE", "yes", "5.2.2"),
        ("LOG_LEVEL", "debug", "5.4.1"),
    ],
)
def test_each_setting_out_of_policy_fails_its_item(key, value, item):
    found = statuses({**GOOD, key: value})
    assert found[item] == "failed"
    assert [i for i, s in found.items() if s == "failed"] == [item]


@pytest.mark.parametrize(("key", "item"), [("DEBUG", "5.1.5"), ("ENABLE_CREDIT_DECISIONING", "5.2.3")])
def test_missing_settings_fail(key, item):
    config = dict(GOOD)
    del config[key]
    assert statuses(config)[item] == "failed"


def test_expected_flag_values():
    policy = app_config.ConfigPolicy.from_options(
        {
            "frontend_url": "https://smeplatform.com",
            "domain": "smeplatform.com",
            "feature_flags": {**FLAGS, "ENABLE_CREDIT_DECISIONING": True},
        }
    )
    assert statuses(GOOD, policy)["5.2.3"] == "failed"
    assert statuses({**GOOD, "ENABLE_CREDIT_DECISIONING": "true"}, policy)["5.2.3"] == "passed"


def test_flag_without_an_expected_value_fails_even_when_set_to_true_or_false():
    policy = app_config.ConfigPolicy.from_options(
        {"frontend_url": "https://smeplatform.com", "domain": "smeplatform.com"}
    )
    found = {e["id"]: e for e in app_config.settings_entries(GOOD, policy, "test")}
    for item, name in app_config.FEATURE_FLAGS.items():
        assert found[item]["status"] == "failed", item
        assert f"app_config_feature_flags.{name}" in found[item]["detail"]


def test_no_configuration_fails_every_settings_item():
    found = app_config.check_app_config(None, "configmap x/y not found", POLICY, None, "smeplatform.com", [], "")
    by_id = {e["id"]: e for e in found if e["id"] != "5.3.3"}
    assert all(e["status"] == "failed" for e in by_id.values())
    assert by_id["5.1.1"]["detail"] == "no application configuration found (configmap x/y not found)"
    assert by_id["5.3.1"]["detail"] == "no SMTP host configured"
