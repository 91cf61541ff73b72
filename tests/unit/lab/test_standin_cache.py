"""The platform stand-in's view of the cluster: fresh answers replace old ones, errors keep a recent good one."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

from standins.kube import Cached  # noqa: E402


class Source:
    def __init__(self):
        self.answers = []

    def __call__(self):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_errors_keep_the_last_good_value_within_the_stale_window():
    source = Source()
    cached = Cached(source, ttl=0, stale_ok=30)
    source.answers = ["v1", TimeoutError("api server slow"), "v2"]
    assert cached() == "v1"
    assert cached() == "v1"  # the error is not served while v1 is recent
    assert cached() == "v2"  # a fresh answer always wins


def test_errors_are_raised_without_a_recent_good_value(monkeypatch):
    source = Source()
    cached = Cached(source, ttl=0, stale_ok=5)
    source.answers = ["v1", TimeoutError("api server down")]
    assert cached() == "v1"
    later = time.monotonic() + 60
    monkeypatch.setattr(time, "monotonic", lambda: later)
    with pytest.raises(TimeoutError):
        cached()


def test_without_stale_window_errors_are_raised_at_once():
    source = Source()
    cached = Cached(source, ttl=0)
    source.answers = ["v1", TimeoutError("api server slow")]
    assert cached() == "v1"
    with pytest.raises(TimeoutError):
        cached()
