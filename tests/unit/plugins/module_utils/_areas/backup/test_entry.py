"""The backup modules' entries: bad input and unreadable credentials fail, naming them."""

from __future__ import annotations

from ..area_module import run_entry


def test_a_bad_schedule_fails_before_connecting(monkeypatch):
    args = {"namespace": "ns", "image": "postgres:15", "command": ["pg_dump"], "schedule": "nightly"}
    result = run_entry("backup", "backup_cronjob", args, monkeypatch, check_mode=True)
    assert result["failed"] and "five cron fields" in result["msg"]


def test_the_export_names_the_release_when_it_cannot_read_it(monkeypatch, tmp_path):
    args = {"namespace": "ns", "release": "web", "dest": str(tmp_path), "kubeconfig": "/nope/k"}
    result = run_entry("backup", "config_backup", args, monkeypatch)
    assert result["failed"] and "configuration export of ns/web failed" in result["msg"]
