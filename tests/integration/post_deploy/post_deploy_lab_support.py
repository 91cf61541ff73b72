"""Helpers of the post-deployment lab tests: where the playbook and the lab inventory are, and one run's results."""

from __future__ import annotations

import os
import subprocess
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


def run_playbook(playbook, *args, env=None, inventory=INVENTORY, timeout=900):
    """ansible-playbook from the collection root with the project's ansible.cfg and the venv's ansible."""
    full_env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_FORCE_COLOR": "0", **(env or {})}
    cmd = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory, str(playbook), *args]
    return subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, check=False, timeout=timeout)


def module_running(module: str, marker: str) -> bool:
    """A process of this run executes the collection's module, told apart from other runs on the machine by
    ``marker`` (the test's folder). In the controller's worker process (plugins/action/in_process.py) the module
    has the folder ``ansible_<collection>.<module>_in_process_*`` in the run's TMPDIR (``<marker>/tmp``, see
    conftest) while it runs; as a module process with pipelining its AnsiballZ wrapper unpacks it into
    ``ansible_<collection>.<module>_payload_*`` there; without pipelining, its AnsiballZ file is on the command
    line and the marker in its environment."""
    if any(Path(marker, "tmp").glob(f"ansible_*{module}_*")):
        return True
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if f"AnsiballZ_{module}".encode() not in handle.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as handle:
                if marker.encode() in handle.read():
                    return True
        except OSError:
            continue
    return False
