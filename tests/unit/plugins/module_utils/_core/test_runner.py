from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core import runner as common
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry


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

    def broken():
        raise ApiError("500")

    assert common.run_checks([common.Check(("2.1.1",), broken)])[0]["status"] == "failed"


def test_bad_input_is_not_a_measurement():
    def bad():
        raise ConfigurationError("no such option")

    with pytest.raises(ConfigurationError):
        common.run_checks([common.Check(("2.1.1",), bad)])


@pytest.mark.parametrize(
    ("text", "size"),
    [("30Gi", 30 * 2**30), ("32G", 32 * 10**9), ("512Mi", 512 * 2**20), ("1.5Ti", int(1.5 * 2**40)), ("100", 100)],
)
def test_parse_quantity(text, size):
    assert common.parse_quantity(text) == size


@pytest.mark.parametrize("text", ["", "30 GB", "Gi", "30Xi"])
def test_parse_quantity_rejects(text):
    with pytest.raises(ConfigurationError):
        common.parse_quantity(text)


@pytest.mark.parametrize(("text", "seconds"), [("30d", 2592000), ("1y", 31536000), ("720h", 2592000), ("1h30m", 5400)])
def test_parse_duration(text, seconds):
    assert common.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "30 days", "d30"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigurationError):
        common.parse_duration(text)


def test_version_and_age_helpers():
    assert common.version_tuple("v1.28.3-eks-1") == (1, 28, 3)
    assert common.version_tuple("15.18 (Debian 15.18-0+deb12u1)") == (15, 18)
    assert common.human_duration(93784) == "1d2h3m4s"
    assert common.human_duration(0) == "0s"
    now = datetime.now(UTC)
    assert 3599 < common.age_seconds(now - timedelta(hours=1), now) < 3601
    assert common.age_seconds(None) is None
    assert common.age_seconds((now - timedelta(seconds=5)).replace(tzinfo=None), now.replace()) is not None
    time.sleep(0)
