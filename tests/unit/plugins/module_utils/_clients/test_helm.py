"""The helm client: release comparison, history, pending recovery, the helm command line."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    CheckFailed,
    ConfigurationError,
)

from ..helm_fakes import MANIFEST, release


# -- helm -----------------------------------------------------------------------------------
def test_identical_release_has_no_changes():
    assert helm.release_changes(release(), release()) == []


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        (None, ["release does not exist"]),
        (release(config={"image": {"tag": "v0"}}), ["config"]),
        (release(manifest=MANIFEST.replace("web:v1", "web:v0")), ["manifest"]),
        (release(chart=("x", "0.9.0")), ["chart"]),
        (release(status="failed"), ["last revision is failed"]),
    ],
)
def test_release_changes_name_what_differs(live, expected):
    assert helm.release_changes(live, release()) == expected


def test_status_without_chart_takes_it_from_the_history():
    live = release()
    del live["chart"]
    history = [{"revision": 1, "chart": "x-1.0.0", "app_version": "1", "status": "deployed"}]
    assert helm.release_changes(helm.with_chart(live, history), release()) == []
    assert helm.release_changes(live, release()) == ["chart", "app_version"]


def test_images_of_a_manifest():
    assert helm.images(MANIFEST) == ["reg/web:v1", "reg/side:v2"]


HISTORY = [
    {"revision": 1, "status": "superseded"},
    {"revision": 2, "status": "superseded"},
    {"revision": 3, "status": "failed"},
    {"revision": 4, "status": "deployed"},
]


def test_previous_good_revision_skips_failed_ones():
    assert helm.previous_good_revision(HISTORY, 4) == 2
    assert helm.previous_good_revision(HISTORY, 1) is None


def test_revisions_rolled_back_from_are_the_ones_before_a_rollback():
    history = [
        {"revision": 1, "status": "superseded", "description": "Install complete"},
        {"revision": 2, "status": "superseded", "description": "Upgrade complete"},
        {"revision": 3, "status": "superseded", "description": "Upgrade complete"},
        {"revision": 4, "status": "deployed", "description": "Rollback to 2"},
    ]
    assert helm.rolled_back_from(history) == {3}
    assert helm.rolled_back_from(history[:3]) == set()


def test_pending_plan_rolls_back_to_the_last_deployed_revision():
    history = [*HISTORY, {"revision": 5, "status": "pending-upgrade"}]
    assert helm.pending_plan(history, "rollback") == {
        "status": "pending-upgrade",
        "revision": 5,
        "target": 4,
        "action": "rollback",
    }
    assert helm.pending_plan(HISTORY, "rollback") is None


def test_pending_plan_fail_says_how_to_recover():
    history = [*HISTORY, {"revision": 5, "status": "pending-rollback"}]
    with pytest.raises(CheckFailed, match="stuck in pending-rollback at revision 5.*helm rollback <release> 4"):
        helm.pending_plan(history, "fail")


def test_pending_install_without_deployed_revision_cannot_be_rolled_back():
    with pytest.raises(CheckFailed, match="no earlier deployed revision.*helm uninstall"):
        helm.pending_plan([{"revision": 1, "status": "pending-install"}], "rollback")


# The fields of a release spec besides name, namespace and chart, as helm_release's option table fills them in.
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


# -- lock -----------------------------------------------------------------------------------
