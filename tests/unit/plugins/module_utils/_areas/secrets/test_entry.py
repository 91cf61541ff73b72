"""production_secrets' entry: keys unfit for production stop the run before the cluster is contacted."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import entry

from ..area_module import run_entry


def test_missing_external_keys_fail_before_any_connection(monkeypatch):
    def must_not_connect(*_a, **_k):
        raise AssertionError("connected before checking the inputs")

    monkeypatch.setattr(entry, "Kube", must_not_connect)
    result = run_entry("secrets", "production_secrets", {"external": {"sendgrid_api_key": "SG.short"}}, monkeypatch)
    assert result["failed"] and "nothing was written" in result["msg"]
    assert "SG.short" not in result["msg"]
