"""The helm client: the release spec's validation and the helm command line (options, failures, an early stop)."""

from __future__ import annotations

import os
import stat
import sys
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)

SPEC = {
    "chart_version": None,
    "repo": None,
    "values_files": [],
    "values": {},
    "set_values": {},
    "wait": True,
    "atomic": True,
    "timeout": 600,
    "history_max": 10,
}


def test_release_spec_rejects_bad_input(tmp_path):
    chart = tmp_path / "chart"
    chart.mkdir()
    good = {**SPEC, "name": "r", "namespace": "ns", "chart": str(chart)}
    helm.ReleaseSpec(**good).validate()
    with pytest.raises(ConfigurationError, match="53"):
        helm.ReleaseSpec(**{**good, "name": "x" * 54}).validate()
    with pytest.raises(ConfigurationError, match="does not exist"):
        helm.ReleaseSpec(**{**good, "chart": str(tmp_path / "missing")}).validate()
    with pytest.raises(ConfigurationError, match="empty"):
        helm.ReleaseSpec(**{**good, "set_values": {"backend.image.tag": ""}}).validate()
    with pytest.raises(ConfigurationError, match="values file"):
        helm.ReleaseSpec(**{**good, "values_files": [str(tmp_path / "nope.yaml")]}).validate()
    helm.ReleaseSpec(**{**good, "chart": "oci://registry/charts/x"}).validate()


def fake_helm(tmp_path, script):
    path = tmp_path / "helm"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_helm_passes_connection_options_and_values(tmp_path):
    log = tmp_path / "args"
    binary = fake_helm(tmp_path, f'echo "$@" > {log}\necho \'{{"version": 3}}\'\n')
    client = helm.Helm(binary, kubeconfig="/k/config", context="lab")
    chart = tmp_path / "chart"
    chart.mkdir()
    spec = helm.ReleaseSpec(
        **{
            **SPEC,
            "name": "r",
            "namespace": "ns",
            "chart": str(chart),
            "values": {"a": 1},
            "set_values": {"backend.image.tag": "v2"},
            "timeout": 30,
            "history_max": 5,
        }
    )
    assert client.upgrade(spec) == {"version": 3}
    args = log.read_text()
    for part in (
        "upgrade r",
        "--install -n ns",
        "--set-string backend.image.tag=v2",
        "--timeout 30s",
        "--history-max 5",
        "--atomic",
        "--wait",
        "--kubeconfig /k/config --kube-context lab",
    ):
        assert part in args
    inline = args.split("--values ")[1].split()[0]
    assert not os.path.exists(inline), "the inline values file was left behind"
    # the schema check is skipped only for an upgrade whose dry run has just made it
    assert "--disable-openapi-validation" not in args
    client.upgrade(spec, dry_run=True)
    assert "--dry-run=server" in log.read_text() and "--disable-openapi-validation" not in log.read_text()
    client.upgrade(spec, validated=True)
    assert "--disable-openapi-validation" in log.read_text()


def test_helm_failure_carries_its_error(tmp_path):
    binary = fake_helm(tmp_path, 'echo "Error: UPGRADE FAILED: context deadline exceeded" >&2\nexit 1\n')
    with pytest.raises(helm.HelmCommandFailed, match="deadline exceeded") as caught:
        helm.Helm(binary).history("r", "ns")
    assert caught.value.timed_out


def test_helm_missing_release_reads_as_none(tmp_path):
    binary = fake_helm(tmp_path, 'echo "Error: release: not found" >&2\nexit 1\n')
    assert helm.Helm(binary).status("r", "ns") is None
    assert helm.Helm(binary).history("r", "ns") == []


def test_missing_helm_binary_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="not an executable"):
        helm.Helm(str(tmp_path / "no-helm"))


def test_helm_is_stopped_when_the_watch_finds_a_cause(tmp_path):
    fake = tmp_path / "helm"
    fake.write_text(
        f"#!{sys.executable}\nimport signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit('Release web has been cancelled.'))\ntime.sleep(60)\n"
    )
    fake.chmod(0o755)
    client = helm.Helm(str(fake))
    looks = iter([None, "pod ns/web-1 container backend: ImagePullBackOff"])
    started = time.monotonic()
    with pytest.raises(helm.StoppedEarly) as stopped:
        client.run(["upgrade"], "upgrade of ns/web", timeout=60, watch=lambda: next(looks), every=0.2)
    assert time.monotonic() - started < 5
    assert stopped.value.stderr == "pod ns/web-1 container backend: ImagePullBackOff"
    assert "helm upgrade of ns/web stopped: pod ns/web-1" in str(stopped.value)
