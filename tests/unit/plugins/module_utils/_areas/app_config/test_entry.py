"""app_config_check's entry: planned values are checked without a cluster; the source is said."""

from __future__ import annotations

from ..area_module import run_entry

PLANNED = {
    "NODE_ENV": "production",
    "CORS_ORIGIN": "https://x.test",
    "ALLOWED_ORIGINS": "https://x.test",
    "RATE_LIMIT_MAX": "100",
    "RATE_LIMIT_WINDOW_MS": "900000",
    "DEBUG": "false",
    "LOG_LEVEL": "debug",
}


def test_planned_values_are_checked_and_the_source_named(monkeypatch):
    args = {
        "namespace": "ns",
        "frontend_url": "https://x.test",
        "domain": "x.test",
        "mail_domain": "x.test",
        "source": "planned",
        "planned": PLANNED,
        "dns_resolver": "127.0.0.1:9",
        "timeout": 1,
    }
    result = run_entry("app_config", "app_config_check", args, monkeypatch)
    assert not result["failed"], result.get("msg")
    assert result["source"] == "planned values"
    statuses = {e["id"]: e["status"] for e in result["evidence"]}
    assert statuses["5.1.1"] == "passed"
    assert statuses["5.4.1"] == "failed"  # LOG_LEVEL debug, the policy says info
