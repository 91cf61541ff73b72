"""The day, week and month reviews' run: series over the period with coverage, alerts, certificates, bad input;
nothing passes on missing data."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import period
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from .period_fakes import BASE, clients, full, run


def latency_query():
    return period.params_of({**BASE, "checks": ["performance"]})["queries"]["latency_p95"]


def test_performance_passes_on_a_covered_period_below_the_threshold_and_carries_the_series():
    [e] = run(["performance"], clients({latency_query(): full(0.05)}))
    assert e["id"] == "post.week1.1" and e["status"] == "passed"
    assert len(e["measured"]["series"]) == 11 and e["measured"]["coverage"] == 1.0


def test_performance_fails_above_the_threshold_naming_the_point():
    series = full(0.05)
    series[0].points[4] = (series[0].points[4][0], 0.9)
    [e] = run(["performance"], clients({latency_query(): series}))
    assert e["status"] == "failed" and "900 ms" in e["detail"]


def test_a_period_prometheus_holds_only_part_of_is_not_measured():
    [e] = run(["performance"], clients({latency_query(): full(0.05, points=3)}))
    assert e["status"] == "failed" and "not measured" in e["detail"]


def test_no_series_at_all_fails():
    [e] = run(["performance"], clients({}))
    assert e["status"] == "failed" and "no data" in e["detail"]


def test_errors_read_an_empty_ratio_with_traffic_as_zero():
    p = period.params_of({**BASE, "checks": ["errors"]})
    [e] = run(["errors"], clients({p["queries"]["traffic"]: full(3.0)}))
    assert e["id"] == "post.week1.2" and e["status"] == "passed" and e["measured"]["max"] == 0.0


def test_errors_without_traffic_or_ratio_fail():
    [e] = run(["errors"], clients({}))
    assert e["status"] == "failed"


def test_alerts_fail_while_one_pages_and_pass_when_none_does_with_rules_evaluating():
    firing = [{"labels": {"alertname": "HighErrorRate", "severity": "critical"}, "status": {"state": "active"}}]

    def rules():
        return [{"name": "HighErrorRate", "health": "ok"}]

    [bad] = run(["alerts"], clients(alertmanager=lambda path: firing, rules=rules), alertmanager_url="http://am")
    assert bad["status"] == "failed" and "HighErrorRate" in bad["detail"]
    [good] = run(["alerts"], clients(alertmanager=lambda path: [], rules=rules), alertmanager_url="http://am")
    assert good["status"] == "passed"
    [blind] = run(["alerts"], clients(alertmanager=lambda path: [], rules=lambda: []), alertmanager_url="http://am")
    assert blind["status"] == "failed" and "no alerting rule" in blind["detail"]


def test_certificates_need_the_horizon():
    cert = SimpleNamespace(
        chain_valid=True, hostname_matches=True, days_left=12.0, not_after="2026-12-14", verify_error="", host="api",
        port=443,
    )  # fmt: skip
    [e] = run(["certificates"], clients(certificate=lambda n: cert), certificates=["api:443"])
    assert e["id"] == "post.month1.3" and e["status"] == "failed"
    [e] = run(["certificates"], clients(certificate=lambda n: cert), certificates=["api:443"], certificate_min_days=7)
    assert e["status"] == "passed"


@pytest.mark.parametrize("bad", [{"period": 0}, {"points": 1}, {"min_coverage": 0}])
def test_bad_input_fails_early(bad):
    with pytest.raises(ConfigurationError):
        run(["performance"], clients({}), **bad)
