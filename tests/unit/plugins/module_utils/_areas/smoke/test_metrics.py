"""The smoke gate's metric rules: PromQL results against thresholds, windows since the rollout."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.metrics import (
    MetricProbes,
    alerts_outcome,
    error_rate_outcome,
    narrow_ranges,
    promql_outcome,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import parse_response

# --- PromQL results ----------------------------------------------------------------------------------


def result(*values, query="q"):
    return parse_response(
        {
            "status": "success",
            "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, v]} for v in values]},
        },
        query,
    )


def test_error_rate_below_threshold():
    outcome = promql_outcome(result("0.004"), 0.01, "fail", " %", scale=100)
    assert (outcome.status, outcome.measured, outcome.threshold) == ("passed", "0.4 %", "< 1 %")


def test_error_rate_at_threshold_fails_without_retry():
    outcome = promql_outcome(result("0.01"), 0.01, "fail", " %", scale=100)
    assert outcome.status == "failed" and outcome.final


def test_latency_in_ms():
    outcome = promql_outcome(result("0.25"), 0.2, "fail", " ms", scale=1000)
    assert (outcome.status, outcome.measured) == ("failed", "250 ms")


@pytest.mark.parametrize(("policy", "status"), [("fail", "failed"), ("pass", "passed"), ("skip", "skipped")])
def test_no_data_is_decided_by_the_policy(policy, status):
    for empty in (result(), result("NaN")):
        outcome = promql_outcome(empty, 0.2, policy)
        assert outcome.status == status
        assert outcome.measured == "no data"
        assert "no data" in outcome.detail


def test_empty_error_ratio_with_traffic_is_zero():
    outcome = error_rate_outcome(result(), result("3.2"), 0.01, "fail")
    assert (outcome.status, outcome.measured) == ("passed", "0 %")


@pytest.mark.parametrize("traffic", [result(), result("0"), None])
def test_empty_error_ratio_without_traffic_is_no_data(traffic):
    assert error_rate_outcome(result(), traffic, 0.01, "fail").measured == "no data"


def test_alerts():
    assert alerts_outcome(result()).status == "passed"
    firing = parse_response(
        {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [{"metric": {"alertname": "HighErrorRate"}, "value": [0, "1"]}],
            },
        },
        "ALERTS",
    )
    outcome = alerts_outcome(firing)
    assert outcome.status == "failed"
    assert "HighErrorRate" in outcome.detail


def test_narrow_ranges_cuts_windows_to_the_time_the_release_served():
    query = 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
    assert narrow_ranges(query, 42.2) == (
        'sum(rate(http_requests_total{status=~"5.."}[43s])) / sum(rate(http_requests_total[43s]))'
    )
    assert narrow_ranges(query, 600) == query
    assert narrow_ranges("increase(x[10m]) + increase(y[30s])", 45) == "increase(x[45s]) + increase(y[30s])"
    assert narrow_ranges('ALERTS{alertstate="firing"}', 5) == 'ALERTS{alertstate="firing"}'


# --- deploy.7.2: 5xx in the last 10 minutes ------------------------------------------------------------


class _FakeProm:
    def __init__(self, answers):
        self.answers = answers
        self.asked = []

        class _Session:
            def close(self):
                pass

        self.session = _Session()

    def query(self, query):
        self.asked.append(query)
        return self.answers[query]


class _Probes(MetricProbes):
    def __init__(self, answers, served=None):
        import threading

        self.p = {
            "prometheus": {
                "url": "http://prom.test",
                "errors_query": "errors",
                "traffic_query": "traffic",
                "errors_max": 0,
                "first_sample_wait": 0,
            }
        }
        self.prom = _FakeProm(answers)
        self._served = served
        self._rollout_lock = threading.Lock()

    def _prom(self):
        return self.p["prometheus"], self.prom


def empty(query):
    return parse_response({"status": "success", "data": {"resultType": "vector", "result": []}}, query)


def test_errors_10m_missing_metric_fails_never_passes():
    outcome = _Probes({"errors": empty("errors"), "traffic": empty("traffic")}).check_errors_10m()
    assert outcome.status == "failed" and "missing" in outcome.detail


def test_errors_10m_no_5xx_series_with_counted_traffic_is_zero():
    outcome = _Probes({"errors": empty("errors"), "traffic": result("3.5", query="traffic")}).check_errors_10m()
    assert (outcome.status, outcome.measured) == ("passed", 0) and "3.5 requests/s" in outcome.detail


def test_errors_10m_missing_metric_in_a_too_short_window_is_skipped_with_the_reason():
    outcome = _Probes({"errors": empty("errors"), "traffic": empty("traffic")}, served=20).check_errors_10m()
    assert outcome.status == "skipped" and "20 s" in outcome.detail


def test_errors_10m_counted_errors_fail():
    outcome = _Probes({"errors": result("2", query="errors")}).check_errors_10m()
    assert outcome.status == "failed"


# --- the wait for the first samples after a rollout ------------------------------------------------------------


class _Clock:
    """time.time and time.sleep of the metrics module: sleeping moves the clock."""

    def __init__(self, now):
        self.now = now
        self.slept = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


class _TrafficAfter(_FakeProm):
    """Answers the traffic query with no data until the clock reaches `at`."""

    def __init__(self, clock, at):
        super().__init__({})
        self.clock, self.at = clock, at

    def query(self, query):
        self.asked.append(query)
        return result("4.2", query=query) if self.clock.now >= self.at else empty(query)


def _waiting(monkeypatch, rolled, now, data_at, wait=15):
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke import metrics

    clock = _Clock(now)
    monkeypatch.setattr(metrics, "time", clock)
    probes = _Probes({})
    probes.p["prometheus"].update({"first_sample_wait": wait, "traffic_query": "sum(rate(http_requests_total[1m]))"})
    probes.prom = _TrafficAfter(clock, data_at)
    probes._rollout_moment = lambda: rolled
    return probes, clock


def test_the_wait_ends_at_the_first_samples_of_the_new_release(monkeypatch):
    probes, clock = _waiting(monkeypatch, rolled=1000.0, now=1001.0, data_at=1007.0)
    assert probes._since_rollout("sum(rate(x[5m]))", probes.p["prometheus"]) == "sum(rate(x[7s]))"
    assert sum(clock.slept) == 6  # until the data came, not the 15 s bound
    # every traffic query asked was cut to the time since the rollout
    assert all("[5m]" not in q and "[1m]" not in q for q in probes.prom.asked)
    # the window is fixed for the rest of the gate: no second wait
    assert probes._since_rollout("sum(increase(y[10m]))", probes.p["prometheus"]) == "sum(increase(y[7s]))"
    assert sum(clock.slept) == 6


def test_data_that_never_comes_ends_the_wait_at_its_bound(monkeypatch):
    probes, clock = _waiting(monkeypatch, rolled=1000.0, now=1002.0, data_at=float("inf"))
    assert probes._since_rollout("sum(rate(x[5m]))", probes.p["prometheus"]) == "sum(rate(x[15s]))"
    assert clock.now == 1015.0


def test_a_release_older_than_the_bound_is_not_waited_for(monkeypatch):
    probes, clock = _waiting(monkeypatch, rolled=1000.0, now=1100.0, data_at=0)
    assert probes._since_rollout("sum(rate(x[5m]))", probes.p["prometheus"]) == "sum(rate(x[100s]))"
    assert clock.slept == [] and probes.prom.asked == []


def test_an_unknown_rollout_keeps_the_queries_windows(monkeypatch):
    probes, clock = _waiting(monkeypatch, rolled=None, now=1000.0, data_at=0)
    assert probes._since_rollout("sum(rate(x[5m]))", probes.p["prometheus"]) == "sum(rate(x[5m]))"
    assert clock.slept == []
