"""app_config_check's option table: the policy it yields; planned values are needed to check them."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.app_config.checks import ConfigPolicy

from ..area_module import no_log_options, validate

REQUIRED = {"namespace": "ns", "frontend_url": "https://x.test", "domain": "x.test", "mail_domain": "x.test"}


def test_feature_flags_written_as_words_become_booleans():
    policy = ConfigPolicy.from_options({**REQUIRED, "feature_flags": {"A": "yes", "B": "false", "C": True}})
    assert policy.feature_flags == {"A": True, "B": False, "C": True}


def test_source_planned_needs_the_planned_values_and_the_smtp_password_is_no_log():
    _unused, errors = validate("app_config", "app_config_check", {**REQUIRED, "source": "planned"})
    assert any("planned" in e for e in errors)
    assert "smtp_password" in no_log_options("app_config", "app_config_check")
