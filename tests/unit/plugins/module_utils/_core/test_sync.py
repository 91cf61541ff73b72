"""The sync engine: changed from the plan, check mode applies nothing, the diff from the same plan."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync


class Writer:
    def __init__(self):
        self.applied, self.rehearsed = [], []

    def apply(self, plan):
        self.applied.append(plan.action)
        return "rv-2"

    def rehearse(self, plan):
        self.rehearsed.append(plan.action)
        return "dry-run ok"


def test_a_change_is_applied_and_reported():
    writer = Writer()
    done = sync(Plan("update", {"a": 1}, {"a": 2}), writer.apply, False, writer.rehearse, diff_header="thing")
    assert done["changed"] and done["applied"] == "rv-2" and writer.applied == ["update"]
    assert writer.rehearsed == []
    assert done["diff"] == {"before_header": "thing", "after_header": "thing", "before": {"a": 1}, "after": {"a": 2}}


def test_check_mode_reports_the_same_change_and_applies_nothing():
    writer = Writer()
    real = sync(Plan("update", 1, 2), Writer().apply, False, diff_header="thing")
    check = sync(Plan("update", 1, 2), writer.apply, True, writer.rehearse, diff_header="thing")
    assert check["changed"] == real["changed"] and check["diff"] == real["diff"]
    assert writer.applied == [] and writer.rehearsed == ["update"] and check["applied"] == "dry-run ok"
    assert sync(Plan("update"), writer.apply, True)["applied"] is None


def test_nothing_to_do_does_nothing_and_shows_no_diff():
    writer = Writer()
    done = sync(Plan(NONE, 1, 1), writer.apply, False, writer.rehearse, diff_header="thing")
    assert not done["changed"] and "diff" not in done and writer.applied == writer.rehearsed == []


def test_bookkeeping_changes_are_not_reported_in_check_mode():
    writer = Writer()
    assert not sync(Plan("take"), writer.apply, True, bookkeeping=True)["changed"]
    assert sync(Plan("take"), writer.apply, False, bookkeeping=True)["changed"]
    assert writer.applied == ["take"]
