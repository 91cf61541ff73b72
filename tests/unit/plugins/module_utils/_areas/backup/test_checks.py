"""The backup checks: schedule, retention, recent runs and the RPO held to the checklist."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import checks, cronjob


def _stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _cronjob(schedule="0 2 * * *", suspend=False, retention="30", env_retention="30", last_success=None):
    env = [{"name": "BACKUP_RETENTION_DAYS", "value": env_retention}]
    status = {"lastSuccessfulTime": _stamp(last_success)} if last_success else {}
    return {
        "metadata": {
            "name": "db-backup",
            "annotations": {cronjob.RETENTION_ANNOTATION: retention} if retention else {},
        },
        "spec": {
            "schedule": schedule,
            "suspend": suspend,
            "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "backup", "env": env}]}}}},
        },
        "status": status,
    }


def _job(name, minutes_ago, succeeded):
    created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "metadata": {
            "name": name,
            "creationTimestamp": _stamp(created),
            "ownerReferences": [{"kind": "CronJob", "name": "db-backup"}],
        },
        "status": {
            "succeeded": 1 if succeeded else 0,
            "failed": 0 if succeeded else 1,
            "startTime": _stamp(created),
            "completionTime": _stamp(created + timedelta(minutes=1)),
        },
    }


def report(minutes_ago=179.5, size=52311, entries=42, **extra):
    finished = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    line = {"file": "/backups/db-x.dump", "bytes": size, "format": "custom", "toc_entries": entries}
    return json.dumps({**line, "finished": finished, **extra})


def evidence(cronjob, jobs=(), message=None):
    found, _dump = checks.cronjob_entries(
        cronjob, list(jobs), checks.BackupPolicy.from_options({}), "t", lambda job: message
    )
    return {e["id"]: e for e in found}


def statuses(cronjob, jobs=(), message=None):
    return {k: e["status"] for k, e in evidence(cronjob, jobs, message).items()}


DUMP_ITEMS = ("4.1.3", "9.1.1", "4.1.5", "success.10")


def test_a_healthy_backup_passes():
    recent = datetime.now(UTC) - timedelta(hours=3)
    found = evidence(_cronjob(last_success=recent), [_job("a", 600, False), _job("b", 180, True)], report())
    assert {e["status"] for e in found.values()} == {"passed"}
    assert found["4.1.3"]["measured"]["dump"]["bytes"] == 52311
    assert found["success.10"]["measured"]["dump"]["job"] == "b"


@pytest.mark.parametrize(
    ("message", "why"),
    [
        (None, "reported no dump"),  # a Job whose command is /bin/true
        ("done\n", "reported no dump"),
        (json.dumps({"file": "/backups/x.dump"}), "reported no dump"),
        (report(size=0), "the dump is empty"),
        (report(entries=0), "read no entry"),
        (report(minutes_ago=27 * 60), "old, more than"),  # older than the allowed age
        (report(minutes_ago=300), "not written during Job b's run"),  # an older dump than the newest Job
        (report(finished="yesterday"), "is not a time"),
    ],
)
def test_a_successful_job_without_a_real_dump_proves_nothing(message, why):
    recent = datetime.now(UTC) - timedelta(hours=3)
    found = evidence(_cronjob(last_success=recent), [_job("a", 600, True), _job("b", 180, True)], message)
    for item in DUMP_ITEMS:
        assert found[item]["status"] == "failed", item
        assert why in found[item]["detail"]
    assert found["post.week1.4"]["status"] == "passed"  # the Job itself did succeed


def test_the_report_is_the_last_json_line():
    assert checks.parse_report('pg_dump: warning\n{"a": 1}\nnot json {\n') == {"a": 1}
    assert checks.parse_report("[1, 2]") is None
    assert checks.parse_report(None) is None


def healthy(cronjob):
    """The statuses with a fresh, real dump from the newest Job: only the CronJob's own settings can fail them."""
    return statuses(cronjob, [_job("b", 180, True)], report())


def test_schedule_retention_and_runs_are_held_to_the_checklist():
    recent = datetime.now(UTC) - timedelta(hours=3)
    assert set(healthy(_cronjob(last_success=recent)).values()) == {"passed"}
    assert healthy(_cronjob(schedule="0 3 * * *"))["9.1.1"] == "failed"
    assert healthy(_cronjob(schedule="0 3 * * *"))["4.1.3"] == "passed"  # still daily
    assert healthy(_cronjob(schedule="0 */6 * * *"))["4.1.3"] == "failed"
    assert healthy(_cronjob(suspend=True))["4.1.3"] == "failed"
    assert healthy(_cronjob(retention="7", env_retention="7"))["4.1.5"] == "failed"
    assert healthy(_cronjob(retention="30", env_retention="7"))["4.1.5"] == "failed"
    assert healthy(_cronjob(retention=None))["4.1.5"] == "failed"
    old = datetime.now(UTC) - timedelta(hours=30)
    assert healthy(_cronjob(last_success=old))["success.10"] == "failed"
    assert statuses(_cronjob(), [_job("a", 600, True), _job("b", 10, False)])["post.week1.4"] == "failed"
    assert set(statuses(None).values()) == {"failed"}


def test_rpo_takes_the_newest_recovery_point():
    policy = checks.BackupPolicy.from_options({})
    assert checks.rpo_entry(30 * 3600, 600, "", policy, "t")["status"] == "passed"
    assert checks.rpo_entry(None, 30 * 3600, "", policy, "t")["status"] == "failed"
    assert checks.rpo_entry(None, None, "", policy, "t")["status"] == "failed"
