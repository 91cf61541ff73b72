from __future__ import annotations

import time

import pytest
import yaml

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import checks as monitoring
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from .prom_fakes import PromApi


def test_deploy_7_4_needs_samples_of_the_running_release_not_just_the_counter():
    now = time.time()
    counter = 'max(timestamp(http_requests_total{job="sme-platform-backend"}))'
    versions = 'count by (version) (app_info{job="sme-platform-backend"})'
    new = 'max(timestamp(app_info{job="sme-platform-backend",version="v2"}))'
    old_only = PromApi({counter: now, versions: [({"version": "v1"}, 1.0)]}, release_version="v2")
    found = monitoring.samples_entry(old_only)
    assert found["status"] == "failed" and "versions scraped: v1" in found["detail"]
    running = PromApi({counter: now, new: now, versions: [({"version": "v2"}, 1.0)]}, release_version="v2")
    assert monitoring.samples_entry(running)["status"] == "passed"


def test_expected_rules_of_the_platform_file():
    rules = monitoring.expected_rules("roles/monitoring/files/sme-platform-alerts.yml")
    assert "BackendDown" in rules["sme-platform-availability"]
    assert sum(len(v) for v in rules.values()) == 14


def test_expected_rules_rejects_a_file_without_groups(tmp_path):
    path = tmp_path / "r.yml"
    path.write_text(yaml.safe_dump({"rules": []}))
    with pytest.raises(ConfigurationError):
        monitoring.expected_rules(str(path))


class FakeApi:
    def __init__(self, status, config, senders=1):
        self.status, self.config, self.senders = status, config, senders
        self.settings = monitoring.MonitoringSettings.from_options(
            {"prometheus_url": "http://p", "alertmanager_url": "http://a"}
        )

    def get(self, base, path):
        return self.status, {"config": {"original": yaml.safe_dump(self.config)}}

    def prometheus_data(self, path):
        return {"activeAlertmanagers": [{}] * self.senders}


def test_notification_needs_a_routed_email_or_slack_receiver():
    routed = {
        "route": {"receiver": "null", "routes": [{"receiver": "ops"}]},
        "receivers": [{"name": "null"}, {"name": "ops", "email_configs": [{"to": "ops@x"}]}],
    }
    found = monitoring.notification_entries(FakeApi(200, routed))
    assert found[0]["status"] == "passed" and found[0]["measured"] == {"ops": "email"}
    unrouted = {"route": {"receiver": "null"}, "receivers": routed["receivers"]}
    assert monitoring.notification_entries(FakeApi(200, unrouted))[0]["status"] == "failed"
    webhook_only = {"route": {"receiver": "w"}, "receivers": [{"name": "w", "webhook_configs": [{"url": "x"}]}]}
    assert monitoring.notification_entries(FakeApi(200, webhook_only))[0]["status"] == "failed"


def test_composites_follow_the_measured_items():
    settings = monitoring.MonitoringSettings.from_options({"prometheus_url": "http://p", "release_version": "v2"})
    ok = {i: {"status": "passed"} for i in ("6.1.1", "6.1.2", "6.1.3", "6.4.2", "deploy.7.4")}
    deploy6, success9 = monitoring.composite_entries(settings, ok, {"_alertmanagers": {"measured": 1}})
    assert deploy6["status"] == success9["status"] == "passed"
    assert "Grafana not checked" in deploy6["detail"]
    _unused, success9 = monitoring.composite_entries(
        settings, {**ok, "deploy.7.4": {"status": "failed"}}, {"_alertmanagers": {"measured": 1}}
    )
    assert success9["status"] == "failed" and "release v2 scraped" in success9["detail"]
    _unused, success9 = monitoring.composite_entries(settings, ok, {"_alertmanagers": {"measured": 0}})
    assert success9["status"] == "failed" and "alertmanager connected" in success9["detail"]
    deploy6, _unused = monitoring.composite_entries(
        settings, ok, {"_alertmanagers": {"measured": 1}, "_grafana": {"ok": False}}
    )
    assert deploy6["status"] == "failed" and "grafana healthy" in deploy6["detail"]
