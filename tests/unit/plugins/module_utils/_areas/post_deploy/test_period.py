"""The day, week and month reviews: series over the period with coverage, alerts, autoscaling, PostgreSQL
statistics, certificates; nothing passes on missing data."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import period
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Series
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

NOW = 1_800_000_000.0
BASE = {"prometheus_url": "http://prom", "period": 600, "points": 11, "min_coverage": 0.9}


def full(value: float, points: int = 11) -> list[Series]:
    return [Series({}, [(NOW - 600 + i * 60, value) for i in range(points)])]


def clients(range_answers=None, **kw) -> period.Clients:
    answers = range_answers or {}
    return period.Clients(
        range_query=lambda q, s, e, st: answers.get(q, []),
        alertmanager=kw.get("alertmanager"),
        kube=kw.get("kube"),
        database=kw.get("database"),
        certificate=kw.get("certificate"),
        rules=kw.get("rules"),
    )


def run(checks, c, **params):
    return period.check_period({**BASE, "checks": checks, **params}, c, now=NOW)


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


class Cursor:
    def __init__(self, answers):
        self.answers = answers
        self.description = []
        self.rows = []

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def execute(self, sql, params=None):
        for key, rows in self.answers.items():
            if key in sql:
                self.description = [SimpleNamespace(name=n) for n in rows[0]] if rows else []
                self.rows = [tuple(r.values()) for r in rows]
                return
        raise AssertionError(f"unexpected SQL {sql}")

    def fetchall(self):
        return self.rows


def database(answers):
    @contextmanager
    def connect():
        yield SimpleNamespace(cursor=lambda: Cursor(answers))

    return connect


LOADED = {"shared_preload_libraries": [{"preload": "pg_stat_statements", "installed": True}]}
DB = {"database": {"host": "db", "dbname": "sme", "user": "ops"}}


def test_database_performance_from_pg_stat_statements():
    answers = {
        **LOADED,
        "percentile_cont": [{"statements": 12, "calls": 400, "mean_ms": 1.5, "p95_ms": 8.0, "slow": 0}],
        "ORDER BY total_exec_time": [{"query": "SELECT 1", "calls": 5, "mean_ms": 0.1, "total_ms": 0.5}],
        "pg_statio_all_indexes": [{"hit": 990, "read": 10}],
    }
    [e] = run(["database"], clients(database=database(answers)), **DB)
    assert e["id"] == "post.day1.4" and e["status"] == "passed"
    assert e["measured"]["index_hit_ratio"] == 0.99


def test_database_without_pg_stat_statements_fails_saying_how_to_load_it():
    answers = {"shared_preload_libraries": [{"preload": "", "installed": False}]}
    [e] = run(["database"], clients(database=database(answers)), **DB)
    assert e["status"] == "failed" and "shared_preload_libraries" in e["detail"]


def test_database_with_no_statement_recorded_fails():
    answers = {
        **LOADED,
        "percentile_cont": [{"statements": 0, "calls": 0, "mean_ms": None, "p95_ms": None, "slow": 0}],
        "ORDER BY total_exec_time": [],
        "pg_statio_all_indexes": [{"hit": 990, "read": 10}],
    }
    [e] = run(["database"], clients(database=database(answers)), **DB)
    assert e["status"] == "failed" and "nothing to judge" in e["detail"]


class Kube:
    server = "https://k8s"

    def __init__(self, hpas, events=()):
        self.hpas, self.events = hpas, list(events)


def hpa(active="True", reason="ValidMetricFound"):
    return {
        "metadata": {"name": "api"},
        "spec": {"minReplicas": 2, "maxReplicas": 6},
        "status": {
            "currentReplicas": 3,
            "desiredReplicas": 3,
            "conditions": [
                {"type": "AbleToScale", "status": "True"},
                {"type": "ScalingActive", "status": active, "reason": reason, "message": "m"},
            ],
        },
    }


@pytest.fixture
def kube_items(monkeypatch):
    def items(kube, what, gv, plural, ns, selector=None):
        return kube.hpas if plural == "horizontalpodautoscalers" else kube.events

    monkeypatch.setattr(period.k8s, "items", items)


def test_autoscaling_passes_when_the_hpa_reads_its_metrics(kube_items):
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([hpa()])), namespace="ns")
    assert e["id"] == "post.week1.5" and e["status"] == "passed"


def test_autoscaling_without_metrics_fails_or_is_skipped_with_the_hpa_message(kube_items):
    broken = hpa("False", "FailedGetResourceMetric")
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([broken])), namespace="ns")
    assert e["status"] == "failed" and "FailedGetResourceMetric" in e["detail"]
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([broken])), namespace="ns", autoscaling_without_metrics="skip")
    assert e["status"] == "skipped" and "FailedGetResourceMetric" in e["detail"]


def test_no_hpa_fails(kube_items):
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([])), namespace="ns")
    assert e["status"] == "failed"


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
