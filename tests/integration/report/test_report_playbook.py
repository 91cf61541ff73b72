"""The evidence report end to end: a real ansible-playbook run writes the three files."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

HERE = Path(__file__).parent
PASSWORD = "Pw-9f2c41d7e0b3-unique"
TOKEN = "Tok-77aa5c1e9d0b-unique"


def _run(playbook_runner, tmp_path, gate):
    env = {
        "SMEPLATFORM_REPORT_DIR": str(tmp_path),
        "REPORT_TEST_PASSWORD": PASSWORD,
        "REPORT_TEST_TOKEN": TOKEN,
        "REPORT_TEST_GATE": "true" if gate else "false",
    }
    return playbook_runner(HERE / "playbook_record.yml", "-vvv", "--diff", env=env)


def _reports(tmp_path):
    files = sorted(p for p in tmp_path.iterdir() if not p.name.startswith(".") and "-index." not in p.name)
    return {p.suffix: p for p in files}


def test_three_files_with_every_item_and_the_recorded_statuses(playbook_runner, tmp_path):
    proc = _run(playbook_runner, tmp_path, gate=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = _reports(tmp_path)
    assert set(files) == {".md", ".json", ".xml", ".html"}
    assert files[".md"].name.startswith("reporttest-")
    assert (tmp_path / "reporttest-index.html").exists()
    data = json.loads(files[".json"].read_text())
    items = {i["id"]: i for i in data["items"]}
    assert set(items) == {i.id for i in Catalogue.load().items()}
    assert items["2.1.3"]["status"] == "passed"
    assert items["2.1.3"]["evidence"][0]["measured"] == 3
    assert items["3.2.1"]["status"] == "failed"
    assert items["10.1.1"]["status"] == "manual"
    assert items["10.1.1"]["evidence"][0]["detail"] == "runbook to be reviewed"
    assert data["verdict"]["decision"] == "NO-GO"
    assert "3.2.1" in data["verdict"]["reasons"][0]
    root = ET.parse(files[".xml"]).getroot()
    assert root.get("failures") == "1"
    assert "- [x] **2.1.3**" in files[".md"].read_text()
    assert "verdict: NO-GO" in proc.stdout
    assert not any(p.name.startswith(".journal") for p in tmp_path.iterdir())


def test_gate_fails_the_run_on_no_go(playbook_runner, tmp_path):
    proc = _run(playbook_runner, tmp_path, gate=True)
    assert proc.returncode != 0
    assert "NO-GO: 1 checklist item(s) failed: 3.2.1" in proc.stdout
    assert set(_reports(tmp_path)) == {".md", ".json", ".xml", ".html"}


def test_secret_values_reach_no_report_and_no_output(playbook_runner, tmp_path):
    proc = _run(playbook_runner, tmp_path, gate=True)
    forms = set()
    for secret in (PASSWORD, TOKEN):
        raw = secret.encode()
        forms |= {secret, base64.b64encode(raw).decode(), raw.hex()}
    for path in tmp_path.iterdir():
        text = path.read_text()
        for form in forms:
            assert form not in text, f"{form!r} found in {path.name}"
    for form in forms:
        assert form not in proc.stdout
        assert form not in proc.stderr
    assert "********" in _reports(tmp_path)[".md"].read_text()


def test_unknown_id_fails_naming_it(playbook_runner, tmp_path):
    proc = playbook_runner(HERE / "playbook_unknown.yml", env={"SMEPLATFORM_REPORT_DIR": str(tmp_path)})
    assert proc.returncode != 0
    assert "unknown checklist item id '42.4.2'" in proc.stdout


def test_callback_documentation_renders():
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "callback", "smeplatform.deploy.evidence_report"],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parents[2],
    ).stdout
    assert "report_dir" in out
    assert "GO / NO-GO" in out


def test_results_of_earlier_plays_do_not_mask_plain_words(playbook_runner, tmp_path):
    proc = playbook_runner(HERE / "playbook_registered.yml", env={"SMEPLATFORM_REPORT_DIR": str(tmp_path)})
    assert proc.returncode != 0
    data = json.loads(_reports(tmp_path)[".json"].read_text())
    assert any("plainword-namespace/app failed" in reason for reason in data["verdict"]["reasons"]), data["verdict"]
