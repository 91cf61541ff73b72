"""The deployment window: spans in the environment's time zone, past midnight, traffic measured with PromQL, and an
override that opens the window with its reason in the evidence."""

from __future__ import annotations

import datetime
import http.server
import json
import threading
from contextlib import contextmanager

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import window
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from ..area_module import run_entry

WEEKEND = {"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}
NIGHTS = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "22:00", "end": "05:00"}
# 2026-12-05 is a Saturday
SAT_NOON_IST = datetime.datetime(2026, 12, 5, 6, 30, tzinfo=datetime.UTC)
TUE_NOON_IST = datetime.datetime(2026, 12, 1, 6, 30, tzinfo=datetime.UTC)
SAT_0230_IST = datetime.datetime(2026, 12, 4, 21, 0, tzinfo=datetime.UTC)  # Fri 21:00 UTC = Sat 02:30 IST


@contextmanager
def prometheus(value):
    """A Prometheus answering every instant query with ``value`` (None: no data; 'down': 503)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args):
            pass

        def do_GET(self):
            if value == "down":
                body, status = b"unavailable", 503
            else:
                result = [] if value is None else [{"metric": {}, "value": [0, str(value)]}]
                body, status = (
                    json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}}).encode(),
                    200,
                )
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def decide(url, now, **extra):
    params = {"windows": [WEEKEND, NIGHTS], "timezone": "Asia/Kolkata", "prometheus_url": url, **extra}
    return window.check_window(window.WindowSettings.from_options(params), lambda: HttpSession(timeout=5), now)


def test_inside_a_window_with_low_traffic_is_open():
    with prometheus(0.4) as url:
        found, is_open = decide(url, SAT_NOON_IST)
    assert is_open and found["status"] == "passed"
    assert found["measured"] == {
        "now": "sat 2026-12-05 12:00 Asia/Kolkata",
        "window": "sat,sun 00:00-24:00",
        "traffic": 0.4,
    }


def test_a_night_span_runs_past_midnight_into_the_next_day():
    with prometheus(0.1) as url:
        found, is_open = decide(url, SAT_0230_IST)
    assert is_open and found["measured"]["window"] in ("sat,sun 00:00-24:00", "mon,tue,wed,thu,fri 22:00-05:00")
    span = window.spans([NIGHTS])[0]
    saturday_0230 = datetime.datetime(2026, 12, 5, 2, 30)
    monday_0230 = datetime.datetime(2026, 12, 7, 2, 30)
    assert span.contains(saturday_0230)  # Friday night's span
    assert not span.contains(monday_0230)  # Sunday night has no span


@pytest.mark.parametrize(
    ("now", "traffic", "reason"),
    [
        (TUE_NOON_IST, 0.1, "tue 2026-12-01 12:00 Asia/Kolkata is outside every window"),
        (SAT_NOON_IST, 12.5, "traffic 12.5 req/s is above 5 req/s"),
        (SAT_NOON_IST, None, "traffic not measured: no data"),
        (SAT_NOON_IST, "down", "traffic not measured"),
    ],
)
def test_outside_the_window_high_or_unmeasured_traffic_closes_it(now, traffic, reason):
    with prometheus(traffic) as url:
        found, is_open = decide(url, now)
    assert not is_open and found["status"] == "failed"
    assert reason in found["detail"] and "deploy_window_override" in found["detail"]


def test_an_override_opens_it_and_the_reason_goes_into_the_evidence():
    with prometheus(12.5) as url:
        found, is_open = decide(url, TUE_NOON_IST, override="hotfix for INC-42")
    assert is_open and found["status"] == "skipped"
    assert found["detail"].startswith("override: hotfix for INC-42 (")
    assert "outside every window" in found["detail"] and "above 5 req/s" in found["detail"]


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"windows": [{"days": ["someday"], "start": "01:00", "end": "02:00"}]}, "use mon, tue"),
        ({"windows": [{"days": ["mon"], "start": "1am", "end": "02:00"}]}, "HH:MM"),
        ({"windows": [{"days": ["mon"], "start": "02:00", "end": "02:00"}]}, "is empty"),
        ({"windows": [WEEKEND], "timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"windows": []}, "no deployment window"),
    ],
)
def test_bad_windows_are_configuration_errors(params, needle):
    with pytest.raises(ConfigurationError, match=needle):
        window.WindowSettings.from_options({"prometheus_url": "http://p", **params})


def test_the_module_returns_open_and_the_evidence(monkeypatch):
    always = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"}
    with prometheus(1.0) as url:
        result = run_entry("operations", "deploy_window", {"windows": [always], "prometheus_url": url}, monkeypatch)
        closed = run_entry(
            "operations", "deploy_window", {"windows": [always], "prometheus_url": url, "max_traffic": 0.5}, monkeypatch
        )
    assert not result["failed"] and result["open"] is True and result["evidence"][0]["status"] == "passed"
    assert not closed["failed"] and closed["open"] is False
    assert closed["msg"].startswith("deployment window closed: traffic 1 req/s is above 0.5 req/s")
