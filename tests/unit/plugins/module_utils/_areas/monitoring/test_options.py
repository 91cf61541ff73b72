"""monitoring_check's option table: the settings it yields."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring.checks import MonitoringSettings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from ..area_module import no_log_options, validate


def test_a_bearer_token_becomes_the_authorization_header_and_is_no_log():
    params, errors = validate(
        "monitoring",
        "monitoring_check",
        {"prometheus_url": "http://p", "bearer_token": "t0k", "rules_file": "/dev/null"},
    )
    assert errors == []
    assert MonitoringSettings.from_options(params).headers == {"Authorization": "Bearer t0k"}
    assert "bearer_token" in no_log_options("monitoring", "monitoring_check")


def test_a_bad_retention_is_refused():
    with pytest.raises(ConfigurationError, match="not a duration"):
        MonitoringSettings.from_options({"prometheus_url": "http://p", "min_retention": "a month"})
