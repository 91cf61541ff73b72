"""The first hour's watch: sampling over the window, the first breach named, series in the evidence, no pass on
missing data."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.watch import (
    Unavailable,
    Watch,
    evidence,
    quantity,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

Q = options.ERROR_RATE_QUERY
POD = {
    "metadata": {"name": "api-1", "uid": "u1", "creationTimestamp": "2026-12-02T00:00:00Z"},
    "spec": {"containers": [{"name": "api", "resources": {"limits": {"cpu": "500m", "memory": "512Mi"}}}]},
    "status": {"phase": "Running", "containerStatuses": [{"restartCount": 2}]},
}


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Recorded:
    """Answers of the sources, by sample: error rate, p95, pods, logs, and container usage."""

    def __init__(self, clock: Clock, rates=None, cpu=0.1, logs="", pods=None, log_error=None):
        self.clock = clock
        self.rates = rates or {}
        self.cpu = cpu
        self.logs = logs
        self.pod_list = [POD] if pods is None else pods
        self.log_error = log_error
        self.sample = 0

    def value(self, query):
        if query == Q:
            return self.rates.get(self.sample, 0.001)
        if "histogram_quantile" in query:
            return 0.05
        if "increase" in query:
            return None  # no 5xx series: none counted
        return 4.0  # traffic

    def vector(self, query):
        if "ALERTS" in query:
            return []
        if "cpu" in query:
            return [] if self.cpu is None else [({"pod": "api-1", "container": "api"}, self.cpu)]
        return [] if self.cpu is None else [({"pod": "api-1", "container": "api"}, 100 * 2**20)]

    def pods(self):
        self.sample += 1
        return self.pod_list

    def log(self, pod, container, since_seconds):
        if self.log_error:
            raise Unavailable(self.log_error)
        return self.logs


def watch(clock: Clock, sources: Recorded, **params) -> Watch:
    base = {"prometheus_url": "http://prom", "namespace": "ns", "pod_selector": "app=x", "window": 300, "interval": 60}
    return Watch({**base, **params}, sources, clock=clock, sleep=clock.sleep)


def by_id(entries, item):
    return [e for e in entries if e["id"] == item]


def test_a_healthy_window_is_sampled_whole_and_every_series_passes_with_its_points():
    clock = Clock()
    w = watch(clock, Recorded(clock))
    result = w.run()
    assert result.samples == result.planned == 6  # 0, 60, ..., 300
    assert clock.slept == [60.0] * 5
    found = evidence(w, result, "here")
    assert {e["status"] for e in found} == {"passed"}
    rate = by_id(found, "post.hour.1")[0]
    assert [p[1] for p in rate["measured"]["series"]] == [0.001] * 6
    assert rate["measured"]["series"][1][0] - rate["measured"]["series"][0][0] == 60.0
    cpu = [e for e in by_id(found, "post.hour.3") if "CPU" in e["detail"]][0]
    assert cpu["measured"]["max"] == pytest.approx(0.2)  # 0.1 core of a 500m limit


def test_the_watch_stops_at_the_first_sample_that_crosses_a_threshold_and_names_it():
    clock = Clock()
    w = watch(clock, Recorded(clock, rates={2: 0.25}))  # the third sample
    result = w.run()
    assert result.samples == 3
    assert result.breach.metric == "error_rate"
    assert result.breach.as_dict(result.planned)["sample"] == 3
    found = evidence(w, result, "here")
    failed = [e for e in found if e["status"] == "failed"]
    assert [e["id"] for e in failed] == ["post.hour.1"]
    assert "sample 3 of 6" in failed[0]["detail"]
    # the other series held until then but the window was not watched whole: not passed
    assert all(e["status"] == "skipped" for e in found if e not in failed)


def test_new_restarts_fail_but_restarts_from_before_the_watch_do_not():
    clock = Clock()
    src = Recorded(clock)
    w = watch(clock, src)
    restarted = {**POD, "status": {"phase": "Running", "containerStatuses": [{"restartCount": 3}]}}
    calls = {"n": 0}

    def pods():
        calls["n"] += 1
        return [POD] if calls["n"] < 3 else [restarted]

    src.pods = pods
    result = w.run()
    assert result.breach.metric == "restarts"
    assert result.series["restarts"][0][1] == 0
    assert result.breach.value == 1


def test_no_container_metrics_do_not_pass_post_hour_3():
    clock = Clock()
    w = watch(clock, Recorded(clock, cpu=None), resources_no_data="skip")
    result = w.run()
    found = by_id(evidence(w, result, "here"), "post.hour.3")
    assert "passed" not in {e["status"] for e in found}
    assert any("no cpu usage in Prometheus" in e["detail"] for e in found)


def test_no_container_metrics_fail_by_default():
    clock = Clock()
    w = watch(clock, Recorded(clock, cpu=None))
    found = by_id(evidence(w, w.run(), "here"), "post.hour.3")
    assert "failed" in {e["status"] for e in found}


def test_no_error_rate_and_no_traffic_is_a_breach_not_a_pass():
    clock = Clock()
    src = Recorded(clock)
    src.value = lambda q: None
    w = watch(clock, src)
    result = w.run()
    assert result.breach.metric == "error_rate" and result.breach.value == "no data"


def test_error_log_lines_per_minute_against_the_budget():
    clock = Clock()
    logs = "\n".join(["ERROR payment failed"] * 30 + ["info ok"] * 5)
    w = watch(clock, Recorded(clock, logs=logs))
    result = w.run()
    assert result.breach.metric == "log_errors_per_minute"
    assert result.breach.value == 30.0


def test_unreadable_pod_logs_fail_or_are_skipped_with_the_reason():
    clock = Clock()
    w = watch(clock, Recorded(clock, log_error="502 Bad Gateway"))
    assert w.run().breach.metric == "sample"
    clock = Clock()
    w = watch(clock, Recorded(clock, log_error="502 Bad Gateway"), logs={"unavailable": "skip"})
    found = by_id(evidence(w, w.run(), "here"), "post.hour.4")
    assert found[0]["status"] == "skipped" and "502 Bad Gateway" in found[0]["detail"]


@pytest.mark.parametrize("params", [{"interval": 0}, {"window": -1}, {"logs": {"pattern": "("}}])
def test_bad_input_fails_before_any_sample(params):
    clock = Clock()
    with pytest.raises(ConfigurationError):
        watch(clock, Recorded(clock), **params)


def test_quantities():
    assert quantity("500m") == 0.5
    assert quantity("512Mi") == 512 * 2**20
    assert quantity("2") == 2.0
