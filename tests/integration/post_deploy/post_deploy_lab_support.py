"""Helpers of the post-deployment lab tests: where the playbook and the lab inventory are, and one run's results."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "smoke"))

from smoke_lab_support import ROOT  # noqa: E402

PLAYBOOK = ROOT / "playbooks" / "post_deploy.yml"
INVENTORY = str(ROOT / "inventories" / "lab")


class Stage:
    """One run of a stage: the process, its report (JSON) and how long it took."""

    def __init__(self, proc, report, seconds):
        self.proc = proc
        self.report = report
        self.seconds = seconds
        self.items = {one["id"]: one for one in (report or {}).get("items", [])}

    @property
    def output(self) -> str:
        return self.proc.stdout + self.proc.stderr
