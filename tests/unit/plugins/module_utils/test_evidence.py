from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils.evidence import (
    EvidenceError,
    entry,
    passed_if,
    validate,
    worst,
)


def test_entry_normalises_fields():
    one = entry("4.1.1", "passed", measured="15.18", threshold=">= 15", duration="0.1234")
    assert one == {
        "id": "4.1.1",
        "status": "passed",
        "measured": "15.18",
        "threshold": ">= 15",
        "detail": "",
        "where": "",
        "duration": 0.123,
    }


def test_passed_if():
    assert passed_if("2.1.3", False, measured=2)["status"] == "failed"
    assert passed_if("2.1.3", True)["status"] == "passed"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"id": "4.1.1", "status": "ok"}, "status 'ok' is not one of"),
        ({"id": "4 1", "status": "passed"}, "invalid checklist id"),
        ({"status": "passed"}, "invalid checklist id"),
        ({"id": "4.1.1", "status": "passed", "value": 1}, "unknown field"),
        ({"id": "4.1.1", "status": "passed", "duration": "soon"}, "duration must be a number"),
        ("4.1.1", "must be a mapping"),
    ],
)
def test_bad_entries_are_named(raw, message):
    with pytest.raises(EvidenceError, match=message):
        validate(raw)


def test_worst_status_failure_wins():
    assert worst(["passed", "failed", "manual"]) == "failed"
    assert worst(["skipped", "passed"]) == "passed"
    assert worst(["skipped"]) == "skipped"
