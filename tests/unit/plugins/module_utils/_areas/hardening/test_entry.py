"""hardening_check's entry: unreadable credentials fail the module, naming them."""

from __future__ import annotations

from ..area_module import run_entry


def test_unreadable_credentials_fail_naming_the_file(monkeypatch):
    args = {"namespace": "ns", "service_account": "app", "kubeconfig": "/nope/k"}
    result = run_entry("hardening", "hardening_check", args, monkeypatch)
    assert result["failed"] and "/nope/k" in result["msg"]
