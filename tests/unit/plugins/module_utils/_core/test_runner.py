from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core import runner as common
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import (
    Handoff,
    Probe,
    RetryPolicy,
    failed,
    passed,
    run_probes,
    run_with_retry,
)


def test_run_checks_keeps_order_runs_concurrently_and_times_each():
    barrier = threading.Barrier(2, timeout=5)

    def slow(item):
        def run():
            barrier.wait()  # both checks must be running at once to get past this
            return [entry(item, "passed")]

        return run

    found = common.run_checks([common.Check(("1.1.1",), slow("1.1.1")), common.Check(("1.1.2",), slow("1.1.2"))])
    assert [e["id"] for e in found] == ["1.1.1", "1.1.2"]
    assert all(e["duration"] is not None for e in found)


def test_unreachable_server_fails_only_its_items():
    def down():
        raise ConnectionFailure("cannot reach db:5432")

    found = common.run_checks(
        [
            common.Check(("4.1.1", "4.1.2"), down, "db:5432"),
            common.Check(("6.1.1",), lambda: [entry("6.1.1", "passed")]),
        ]
    )
    assert [(e["id"], e["status"]) for e in found] == [("4.1.1", "failed"), ("4.1.2", "failed"), ("6.1.1", "passed")]
    assert found[0]["detail"] == "cannot reach db:5432" and found[0]["where"] == "db:5432"


def test_an_unreachable_server_says_what_to_do_once_in_its_one_line():
    def down():
        raise ConnectionFailure("GET http://prom:9090/-/healthy: [Errno 111] Connection refused")

    def refused():
        raise ApiError("Prometheus answered 500")

    advice = "start Prometheus at http://prom:9090 (or correct monitoring_prometheus_url)"
    found = common.run_checks(
        [common.Check(("6.1.1",), down, "http://prom:9090", advice), common.Check(("6.1.3",), refused, "", advice)]
    )
    assert found[0]["detail"] == f"GET http://prom:9090/-/healthy: [Errno 111] Connection refused; {advice}"
    assert found[1]["detail"] == "Prometheus answered 500"  # it answered: it runs

    def broken():
        raise ApiError("500")

    assert common.run_checks([common.Check(("2.1.1",), broken)])[0]["status"] == "failed"


def test_bad_input_is_not_a_measurement():
    def bad():
        raise ConfigurationError("no such option")

    with pytest.raises(ConfigurationError):
        common.run_checks([common.Check(("2.1.1",), bad)])


# --- the retry budget --------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def flaky(fail_times, clock, cost=0.0):
    calls = {"n": 0}

    def run():
        calls["n"] += 1
        clock.now += cost
        if calls["n"] <= fail_times:
            return failed(detail="not yet")
        return passed("ok")

    return run, calls


def test_retry_until_success_with_exponential_backoff():
    clock = Clock()
    run, calls = flaky(3, clock)
    outcome, attempts = run_with_retry(
        run, RetryPolicy(settle=20, backoff=0.5, backoff_max=4), 60, True, clock, clock.sleep
    )
    assert outcome.status == "passed"
    assert attempts == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped():
    clock = Clock()
    run, _unused = flaky(10, clock)
    run_with_retry(run, RetryPolicy(settle=100, backoff=1, backoff_max=4), 1000, True, clock, clock.sleep)
    assert clock.sleeps[:5] == [1, 2, 4, 4, 4]


def test_settling_window_ends_the_retries():
    clock = Clock()
    run, calls = flaky(1000, clock, cost=0.1)
    outcome, attempts = run_with_retry(
        run, RetryPolicy(settle=5, backoff=0.5, backoff_max=1), 60, True, clock, clock.sleep
    )
    assert outcome.status == "failed"
    assert clock.now <= 5.0 + 0.1
    assert attempts == calls["n"] and attempts >= 5
    assert f"still failing after {attempts} attempts" in outcome.detail


def test_overall_deadline_is_shorter_than_the_window():
    clock = Clock()
    run, _unused = flaky(1000, clock)
    run_with_retry(run, RetryPolicy(settle=30, backoff=1, backoff_max=1), 3, True, clock, clock.sleep)
    assert clock.now <= 3


def test_final_failure_and_no_retry_checks_run_once():
    clock = Clock()
    outcome, attempts = run_with_retry(lambda: failed(final=True), RetryPolicy(), 60, True, clock, clock.sleep)
    assert attempts == 1 and outcome.status == "failed"
    outcome, attempts = run_with_retry(failed, RetryPolicy(), 60, False, clock, clock.sleep)
    assert attempts == 1
    assert clock.sleeps == []


def test_exceptions_become_failures():
    clock = Clock()

    def boom():
        raise ConnectionFailure("refused")

    outcome, attempts = run_with_retry(
        boom, RetryPolicy(settle=1, backoff=0.5, backoff_max=0.5), 60, True, clock, clock.sleep
    )
    assert outcome.status == "failed" and "refused" in outcome.detail
    assert attempts == 3

    def bug():
        raise KeyError("x")

    assert "KeyError" in run_with_retry(bug, RetryPolicy(settle=0), 60, True, clock, clock.sleep)[0].detail


@pytest.mark.parametrize("bad", [{"settle": -1}, {"backoff": 0}, {"backoff": 2, "backoff_max": 1}, {"factor": 0.5}])
def test_bad_retry_settings(bad):
    with pytest.raises(ConfigurationError):
        RetryPolicy(**bad)


def test_checks_run_concurrently_and_the_budget_stops_stragglers():
    release = threading.Event()
    started = time.monotonic()
    checks = [Probe(f"fast{i}", "health", lambda: (time.sleep(0.2), passed())[1]) for i in range(8)]
    checks.append(Probe("stuck", "pods", lambda: (release.wait(5), passed())[1]))
    results = run_probes(checks, RetryPolicy(settle=0), budget=1.0, workers=16)
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 1.5, "eight 0.2 s checks ran in parallel and the stuck one was abandoned at the budget"
    assert [r.status for r in results[:8]] == ["passed"] * 8
    assert results[8].status == "failed"
    assert "overall budget of 1 s" in results[8].detail


def test_duplicate_check_names_are_refused():
    with pytest.raises(ConfigurationError):
        run_probes([Probe("a", "health", passed), Probe("a", "health", passed)], RetryPolicy(), 5)


def test_handoff_waits_for_the_producer():
    handoff = Handoff()
    threading.Timer(0.05, handoff.put, args=("tok",)).start()
    assert handoff.get(2) == "tok"
    closed = Handoff()
    closed.close(failed(detail="login refused"))
    assert closed.get(2) is None
    assert closed.why == "login refused"
