"""Helpers of the packaging tests: tools beside the interpreter, an environment that sees only installed collections."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    beside = BIN / name
    return str(beside) if beside.exists() else shutil.which(name) or name


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def isolated_env(collections_path: Path, cwd: Path) -> dict[str, str]:
    """An environment that sees only the installed collections: no ansible.cfg of this repository."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    config = cwd / "ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    env["ANSIBLE_CONFIG"] = str(config)
    # the installed tarball first, then the collections the `ansible` package brings (kubernetes.core)
    bundled = Path(yaml.__file__).parent  # any site-packages entry: ansible_collections sits beside it
    site = bundled.parent
    env["ANSIBLE_COLLECTIONS_PATH"] = f"{collections_path}:{site}"
    env["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    env["ANSIBLE_LOCAL_TEMP"] = str(cwd / ".ansible-tmp")
    env["ANSIBLE_HOME"] = str(cwd / ".ansible-home")
    return env
