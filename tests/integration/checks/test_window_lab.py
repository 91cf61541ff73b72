"""The deployment window on the lab: the lab Prometheus measures the platform's traffic; a window that excludes now,
or traffic above the threshold, stops the run with the reason, and an override lets it go on with its reason in
the report."""

from __future__ import annotations

import datetime

import pytest

pytestmark = pytest.mark.lab

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _closed_today() -> list[dict]:
    """A window on every day but today (UTC), so that now is outside it whatever the hour."""
    today = datetime.datetime.now(datetime.UTC).weekday()
    # around midnight "today" could change between here and the check: leave out yesterday and tomorrow too
    days = [d for i, d in enumerate(DAYS) if i not in (today, (today - 1) % 7, (today + 1) % 7)]
    return [{"days": days, "start": "00:00", "end": "24:00"}]


def test_the_lab_window_is_open_and_traffic_is_measured(run_role):
    run = run_role("operations", entry="window")
    assert run.proc.returncode == 0, run.output
    evidence = run.evidence("deploy.window")
    assert run.status("deploy.window") == "passed", evidence
    assert evidence["measured"]["window"] == "mon,tue,wed,thu,fri,sat,sun 00:00-24:00"
    assert isinstance(evidence["measured"]["traffic"], float)


def test_outside_the_window_the_run_stops_with_the_reason(run_role):
    run = run_role("operations", entry="window", operations_windows=_closed_today())
    assert run.proc.returncode != 0
    assert run.status("deploy.window") == "failed"
    assert "is outside every window" in run.evidence("deploy.window")["detail"]
    assert "deployment window closed" in run.output


def test_traffic_above_the_threshold_stops_the_run(run_role):
    run = run_role("operations", entry="window", operations_max_traffic=0.000001)
    assert run.proc.returncode != 0
    detail = run.evidence("deploy.window")["detail"]
    assert run.status("deploy.window") == "failed" and "req/s is above 1e-06 req/s" in detail


def test_an_override_goes_on_and_its_reason_reaches_the_report(run_role):
    reason = "hotfix for INC-4711, approved by the CTO"
    run = run_role("operations", entry="window", operations_windows=_closed_today(), deploy_window_override=reason)
    assert run.proc.returncode == 0, run.output
    assert run.status("deploy.window") == "skipped"
    assert run.evidence("deploy.window")["detail"].startswith(f"override: {reason} (")
    assert reason in run.report_text
