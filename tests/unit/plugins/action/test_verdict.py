"""The verdict action: GO or NO-GO from the journal of this run, with the report's own rule."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.action.verdict import (
    ActionModule,
    read_signoffs_file,
    signoff_entries,
)
from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue, CatalogueError


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
    result = run_action(ActionModule, {"scope_items": ["4.2.2"]})
    assert result["decision"] == "GO" and not result.get("failed")
    assert result["scope"] == {"name": "items", "items": ["4.2.2"], "require_signoffs": False, "follows": ""}


def test_a_failed_item_is_no_go_and_gates(run_action, journal_file):
    journal.append(journal_file, evidence("deploy.2", "failed"))
    result = run_action(ActionModule, {"scope_items": ["deploy.2"]})
    assert result["decision"] == "NO-GO" and result["failed"]
    assert "deploy.2" in result["msg"]


def test_gate_false_reports_without_failing(run_action, journal_file):
    journal.append(journal_file, {"kind": "task_failed", "host": "h", "task": "t", "msg": "boom"})
    result = run_action(ActionModule, {"gate": False, "scope_items": ["4.2.2"]})
    assert result["decision"] == "NO-GO" and not result["failed"]


def test_without_a_journal_the_verdict_fails_naming_it(run_action, monkeypatch):
    monkeypatch.delenv(journal.ENV_VAR, raising=False)
    result = run_action(ActionModule, {"scope": "deploy"})
    assert result["failed"] and "journal" in result["msg"].lower()


def test_without_a_scope_the_verdict_fails_naming_the_scopes(run_action, journal_file):
    result = run_action(ActionModule, {})
    assert result["failed"] and "no report scope" in result["msg"] and "pre_deploy" in result["msg"]


def test_an_unproven_item_of_a_named_scope_is_no_go(run_action, journal_file):
    journal.append(journal_file, evidence("rollback.1", "passed"))
    result = run_action(ActionModule, {"scope": "rollback", "scope_items": ["rollback.1"], "gate": False})
    assert result["decision"] == "NO-GO"
    assert "not proven in this run: rollback.4, 8.1.4" in result["msg"] or "8.1.4" in result["msg"]


def test_sign_offs_are_recorded_as_evidence(run_action, journal_file):
    signoff = {"4.2.1": {"by": "R. Manager", "at": "2026-01-02T03:04:00Z"}}
    result = run_action(ActionModule, {"scope_items": ["4.2.1"], "signoffs": signoff, "require_signoffs": True})
    assert result["decision"] == "GO"
    assert [e["id"] for e in result["evidence"]] == ["4.2.1"]


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue.load()


def test_a_sign_off_of_a_manual_item_is_passed_evidence_naming_who_and_when(catalogue):
    (entry,) = signoff_entries(catalogue, {"4.2.1": {"by": "A. Operator", "at": "2026-01-02T03:04:00Z", "note": "v3"}})
    assert entry["id"] == "4.2.1" and entry["status"] == "passed"
    assert entry["measured"] == {"signed_off_by": "A. Operator", "at": "2026-01-02T03:04:00Z"}
    assert entry["detail"] == "signed off by A. Operator at 2026-01-02 03:04 UTC: v3"


@pytest.mark.parametrize(
    ("signoffs", "message"),
    [
        ({"2.1.1": {"by": "A", "at": "2026-01-02T03:04:00Z"}}, "2.1.1 refused: the item is proven by role cluster"),
        ({"4.2.1": {"at": "2026-01-02T03:04:00Z"}}, "4.2.1 names nobody"),
        ({"4.2.1": "yes"}, "4.2.1 names nobody"),
        ({"4.2.1": {"by": "A", "at": "yesterday"}}, "4.2.1 has no valid time 'at'"),
        ({"4.2.1": {"by": "A", "at": "2999-01-01T00:00:00Z"}}, "dated in the future"),
        ({"99.1": {"by": "A", "at": "2026-01-02T03:04:00Z"}}, "unknown checklist item id '99.1'"),
    ],
)
def test_sign_offs_that_cannot_count_are_refused_by_name(catalogue, signoffs, message):
    with pytest.raises(CatalogueError, match=message):
        signoff_entries(catalogue, signoffs)


def test_sign_offs_file(tmp_path):
    path = tmp_path / "signoffs.yml"
    path.write_text('"4.2.1": {by: B, at: "2026-01-02T03:04:00Z"}\n')
    assert read_signoffs_file(str(path)) == {"4.2.1": {"by": "B", "at": "2026-01-02T03:04:00Z"}}
    path.write_text("- not a mapping\n")
    with pytest.raises(CatalogueError, match="must map item ids"):
        read_signoffs_file(str(path))
    with pytest.raises(CatalogueError, match="cannot read the sign-offs file"):
        read_signoffs_file(str(tmp_path / "missing.yml"))


def test_an_automated_item_whose_check_answered_manual_can_be_signed_off(catalogue):
    signoff = {"3.3.4": {"by": "Cloud admin", "at": "2026-01-02T03:04:00Z"}}
    with pytest.raises(CatalogueError, match="3.3.4 refused"):
        signoff_entries(catalogue, signoff)
    (entry,) = signoff_entries(catalogue, signoff, frozenset({"3.3.4"}))
    assert entry["status"] == "passed"
