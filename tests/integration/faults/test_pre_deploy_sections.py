"""pre_deploy.yml runs every section even when each one fails, and the report lists every failure together.

Run against a host with none of the platform's inventory but the namespace (an empty one is refused by the first
play): each section either fails at a task (an input it cannot do without, e.g. an image without a tag) or records
its items as failed (the roles' defaults need no inventory), and the next section still runs. The lab database's
row counts are unchanged."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.conftest import ROOT, run_playbook

pytestmark = pytest.mark.lab

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
    "operations",
]


def test_every_section_runs_and_every_failure_is_reported(tmp_path, rows_unchanged):
    import sys

    inventory = tmp_path / "hosts.ini"
    inventory.write_text(f"[targets]\nnowhere ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    with rows_unchanged():
        proc = run_playbook(
            ROOT / "playbooks/pre_deploy.yml",
            "--check",
            "-e",
            "smeplatform_namespace=sme-nowhere",
            env={"SMEPLATFORM_REPORT_DIR": str(tmp_path)},
            inventory=str(inventory),
        )
    assert proc.returncode != 0
    recap = next(line for line in proc.stdout.splitlines() if line.startswith("nowhere") and "rescued=" in line)
    assert int(re.search(r"rescued=(\d+)", recap).group(1)) >= 1, recap
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert report["verdict"]["decision"] == "NO-GO"
    reasons = "\n".join(report["verdict"]["reasons"])
    measured = {i["role"] for i in report["items"] if i["status"] in ("passed", "failed", "skipped")}
    for section in SECTIONS:
        # a section that failed at a task is a NO-GO reason; one that ran its checks left its items' evidence
        ran = f"smeplatform.deploy.{section} :" in reasons or section in measured
        assert ran, f"{section} neither failed a task nor measured an item:\n{reasons}"
