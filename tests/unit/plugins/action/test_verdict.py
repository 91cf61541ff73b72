"""The verdict action: GO or NO-GO from the journal of this run, with the report's own rule."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.action.verdict import ActionModule
from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal


@pytest.fixture
def journal_file(tmp_path, monkeypatch):
    path = tmp_path / ".journal.jsonl"
    path.write_text("")
    monkeypatch.setenv(journal.ENV_VAR, str(path))
    return str(path)


def evidence(item_id, status):
    return {"kind": "evidence", "host": "h", "task": "t", "entry": {"id": item_id, "status": status}}


def test_no_failed_item_is_go(run_action, journal_file):
    journal.append(journal_file, evidence("4.2.2", "passed"))
    result = run_action(ActionModule, {})
    assert result["decision"] == "GO" and not result.get("failed")


def test_a_failed_item_is_no_go_and_gates(run_action, journal_file):
    journal.append(journal_file, evidence("deploy.2", "failed"))
    result = run_action(ActionModule, {})
    assert result["decision"] == "NO-GO" and result["failed"]
    assert "deploy.2" in result["msg"]


def test_gate_false_reports_without_failing(run_action, journal_file):
    journal.append(journal_file, {"kind": "task_failed", "host": "h", "task": "t", "msg": "boom"})
    result = run_action(ActionModule, {"gate": False})
    assert result["decision"] == "NO-GO" and not result["failed"]


def test_without_a_journal_the_verdict_fails_naming_it(run_action, monkeypatch):
    monkeypatch.delenv(journal.ENV_VAR, raising=False)
    result = run_action(ActionModule, {})
    assert result["failed"] and "journal" in result["msg"].lower()
