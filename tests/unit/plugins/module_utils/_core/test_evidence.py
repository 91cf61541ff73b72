from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core import evidence
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import (
    EvidenceError,
    entry,
    missing_problems,
    passed_if,
    passed_unless,
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


def test_passed_unless_joins_the_problems_or_gives_the_clean_detail():
    failed = passed_unless("6.2.1", ["no dashboard", "no panel"], "all there", where="grafana")
    assert (failed["status"], failed["detail"], failed["where"]) == ("failed", "no dashboard; no panel", "grafana")
    assert passed_unless("6.2.1", [], "all there")["detail"] == "all there"


def test_passed_unless_reads_a_clean_detail_only_when_nothing_failed():
    measured: dict = {}
    failed = passed_unless("6.3.1", ["no shipper"], lambda: f"ready on {measured['ready']}")
    assert failed["detail"] == "no shipper"
    measured["ready"] = 3
    assert passed_unless("6.3.1", [], lambda: f"ready on {measured['ready']}")["detail"] == "ready on 3"


def test_missing_problems():
    assert missing_problems([], [], "no admin", "without MFA") == ["no admin"]
    assert missing_problems(["a", "b"], ["b"], "no admin", "without MFA") == ["without MFA: b"]
    assert missing_problems(["a"], [], "no admin", "without MFA") == []


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


def test_worst_status_failure_wins_then_a_skipped_part():
    assert worst(["passed", "failed", "manual"]) == "failed"
    # a passed sub-check never hides a skipped one (success.6 with SMS skipped is not passed)
    assert worst(["skipped", "passed"]) == "skipped"
    assert worst(["passed", "passed"]) == "passed"
    assert worst(["skipped"]) == "skipped"


class ExitingModule:
    """Records exit_json/fail_json like AnsibleModule, stopping the module the same way."""

    class Exited(Exception):
        pass

    def __init__(self):
        self.result = None

    def exit_json(self, **result):
        self.result = {"failed": False, **result}
        raise self.Exited

    def fail_json(self, **result):
        self.result = {"failed": True, **result}
        raise self.Exited


def run_exit_checked(run):
    module = ExitingModule()
    with pytest.raises(ExitingModule.Exited):
        evidence.exit_checked(module, "cluster", run)
    return module.result


def test_exit_checked_names_the_failed_items_and_changes_nothing():
    found = [evidence.entry("2.1.1", "passed"), evidence.entry("2.1.3", "failed", detail="2 nodes")]
    result = run_exit_checked(lambda: found)
    assert result["changed"] is False and result["failed"] is False
    assert result["msg"] == "checked 2 cluster item(s); failed: 2.1.3"
    assert result[evidence.RESULT_KEY] == found


def test_exit_checked_passes_extra_keys_and_fails_on_configuration_errors():
    result = run_exit_checked(lambda: ([evidence.entry("2.1.1", "passed")], {"source": "live"}))
    assert result["source"] == "live" and result["msg"] == "checked 1 cluster item(s)"

    def broken():
        raise ConfigurationError("min_version 'x' is not a version")

    result = run_exit_checked(broken)
    assert result == {"failed": True, "msg": "min_version 'x' is not a version"}


def test_exit_checked_refuses_an_empty_namespace_before_any_check():
    module = ExitingModule()
    module.params = {"namespace": ""}
    ran = []
    with pytest.raises(ExitingModule.Exited):
        evidence.exit_checked(module, "cluster", lambda: ran.append(1) or [])
    assert ran == [], "a check ran with an empty namespace"
    assert module.result["failed"] and "the namespace is empty; set smeplatform_namespace" in module.result["msg"]
