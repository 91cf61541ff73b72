"""The release modules' entries: unreadable credentials and bad input fail, naming them."""

from __future__ import annotations

from ..area_module import run_entry


def test_the_lock_names_the_credentials_it_could_not_read(monkeypatch):
    result = run_entry(
        "release", "deploy_lock", {"name": "web", "namespace": "ns", "kubeconfig": "/nope/k"}, monkeypatch
    )
    assert result["failed"] and "/nope/k" in result["msg"]


def test_a_migration_without_an_image_is_refused(monkeypatch):
    args = {"release": "web", "namespace": "ns", "action": "run", "command": ["migrate"], "kubeconfig": "/nope/k"}
    result = run_entry("release", "migration_job", args, monkeypatch)
    assert result["failed"]
