"""The verdict holds a run to its scope: real ansible-playbook runs, their reports read back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[2]


def _run(playbook_runner, tmp_path, extra: dict):
    return playbook_runner(
        HERE / "playbook_scoped.yml", "-e", json.dumps(extra), env={"SMEPLATFORM_REPORT_DIR": str(tmp_path)}
    )


def _report(tmp_path) -> dict:
    (path,) = [p for p in tmp_path.glob("*.json") if not p.name.startswith(".")]
    return json.loads(path.read_text())


def _passed(item_id: str) -> dict:
    return {"id": item_id, "status": "passed", "measured": 1}


def test_a_run_that_proves_its_whole_scope_is_go(playbook_runner, tmp_path):
    proc = _run(playbook_runner, tmp_path, {"report_test_items": [_passed("2.1.3")], "report_test_scope": ["2.1.3"]})
    assert proc.returncode == 0, proc.stdout
    report = _report(tmp_path)
    assert report["verdict"] == {"decision": "GO", "reasons": []}
    assert report["scope"]["items"] == ["2.1.3"]


def test_an_empty_run_is_no_go(playbook_runner, tmp_path):
    proc = _run(playbook_runner, tmp_path, {"report_test_scope": [], "report_test_no_report": True})
    assert proc.returncode == 0, proc.stdout
    report = _report(tmp_path)
    assert report["verdict"]["decision"] == "NO-GO"
    assert "no report scope was declared" in report["verdict"]["reasons"][0]


def test_one_unproven_item_of_the_scope_is_no_go(playbook_runner, tmp_path):
    extra = {"report_test_items": [_passed("2.1.3")], "report_test_scope": ["2.1.3", "2.1.4"]}
    _run(playbook_runner, tmp_path, extra)
    report = _report(tmp_path)
    assert report["verdict"]["decision"] == "NO-GO"
    assert report["verdict"]["reasons"] == [
        "1 item(s) of scope 'items' not proven in this run: 2.1.4 (run the whole playbook; a run limited by --tags "
        "or --limit cannot be GO)"
    ]


def test_a_sign_off_cannot_pass_an_automated_item(playbook_runner, tmp_path):
    extra = {"report_test_scope": ["2.1.3"], "report_test_signoffs": {"2.1.3": {"by": "A", "at": "2026-01-01T00:00Z"}}}
    proc = _run(playbook_runner, tmp_path, extra)
    assert proc.returncode != 0
    assert "sign-off for 2.1.3 refused: the item is proven by role cluster" in proc.stdout


def test_required_sign_offs_of_manual_items(playbook_runner, tmp_path):
    extra = {
        "report_test_items": [_passed("2.1.3")],
        "report_test_scope": ["2.1.3", "4.2.1"],
        "report_test_require_signoffs": True,
    }
    _run(playbook_runner, tmp_path, extra)
    assert "manual item(s) not signed off: 4.2.1" in _report(tmp_path)["verdict"]["reasons"][0]
    signed = tmp_path / "signed"
    signed.mkdir()
    extra["report_test_signoffs"] = {"4.2.1": {"by": "R. Manager", "at": "2026-12-01T22:00:00Z"}}
    _run(playbook_runner, signed, extra)
    report = _report(signed)
    assert report["verdict"]["decision"] == "GO"
    item = {i["id"]: i for i in report["items"]}["4.2.1"]
    assert item["status"] == "passed"
    assert item["evidence"][0]["detail"] == "signed off by R. Manager at 2026-12-01 22:00 UTC"


def _start(tmp_path, extra: dict) -> subprocess.Popen:
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), SMEPLATFORM_REPORT_DIR=str(tmp_path))
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(HERE / "playbook_scoped.yml")]
    return subprocess.Popen(
        [*cmd, "-e", json.dumps(extra)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_for_journal(tmp_path, proc) -> None:
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".journal-*")):
        assert proc.poll() is None and time.monotonic() < deadline, "the run did not start its journal"
        time.sleep(0.2)
    time.sleep(3)  # inside the pause task


def test_an_interrupted_run_writes_its_no_go_report_at_exit(tmp_path):
    proc = _start(tmp_path, {"report_test_items": [_passed("2.1.3")], "report_test_scope": ["2.1.3"],
                             "report_test_pause": 120})  # fmt: skip
    _wait_for_journal(tmp_path, proc)
    proc.send_signal(signal.SIGINT)
    out, _unused = proc.communicate(timeout=60)
    report = _report(tmp_path)
    assert report["verdict"]["decision"] == "NO-GO", out
    assert report["verdict"]["reasons"][0].startswith("the run was interrupted: ansible-playbook ended before")
    assert "Wait to be interrupted" in report["verdict"]["reasons"][0]
    assert not list(tmp_path.glob(".journal-*"))


def test_a_killed_run_gets_its_report_from_the_next_run(playbook_runner, tmp_path):
    proc = _start(tmp_path, {"report_test_items": [_passed("2.1.3")], "report_test_scope": ["2.1.3"],
                             "report_test_pause": 120})  # fmt: skip
    _wait_for_journal(tmp_path, proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert list(tmp_path.glob(".journal-*")) and not list(tmp_path.glob("*.json"))
    nxt = _run(playbook_runner, tmp_path, {"report_test_items": [_passed("2.1.3")], "report_test_scope": ["2.1.3"]})
    assert "an earlier run in" in nxt.stdout + nxt.stderr
    reports = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.json")) if not p.name.startswith(".")]
    decisions = sorted(r["verdict"]["decision"] for r in reports)
    assert decisions == ["GO", "NO-GO"]
    killed = next(r for r in reports if r["verdict"]["decision"] == "NO-GO")
    assert "stopped before the end of the run" in killed["verdict"]["reasons"][0]
    assert {i["id"]: i["status"] for i in killed["items"]}["2.1.3"] == "passed"
    assert not list(tmp_path.glob(".journal-*"))
