"""compare_reports names each item whose status differs between two reports, and fails only on those."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SPEC = importlib.util.spec_from_file_location("compare_reports", HERE.parents[1] / "tools" / "compare_reports.py")
compare = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(compare)


def write(path: Path, statuses: dict[str, str]) -> str:
    items = [{"id": i, "status": s, "evidence": []} for i, s in statuses.items()]
    path.write_text(json.dumps({"verdict": {"decision": "GO"}, "items": items}), encoding="utf-8")
    return str(path)


def test_same_statuses_pass(tmp_path, capsys):
    before = write(tmp_path / "before.json", {"1.1.1": "passed", "3.2.3": "failed"})
    after = write(tmp_path / "after.json", {"3.2.3": "failed", "1.1.1": "passed"})
    assert compare.main([before, after]) == 0
    assert capsys.readouterr().out.strip() == "2 item(s) with the same status, 0 different (0 expected)"


def test_a_changed_or_missing_item_is_named_and_fails(tmp_path, capsys):
    before = write(tmp_path / "before.json", {"1.1.1": "passed", "4.2.4": "skipped", "6.4.2": "passed"})
    after = write(tmp_path / "after.json", {"1.1.1": "passed", "4.2.4": "passed", "post.day1.1": "manual"})
    assert compare.main([before, after]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "4.2.4: skipped -> passed",
        "6.4.2: passed -> missing",
        "post.day1.1: missing -> manual",
        "1 item(s) with the same status, 3 different (0 expected)",
    ]


def test_expected_changes_are_listed_but_do_not_fail(tmp_path, capsys):
    before = write(tmp_path / "before.json", {"4.2.4": "skipped"})
    after = write(tmp_path / "after.json", {"4.2.4": "passed"})
    assert compare.main([before, after, "--ignore", "4.2.4"]) == 0
    assert "4.2.4: skipped -> passed (expected)" in capsys.readouterr().out


def test_a_file_that_is_not_a_report_is_refused(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"verdict": "GO"}), encoding="utf-8")
    with pytest.raises(SystemExit, match="not a checklist report"):
        compare.main([str(path), str(path)])
