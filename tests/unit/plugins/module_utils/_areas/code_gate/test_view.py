"""What one gate run shares: values computed once across threads (a failure not remembered), long lists cut, the
newest check run of each name."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import view
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import MAX_LISTED


def test_memo_computes_once_for_every_thread():
    memo, calls = view.Memo(), []

    def make():
        calls.append(1)
        time.sleep(0.05)
        return "files"

    threads = [threading.Thread(target=memo.get, args=("files", make)) for _unused in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and memo.get("files", make) == "files"


def test_memo_does_not_remember_a_failure():
    memo = view.Memo()

    def fail():
        raise RuntimeError("GitHub did not answer")

    with pytest.raises(RuntimeError):
        memo.get("runs", fail)
    assert memo.get("runs", lambda: ["run"]) == ["run"]


def test_long_lists_are_cut_with_the_count_left_out():
    values = list(range(MAX_LISTED + 3))
    assert view._listed(values) == [*range(MAX_LISTED), "... 3 more"]
    assert view._listed([1, 2]) == [1, 2]


class FakeGitHub:
    where = "https://github.test/repos/o/r"

    def check_runs(self, sha):
        return [{"name": "lint", "id": 1, "conclusion": "failure"}, {"name": "lint", "id": 3, "conclusion": "success"},
                {"name": "unit", "id": 2, "conclusion": "success"}]  # fmt: skip


class FakeTag:
    name, commit = "v1.0.0", "0123456789abcdef"


class FakeSettings:
    github = FakeGitHub()


def test_the_newest_check_run_of_each_name_counts_and_a_missing_artifact_names_the_tag():
    gate = view.GateView(FakeSettings(), clone=None, tag=FakeTag())
    runs = gate.check_runs()
    assert {name: run["id"] for name, run in runs.items()} == {"lint": 3, "unit": 2}
    missing = gate.no_artifact("1.1.4", "coverage", "the coverage summary")
    assert missing["status"] == "failed"
    assert missing["detail"] == "no artifact 'coverage' (the coverage summary) on the CI runs of v1.0.0 (0123456789ab)"
