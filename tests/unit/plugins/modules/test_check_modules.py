"""The check modules refuse bad input before they connect anywhere, naming what is wrong."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import entry as backup_entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import entry as cluster_entry
from ansible_collections.smeplatform.deploy.plugins.modules import (
    backup_cronjob,
    backup_restore_drill,
    cluster_check,
    monitoring_check,
    registry_check,
)

from .utils import run_main

NOWHERE = "/nonexistent/kubeconfig"


def _must_not_connect(*_args, **_kwargs):
    raise AssertionError("the module connected before validating its input")


@pytest.fixture(autouse=True)
def no_kube(monkeypatch):
    for entry in (backup_entry, cluster_entry):
        monkeypatch.setattr(entry, "Kube", _must_not_connect)


def test_backup_cronjob_rejects_a_bad_schedule(monkeypatch):
    result = run_main(
        backup_cronjob.main,
        {"namespace": "sme", "image": "postgres:15", "command": ["pg_dump"], "schedule": "nightly"},
        monkeypatch,
        check_mode=True,
    )
    assert result["failed"] and "five cron fields" in result["msg"]


def test_backup_restore_drill_rejects_a_scratch_name_that_is_not_a_plain_identifier(monkeypatch):
    result = run_main(
        backup_restore_drill.main,
        {"namespace": "sme", "scratch_prefix": "drill; DROP DATABASE x", "kubeconfig": NOWHERE},
        monkeypatch,
    )
    assert result["failed"] and "scratch_prefix" in result["msg"]


def test_cluster_check_rejects_a_bad_volume_size(monkeypatch):
    result = run_main(
        cluster_check.main,
        {"namespace": "sme", "backend_deployment": "b", "volume_size": "thirty", "kubeconfig": NOWHERE},
        monkeypatch,
    )
    assert result["failed"] and "not a storage quantity: 'thirty'" in result["msg"]


def test_monitoring_check_rejects_a_bad_retention(monkeypatch):
    result = run_main(
        monitoring_check.main,
        {"prometheus_url": "http://127.0.0.1:1", "rules_file": "/dev/null", "min_retention": "a month"},
        monkeypatch,
    )
    assert result["failed"] and "not a duration" in result["msg"]


def test_registry_check_rejects_a_bad_tag_and_hides_the_password(monkeypatch):
    result = run_main(
        registry_check.main,
        {
            "registry_url": "http://127.0.0.1:1",
            "username": "u",
            "password": "Reg-pw-unit-1234",
            "images": [{"repository": "sme/backend", "tag": "not a tag"}],
        },
        monkeypatch,
    )
    assert result["failed"] and "valid tag" in result["msg"]
    assert "Reg-pw-unit-1234" not in str(result)
