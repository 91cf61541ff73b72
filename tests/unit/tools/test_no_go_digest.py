"""The CI digest names each NO-GO report's reasons and failed evidence, and leaves GO reports out."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPEC = importlib.util.spec_from_file_location("no_go_digest", HERE.parents[1] / "tools" / "no_go_digest.py")
digest_tool = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(digest_tool)


def report(decision: str, reasons: list[str], items: list[dict]) -> dict:
    return {"verdict": {"decision": decision, "reasons": reasons}, "started": "s", "finished": "f", "items": items}


FAILED_ITEM = {
    "id": "5.1.1",
    "status": "failed",
    "evidence": [
        {"status": "passed", "detail": "first host fine", "task": "t0"},
        {"status": "failed", "detail": "replica lag 90 s > 30 s", "task": "database : Check PostgreSQL"},
    ],
}


def test_no_go_report_names_reasons_and_failed_evidence(tmp_path, capsys):
    (tmp_path / "lab-1.json").write_text(
        json.dumps(report("NO-GO", ["1 checklist item(s) failed: 5.1.1"], [FAILED_ITEM]))
    )
    (tmp_path / "lab-2.json").write_text(json.dumps(report("GO", [], [{"id": "1.1.1", "status": "passed"}])))
    assert digest_tool.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "NO-GO report" in out and "lab-1.md" in out
    assert "reason: 1 checklist item(s) failed: 5.1.1" in out
    assert "failed 5.1.1 (database : Check PostgreSQL): replica lag 90 s > 30 s" in out
    assert "first host fine" not in out
    assert "lab-2" not in out


def test_reports_older_than_the_run_are_left_out(tmp_path, capsys):
    old = tmp_path / "lab-0.json"
    old.write_text(json.dumps(report("NO-GO", ["task 'x' failed on h: boom"], [])))
    os.utime(old, (1000, 1000))
    digest_tool.main([str(tmp_path), "--since", "2000"])
    out = capsys.readouterr().out
    assert "boom" not in out
    assert "no NO-GO report" in out


MOLECULE_OUTPUT = """\
  \x1b[2m│\x1b[0m TASK [smeplatform.deploy.release : Deploy the release]
  \x1b[2m│\x1b[0m ok: [lab-cluster]
  \x1b[2m│\x1b[0m TASK [smeplatform.deploy.smoke : Fail the gate, naming the failed checks]
  \x1b[2m│\x1b[0m fatal: [lab-cluster]: FAILED! => {
  \x1b[2m│\x1b[0m     "msg": "Smoke gate (deploy) failed: error_rate"
  \x1b[2m│\x1b[0m }
\x1b[31mERROR   \x1b[0m Ansible return code was 2
"""


def test_log_excerpt_names_the_failed_task_and_its_message(tmp_path, capsys):
    log = tmp_path / "molecule.log"
    log.write_text(MOLECULE_OUTPUT)
    digest_tool.main([str(tmp_path), "--log", str(log)])
    out = capsys.readouterr().out
    assert "TASK [smeplatform.deploy.smoke : Fail the gate, naming the failed checks]" in out
    assert '"msg": "Smoke gate (deploy) failed: error_rate"' in out
    assert "\x1b[" not in out and "│" not in out
    assert "Deploy the release" not in out
    assert out.count("Ansible return code was 2") == 1, "a failure inside an excerpt is listed again"


def test_reports_without_a_verdict_are_passed_over(tmp_path, capsys):
    # a release's diagnostics are written beside the checklist reports: they carry no verdict
    (tmp_path / "diagnostics-1.json").write_text(json.dumps({"release": "sme-platform", "pods": []}))
    (tmp_path / "lab-1.json").write_text(json.dumps(report("NO-GO", ["interrupted"], [])))
    assert digest_tool.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "diagnostics-1" not in out
    assert "NO-GO report" in out and "reason: interrupted" in out
