"""The backup checks: schedule, retention, recent runs and the RPO held to the checklist."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import checks, cronjob


def _cronjob(schedule="0 2 * * *", suspend=False, retention="30", env_retention="30", last_success=None):
    env = [NS(name="BACKUP_RETENTION_DAYS", value=env_retention)]
    return NS(
        metadata=NS(name="db-backup", annotations={cronjob.RETENTION_ANNOTATION: retention} if retention else {}),
        spec=NS(
            schedule=schedule,
            suspend=suspend,
            time_zone=None,
            job_template=NS(spec=NS(template=NS(spec=NS(containers=[NS(env=env)])))),
        ),
        status=NS(last_successful_time=last_success),
    )


def _job(name, minutes_ago, succeeded):
    return NS(
        metadata=NS(
            name=name,
            creation_timestamp=datetime.now(UTC) - timedelta(minutes=minutes_ago),
            owner_references=[NS(kind="CronJob", name="db-backup")],
        ),
        status=NS(succeeded=1 if succeeded else 0, failed=0 if succeeded else 1, active=0),
    )


def statuses(cronjob, jobs=()):
    return {
        e["id"]: e["status"]
        for e in checks.cronjob_entries(cronjob, list(jobs), checks.BackupPolicy.from_options({}), "t")
    }


def test_a_healthy_backup_passes():
    recent = datetime.now(UTC) - timedelta(hours=3)
    found = statuses(_cronjob(last_success=recent), [_job("a", 600, False), _job("b", 180, True)])
    assert set(found.values()) == {"passed"}


def test_schedule_retention_and_runs_are_held_to_the_checklist():
    assert statuses(_cronjob(schedule="0 3 * * *"))["9.1.1"] == "failed"
    assert statuses(_cronjob(schedule="0 3 * * *"))["4.1.3"] == "passed"  # still daily
    assert statuses(_cronjob(schedule="0 */6 * * *"))["4.1.3"] == "failed"
    assert statuses(_cronjob(suspend=True))["4.1.3"] == "failed"
    assert statuses(_cronjob(retention="7", env_retention="7"))["4.1.5"] == "failed"
    assert statuses(_cronjob(retention="30", env_retention="7"))["4.1.5"] == "failed"
    assert statuses(_cronjob(retention=None))["4.1.5"] == "failed"
    old = datetime.now(UTC) - timedelta(hours=30)
    assert statuses(_cronjob(last_success=old))["success.10"] == "failed"
    assert statuses(_cronjob(), [_job("a", 600, True), _job("b", 10, False)])["post.week1.4"] == "failed"
    assert set(statuses(None).values()) == {"failed"}


def test_rpo_takes_the_newest_recovery_point():
    policy = checks.BackupPolicy.from_options({})
    assert checks.rpo_entry(30 * 3600, 600, "", policy, "t")["status"] == "passed"
    assert checks.rpo_entry(None, 30 * 3600, "", policy, "t")["status"] == "failed"
    assert checks.rpo_entry(None, None, "", policy, "t")["status"] == "failed"
