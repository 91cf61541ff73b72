"""pre_deploy.yml runs every section even when each one fails, and the report lists every failure together.

Run against a host with none of the platform's inventory: each section fails at its first task (a missing
input), and the next section still runs; nothing is contacted."""

from __future__ import annotations

import json

from tests.integration.conftest import ROOT, run_playbook

SECTIONS = [
    "code_gate",
    "preflight",
    "cluster",
    "secrets",
    "database",
    "app_config",
    "monitoring",
    "hardening",
    "backup",
]


def test_every_section_runs_and_every_failure_is_reported(tmp_path):
    import sys

    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"[targets]\nnowhere ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    proc = run_playbook(
        ROOT / "playbooks/pre_deploy.yml",
        "--check",
        env={"SMEPLATFORM_REPORT_DIR": str(tmp_path)},
        inventory=str(inventory),
    )
    assert proc.returncode != 0
    recap = next(line for line in proc.stdout.splitlines() if line.startswith("nowhere") and "rescued=" in line)
    assert "rescued=9" in recap, recap
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert report["verdict"]["decision"] == "NO-GO"
    reasons = "\n".join(report["verdict"]["reasons"])
    for section in SECTIONS:
        assert f"smeplatform.deploy.{section} :" in reasons, f"{section} missing from the NO-GO reasons:\n{reasons}"
