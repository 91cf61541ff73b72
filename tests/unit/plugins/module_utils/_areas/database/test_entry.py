"""postgres_check's entry: an unreachable server fails the items that needed it, naming it, never the password."""

from __future__ import annotations

from ..area_module import run_entry


def test_an_unreachable_server_fails_its_items(monkeypatch):
    args = {
        "host": "127.0.0.1",
        "port": 9,
        "dbname": "d",
        "app_user": "a",
        "app_password": "Pg-pw-unit-99",
        "connect_timeout": 2,
    }
    result = run_entry("database", "postgres_check", args, monkeypatch)
    assert not result["failed"], result.get("msg")
    statuses = {e["id"]: e["status"] for e in result["evidence"]}
    assert statuses["4.2.4"] == "failed"
    refused = next(e for e in result["evidence"] if e["id"] == "4.2.4")
    assert "127.0.0.1" in refused["detail"] + refused["where"]
    assert "Pg-pw-unit-99" not in str(result)
