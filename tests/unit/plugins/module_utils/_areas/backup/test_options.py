"""The backup modules' option tables: the policy they yield, credentials no_log."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup.checks import BackupPolicy

from ..area_module import no_log_options, validate


def test_the_rpo_in_hours_becomes_seconds():
    params, errors = validate("backup", "backup_check", {"namespace": "ns", "release": "r", "config_dest": "/tmp/x"})
    assert errors == []
    policy = BackupPolicy.from_options({**params, "rpo_hours": 1.5})
    assert policy.rpo_seconds == 5400
    assert policy.schedule == params["schedule"]


def test_the_database_password_is_no_log():
    assert "db_password" in no_log_options("backup", "backup_check")
