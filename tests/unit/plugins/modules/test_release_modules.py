"""The release modules reject bad input before they touch a cluster or run helm."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.modules import (
    deploy_lock,
    helm_release,
    migration_job,
    release_diagnostics,
)

from .utils import run_main

NO_CLUSTER = {"kubeconfig": "/nonexistent/kubeconfig"}


def test_helm_release_needs_a_chart_to_install(monkeypatch):
    result = run_main(helm_release.main, {"name": "r", "namespace": "ns", **NO_CLUSTER}, monkeypatch)
    assert result["failed"] and "chart" in result["msg"]


def test_helm_release_rejects_an_unknown_pending_action(monkeypatch):
    args = {"name": "r", "namespace": "ns", "chart": "/c", "pending_action": "ignore", **NO_CLUSTER}
    result = run_main(helm_release.main, args, monkeypatch)
    assert result["failed"] and "pending_action" in result["msg"]


def test_helm_release_reports_a_missing_helm(monkeypatch, tmp_path):
    args = {"name": "r", "namespace": "ns", "chart": str(tmp_path), "helm_binary": str(tmp_path / "nohelm")}
    result = run_main(helm_release.main, {**args, **NO_CLUSTER}, monkeypatch)
    assert result["failed"] and "not an executable" in result["msg"]


def test_helm_release_rejects_an_empty_image_tag_before_running_helm(monkeypatch, tmp_path):
    helm = tmp_path / "helm"
    helm.write_text("#!/bin/sh\necho called >> " + str(tmp_path / "calls") + "\nexit 1\n")
    helm.chmod(0o755)
    args = {
        "name": "r",
        "namespace": "ns",
        "chart": str(tmp_path),
        "helm_binary": str(helm),
        "set_values": {"backend.image.tag": ""},
    }
    result = run_main(helm_release.main, {**args, **NO_CLUSTER}, monkeypatch)
    assert result["failed"] and "empty" in result["msg"]
    assert not (tmp_path / "calls").exists(), "helm ran before the input was checked"


def test_deploy_lock_release_needs_the_holder(monkeypatch):
    args = {"name": "l", "namespace": "ns", "state": "released", **NO_CLUSTER}
    result = run_main(deploy_lock.main, args, monkeypatch)
    assert result["failed"] and "holder" in result["msg"]


def test_deploy_lock_without_credentials_fails_clearly(monkeypatch):
    result = run_main(deploy_lock.main, {"name": "l", "namespace": "ns", **NO_CLUSTER}, monkeypatch)
    assert result["failed"] and "/nonexistent/kubeconfig" in result["msg"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "one of the following is required: image, image_from"),
        ({"image": "a:1", "image_from": {"name": "x"}}, "mutually exclusive"),
    ],
)
def test_migration_job_needs_exactly_one_image_source(monkeypatch, extra, message):
    args = {"release": "r", "namespace": "ns", "action": "run", "command": ["npm"], **extra, **NO_CLUSTER}
    result = run_main(migration_job.main, args, monkeypatch)
    assert result["failed"] and message in result["msg"]


def test_release_diagnostics_without_credentials_fails_clearly(monkeypatch):
    result = run_main(release_diagnostics.main, {"namespace": "ns", **NO_CLUSTER}, monkeypatch)
    assert result["failed"] and "cannot load Kubernetes credentials" in result["msg"]
