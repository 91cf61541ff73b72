"""smoke_check's entry: checks that cannot run fail the module naming the platform, before any request."""

from __future__ import annotations

from ..area_module import run_entry


def test_login_checks_without_credentials_fail_naming_the_api(monkeypatch):
    result = run_entry("smoke", "smoke_check", {"api_url": "https://api.unit.test", "checks": ["login"]}, monkeypatch)
    assert result["failed"]
    assert result["msg"].startswith("smoke checks against https://api.unit.test could not run")
    assert "login.email and login.password" in result["msg"]


def test_unconfigured_integrations_are_skipped(monkeypatch):
    args = {"api_url": "https://api.unit.test", "checks": ["sms", "payment", "email"]}
    result = run_entry("smoke", "smoke_check", args, monkeypatch)
    assert result["passed"] and result["summary"] == {"passed": 0, "failed": 0, "skipped": 3}
