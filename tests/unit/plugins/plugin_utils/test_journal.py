"""The evidence journal: records appended as the run goes, read back by the verdict, its path exported."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal


def test_records_round_trip_in_order(tmp_path):
    path = str(tmp_path / "j.jsonl")
    journal.append(path, {"kind": "evidence", "entry": {"id": "4.1.1", "status": "passed"}})
    journal.append(path, {"kind": "task_failed", "msg": "boom"})
    assert [r["kind"] for r in journal.read(path)] == ["evidence", "task_failed"]


def test_a_missing_journal_is_named(tmp_path):
    with pytest.raises(journal.JournalError, match="j.jsonl"):
        journal.read(str(tmp_path / "j.jsonl"))


def test_the_path_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(journal.ENV_VAR, "/tmp/x.jsonl")
    assert journal.current_path() == "/tmp/x.jsonl"
    monkeypatch.delenv(journal.ENV_VAR)
    with pytest.raises(journal.JournalError, match="callbacks_enabled"):
        journal.current_path()
