"""registry_check's entry: a bad tag fails before any request, and the password is never shown."""

from __future__ import annotations

from ..area_module import run_entry


def test_a_bad_tag_is_refused_without_showing_the_password(monkeypatch):
    args = {
        "registry_url": "http://127.0.0.1:9",
        "username": "u",
        "password": "Reg-pw-unit-5678",
        "images": [{"repository": "sme/backend", "tag": "not a tag"}],
    }
    result = run_entry("preflight", "registry_check", args, monkeypatch)
    assert result["failed"] and "not a tag" in result["msg"]
    assert "Reg-pw-unit-5678" not in str(result)
