"""Fixtures of the kind lab tests (kind_support.py has the helpers)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest
from kind_support import Kube, kind_env, read_versions


@pytest.fixture(scope="session")
def kind_kube() -> Kube:
    env = kind_env()
    probe = subprocess.run(
        [f"{env['PATH'].split(':')[0]}/kubectl", "--kubeconfig", env["KUBECONFIG"], "get", "--raw", "/readyz"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        pytest.fail(f"the kind cluster is not up ({probe.stderr.strip()}): run `make kind-up` first")
    kubectl = f"{env['PATH'].split(':')[0]}/kubectl"
    return Kube(kubectl, env["KUBECONFIG"], env["SMEPLATFORM_LAB_KIND_CONTEXT"], "default")


@pytest.fixture
def namespace(kind_kube: Kube) -> Iterator[Kube]:
    """A fresh namespace for one test, deleted afterwards."""
    name = f"kind-test-{uuid.uuid4().hex[:8]}"
    kind_kube.run("create", "namespace", name, ns=False)
    try:
        yield Kube(kind_kube.base[0], kind_kube.base[2], kind_kube.base[4], name)
    finally:
        kind_kube.run("delete", "namespace", name, "--wait=false", ns=False, check=False)


@pytest.fixture(scope="session")
def busybox_image() -> str:
    return f"smeplatform.lab/busybox:{read_versions()['KIND_DEBIAN_SUITE']}"
