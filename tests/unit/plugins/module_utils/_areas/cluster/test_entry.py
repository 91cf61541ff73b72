"""cluster_check's entry: bad input and unreadable credentials fail the module, naming them."""

from __future__ import annotations

from ..area_module import run_entry


def test_unreadable_credentials_fail_naming_the_file(monkeypatch):
    result = run_entry(
        "cluster", "cluster_check", {"namespace": "ns", "backend_deployment": "b", "kubeconfig": "/nope/k"}, monkeypatch
    )
    assert result["failed"] and "/nope/k" in result["msg"]


def test_a_bad_volume_size_fails_before_connecting(monkeypatch):
    args = {"namespace": "ns", "backend_deployment": "b", "volume_size": "x", "kubeconfig": "/nope/k"}
    result = run_entry("cluster", "cluster_check", args, monkeypatch)
    assert result["failed"] and "not a storage quantity" in result["msg"]
