from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_playbook(playbook, *args, env=None, check=False, inventory="localhost,"):
    """Run ansible-playbook from the collection root with the project's ansible.cfg."""
    full_env = dict(os.environ)
    full_env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    full_env.setdefault("ANSIBLE_FORCE_COLOR", "0")
    full_env.update(env or {})
    beside = Path(sys.executable).parent / "ansible-playbook"
    cmd = [str(beside) if beside.exists() else shutil.which("ansible-playbook") or "ansible-playbook"]
    cmd += ["-i", inventory, str(playbook), *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, capture_output=True, text=True, check=False, timeout=900)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def playbook_runner():
    return run_playbook
