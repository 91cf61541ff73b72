"""Fixtures of the pre-deployment check tests: the lab's settings, a role runner reading the report, namespaces."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from checks_support import COMPONENTS, HERE, ROOT, Run, _exports, kubectl


@pytest.fixture(scope="session")
def lab() -> dict[str, str]:
    """os.environ with every lab component's settings; the test fails clearly when the lab is down."""
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
    for component in COMPONENTS:
        out = subprocess.run(
            ["bash", str(ROOT / "tests" / "lab" / component / "lab.sh"), "env"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        for name, value in _exports(out.stdout, env).items():
            env[name] = value
    probe = subprocess.run(["kubectl", "get", "--raw", "/readyz"], env=env, capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.fail("the lab cluster is not up: run make lab-up (tests/lab/lab.sh up)", pytrace=False)
    return env


@pytest.fixture
def run_role(lab: dict[str, str], tmp_path: Path):
    """run_role(role, entry="main", check=False, **extra_vars) against the lab inventory."""

    def run(role: str, entry: str = "main", check: bool = False, verbose: bool = False, **extra: Any) -> Run:
        report_dir = tmp_path / f"report-{uuid.uuid4().hex[:8]}"
        env = {**lab, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "SMEPLATFORM_REPORT_DIR": str(report_dir)}
        extra = {"check_role": role, "check_entry": entry, **extra}
        cmd = ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(HERE / "role.yml"), "--diff"]
        cmd += ["-e", json.dumps(extra)]
        if check:
            cmd.append("--check")
        if verbose:
            cmd.append("-vvv")
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
        return Run(proc, report_dir)

    return run


@pytest.fixture(scope="session")
def platform_release(lab: dict[str, str]) -> str:
    """The reference chart deployed as release sme-platform (shared with other tests: installed when missing, kept)."""
    status = subprocess.run(
        ["helm", "status", "sme-platform", "-n", "sme-platform"], env=lab, capture_output=True, check=False
    )
    if status.returncode != 0:
        subprocess.run(
            [
                "helm", "upgrade", "--install", "sme-platform", str(ROOT / "charts" / "sme-platform"),
                "-n", "sme-platform", "--create-namespace",
                "-f", str(ROOT / "charts" / "sme-platform" / "values-lab.yaml"),
            ],
            env=lab, capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
    # A release installed just now: its Ingress gets its address from the lab's ingress controller a moment later
    # (the checks of 2.2.3 rightly fail without one), so the tests start once it is published.
    deadline = time.monotonic() + 120
    while True:
        out = kubectl(lab, "-n", "sme-platform", "get", "ingress", "-o", "json", check=False)
        items = json.loads(out or "{}").get("items") or []
        if items and all(((i.get("status") or {}).get("loadBalancer") or {}).get("ingress") for i in items):
            break
        assert time.monotonic() < deadline, "the lab's ingress controller published no address for sme-platform"
        time.sleep(0.5)
    return "sme-platform"


@pytest.fixture
def namespace(lab: dict[str, str]) -> Iterator[str]:
    """A namespace of this test's own, deleted afterwards."""
    name = f"sme-checks-{uuid.uuid4().hex[:6]}"
    kubectl(lab, "create", "namespace", name)
    yield name
    kubectl(lab, "delete", "namespace", name, "--wait=false", check=False)
