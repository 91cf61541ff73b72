"""The evidence report callback: entries collected by id, failed tasks kept, the report written and masked."""

from __future__ import annotations

import atexit
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from ansible_collections.smeplatform.deploy.plugins.callback import evidence_report
from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal


def result(entries=None, task="check", action="smeplatform.deploy.cluster_check", **extra):
    return SimpleNamespace(
        _result={**({"evidence": entries} if entries is not None else {}), **extra},
        _task=SimpleNamespace(_uuid=task, action=action, get_name=lambda: task),
        _host=SimpleNamespace(get_name=lambda: "lab-cluster"),
    )


@pytest.fixture
def callback(tmp_path, monkeypatch):
    monkeypatch.delenv(journal.ENV_VAR, raising=False)
    options = {"report_dir": str(tmp_path), "environment": "unit", "catalogue": None}
    cb = evidence_report.CallbackModule()
    monkeypatch.setattr(cb, "get_option", options.get)
    monkeypatch.setattr(cb, "_display", SimpleNamespace(banner=print, display=lambda *a, **k: None, error=print))
    cb.v2_playbook_on_start(SimpleNamespace(_file_name="/x/playbooks/deploy.yml"))
    yield cb
    atexit.unregister(cb._write_if_interrupted)  # the test process's exit is no interrupted run


def report(tmp_path):
    [name] = [n for n in os.listdir(tmp_path) if n.endswith(".json") and not n.startswith(".")]
    return json.loads((tmp_path / name).read_text())


def items(doc):
    return {i["id"]: i["status"] for i in doc["items"]}


def test_entries_become_item_statuses_and_the_journal_follows_the_run(callback, tmp_path):
    path = os.environ[journal.ENV_VAR]
    callback.v2_playbook_on_task_start(SimpleNamespace(_uuid="check", get_name=lambda: "check"), False)
    callback.v2_runner_on_ok(result([{"id": "2.1.1", "status": "passed"}, {"id": "2.1.2", "status": "failed"}]))
    assert [r["entry"]["id"] for r in journal.read(path) if r["kind"] == "evidence"] == ["2.1.1", "2.1.2"]
    callback.v2_playbook_on_stats(None)
    doc = report(tmp_path)
    assert items(doc)["2.1.1"] == "passed" and items(doc)["2.1.2"] == "failed"
    assert items(doc)["deploy.5"] == "not run"
    assert doc["verdict"]["decision"] == "NO-GO"
    assert not os.path.exists(path)
    reports = [f for f in os.listdir(tmp_path) if not f.startswith(".")]
    assert {f.rsplit(".", 1)[1] for f in reports} == {"md", "json", "xml", "html"}
    assert os.path.exists(tmp_path / "unit-index.html")


def test_a_failed_task_is_a_reason_but_the_verdict_task_is_not(callback, tmp_path):
    callback.v2_runner_on_failed(result(task="lock", msg="deployment lock held by someone"))
    callback.v2_runner_on_failed(
        result(task="verdict", action="smeplatform.deploy.verdict", msg="NO-GO", decision="NO-GO")
    )
    callback.v2_playbook_on_stats(None)
    reasons = report(tmp_path)["verdict"]["reasons"]
    assert any("deployment lock held by someone" in r for r in reasons)
    assert not any("NO-GO" in r for r in reasons)


def test_loop_results_are_collected_and_secrets_masked_in_every_file(callback, tmp_path):
    callback._redactor.add("s3cr3t-value")
    loop = {"results": [{"evidence": [{"id": "4.1.1", "status": "passed", "detail": "password s3cr3t-value"}]}]}
    callback.v2_runner_on_ok(result(**loop))
    callback.v2_playbook_on_stats(None)
    assert items(report(tmp_path))["4.1.1"] == "passed"
    for name in os.listdir(tmp_path):
        assert "s3cr3t-value" not in (tmp_path / name).read_text()


def test_two_runs_ending_in_the_same_second_keep_a_report_each(tmp_path):
    import datetime

    from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor
    from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue
    from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import RunLog, build

    stamp = datetime.datetime(2026, 12, 2, 3, 0, 0, tzinfo=datetime.UTC)
    bases = []
    for passed in ("2.1.1", "2.1.2"):
        log = RunLog()
        log.environment = "unit"
        log.add_record({"kind": "evidence", "host": "h", "task": "t", "entry": {"id": passed, "status": "passed"}})
        bases.append(evidence_report.write_report(str(tmp_path), build(Catalogue.load(), log), Redactor(), stamp))
    assert [os.path.basename(b) for b in bases] == ["unit-20261202T030000Z", "unit-20261202T030000Z_2"]
    # the later run's files sort after the earlier run's, as runs in different seconds do
    assert sorted(tmp_path.glob("unit-*.json"))[-1].name == "unit-20261202T030000Z_2.json"
    first, second = (json.loads(Path(b + ".json").read_text(encoding="utf-8")) for b in bases)
    assert items(first)["2.1.1"] == "passed" and items(first)["2.1.2"] == "not run"
    assert items(second)["2.1.2"] == "passed" and items(second)["2.1.1"] == "not run"
    assert second["run_id"] == "unit-20261202T030000Z_2"
    index = (tmp_path / "unit-index.html").read_text()
    assert "unit-20261202T030000Z.html" in index and "unit-20261202T030000Z_2.html" in index
