"""Helpers of the pre-deployment check tests: lab settings, kubectl, a playbook run and its report."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).parent
COMPONENTS = ("tls", "k8s", "data", "edge")


def _exports(text: str, base: dict[str, str]) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _unused, raw = line[len("export ") :].partition("=")
            found[name] = " ".join(shlex.split(raw)).replace("$PATH", base.get("PATH", ""))
    return found


def stop_process(pid_file: Path, seconds: float = 30) -> None:
    """SIGTERM the lab process whose pid the file holds, and wait until it is gone."""
    import os
    import signal
    import time

    pid = int(pid_file.read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError(f"process {pid} of {pid_file} still runs {seconds:g} s after SIGTERM")


def kubectl(lab: dict[str, str], *args: str, stdin: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(["kubectl", *args], env=lab, input=stdin, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"kubectl {' '.join(args)}: {proc.stderr}")
    return proc.stdout


class Run:
    """One ansible-playbook run: its output and the evidence of its report, by item id."""

    def __init__(self, proc: subprocess.CompletedProcess, report_dir: Path):
        self.proc = proc
        self.output = proc.stdout + proc.stderr
        reports = sorted(report_dir.glob("*.json"))
        self.report = json.loads(reports[-1].read_text()) if reports else {"items": []}
        self.report_text = "".join(p.read_text() for p in report_dir.iterdir() if p.is_file())
        self.items = {i["id"]: i for i in self.report["items"]}

    def status(self, item: str) -> str:
        return self.items[item]["status"]

    def evidence(self, item: str) -> dict[str, Any]:
        return self.items[item]["evidence"][0]

    def changed(self) -> int:
        for line in self.proc.stdout.splitlines():
            if "changed=" in line and "ok=" in line:
                return int(line.split("changed=")[1].split()[0])
        raise AssertionError(f"no play recap in:\n{self.output}")
