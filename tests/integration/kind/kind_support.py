"""Support of the kind lab tests: a kubectl bound to the kind cluster.

The cluster must be up (``make kind-up``, or ``tests/lab/kind/lab.sh up``);
``make kind-test`` brings it up, runs these tests and takes it down. The
paths come from ``tests/lab/kind/lab.sh env`` (paths and names only).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[3]
KIND_LAB = REPO / "tests" / "lab" / "kind" / "lab.sh"
VERSIONS = REPO / "tests" / "lab" / "versions.env"


def read_versions() -> dict[str, str]:
    values = {}
    for line in VERSIONS.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _unused, value = line.partition("=")
            values[key] = value
    return values


def kind_env() -> dict[str, str]:
    out = subprocess.run(["bash", str(KIND_LAB), "env", "--kubeconfig"], capture_output=True, text=True, check=True)
    env = {}
    for line in out.stdout.splitlines():
        name, _unused, raw = line.removeprefix("export ").partition("=")
        env[name] = " ".join(shlex.split(raw))
    return env


class Kube:
    """kubectl against the kind cluster, in one namespace of its own."""

    def __init__(self, kubectl: str, kubeconfig: str, context: str, namespace: str) -> None:
        self.base = [kubectl, "--kubeconfig", kubeconfig, "--context", context]
        self.namespace = namespace

    def run(self, *args: str, stdin: str | None = None, timeout: float = 120, check: bool = True, ns: bool = True):
        cmd = [*self.base, *(["-n", self.namespace] if ns else []), *args]
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{shlex.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def apply(self, manifest: dict[str, Any] | list[dict[str, Any]]) -> None:
        items = manifest if isinstance(manifest, list) else [manifest]
        self.run("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

    def get(self, *args: str, ns: bool = True) -> dict[str, Any]:
        return json.loads(self.run("get", *args, "-o", "json", ns=ns).stdout)

    def wait(self, condition: str, target: str, timeout: int = 120) -> None:
        self.run("wait", f"--for={condition}", target, f"--timeout={timeout}s", timeout=timeout + 30)

    def exec(self, pod: str, *command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return self.run("exec", pod, "--", *command, timeout=timeout, check=False)


def eventually(check: Callable[[], bool], timeout: float, interval: float = 1.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
