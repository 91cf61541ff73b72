"""monitoring_check's entry: an unreachable Prometheus fails the items that needed it, not the module."""

from __future__ import annotations

from ..area_module import run_entry


def test_an_unreachable_prometheus_fails_the_items_that_needed_it(monkeypatch, tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text("groups:\n  - name: sme\n    rules:\n      - alert: Down\n        expr: up == 0\n")
    args = {"prometheus_url": "http://127.0.0.1:9", "rules_file": str(rules), "timeout": 2}
    result = run_entry("monitoring", "monitoring_check", args, monkeypatch)
    assert not result["failed"], result.get("msg")
    statuses = {e["id"]: e["status"] for e in result["evidence"]}
    assert statuses["6.1.1"] == "failed"


def test_a_bad_retention_fails_the_module(monkeypatch):
    args = {"prometheus_url": "http://127.0.0.1:9", "rules_file": "/dev/null", "min_retention": "a month"}
    result = run_entry("monitoring", "monitoring_check", args, monkeypatch)
    assert result["failed"] and "not a duration" in result["msg"]
