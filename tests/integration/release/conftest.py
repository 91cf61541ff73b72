"""Fixtures of the release role's lab tests (helpers in release_lab_support.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from release_lab_support import HERE, NAMESPACE, RELEASE, ROOT, Lab, exports, free_port


@pytest.fixture(scope="session")
def release_env() -> dict[str, str]:
    env = dict(os.environ)
    out = subprocess.run(
        ["bash", str(ROOT / "tests/lab/k8s/lab.sh"), "env"], capture_output=True, text=True, check=False
    )
    env.update(exports(out.stdout, env))
    env["PATH"] = f"{ROOT / '.venv/bin'}:{env['PATH']}"
    env["ANSIBLE_ROLES_PATH"] = f"{HERE / 'roles'}:{ROOT / 'roles'}"
    env["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    env["ANSIBLE_FORCE_COLOR"] = "0"
    probe = subprocess.run(["kubectl", "get", "--raw", "/readyz"], env=env, capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.fail(f"the Kubernetes lab is not up (tests/lab/k8s/lab.sh up): {probe.stderr}")
    return env


@pytest.fixture(scope="module")
def lab(release_env, tmp_path_factory):
    env = release_env
    subprocess.run(["helm", "uninstall", RELEASE, "-n", NAMESPACE, "--wait"], env=env, capture_output=True, check=False)
    subprocess.run(
        ["kubectl", "delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=120s"],
        env=env,
        capture_output=True,
        check=False,
    )
    port = free_port()
    standin = subprocess.Popen(  # noqa: S603 - the lab's own stand-in
        [
            sys.executable,
            str(ROOT / "tests/lab/standins/platform.py"),
            "--port",
            str(port),
            "--kubeconfig",
            env["KUBECONFIG"],
            "--namespace",
            NAMESPACE,
            "--deployment",
            f"{RELEASE}-sme-platform-backend",
            "--frontend-deployment",
            f"{RELEASE}-sme-platform-frontend",
            "--configmap",
            f"{RELEASE}-sme-platform-config",
            "--secret",
            "sme-platform-secrets",
            "--cache-ttl",
            "0.2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    try:
        yield Lab(env, tmp_path_factory.mktemp("release"), port)
    finally:
        standin.terminate()
        standin.wait(timeout=10)
