from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace as NS

import pytest
import yaml

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import checks, cronjob, export
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

SPEC = cronjob.CronJobSpec(
    name="db-backup",
    namespace="sme",
    schedule="0 2 * * *",
    image="postgres:15-alpine",
    command=["/bin/sh", "-ec", "pg_dump"],
    retention_days=30,
    env={"PGHOST": "db"},
    secret_env=[{"name": "PGPASSWORD", "secret_name": "s", "key": "DATABASE_PASSWORD"}],
    volume_claim="backups",
)


def test_desired_cronjob_is_restricted_and_carries_the_retention():
    body = cronjob.desired_cronjob(SPEC)
    assert body["metadata"]["annotations"][cronjob.RETENTION_ANNOTATION] == "30"
    pod = body["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert {"name": "BACKUP_RETENTION_DAYS", "value": "30"} in container["env"]
    assert {
        "name": "PGPASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "s", "key": "DATABASE_PASSWORD"}},
    } in container["env"]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert {"name": "backups", "persistentVolumeClaim": {"claimName": "backups"}} in pod["volumes"]
    assert body["spec"]["concurrencyPolicy"] == "Forbid"
    assert "timeZone" not in body["spec"]


def test_differences_ignore_server_defaults_and_find_changes():
    desired = cronjob.desired_cronjob(SPEC)
    live = json.loads(json.dumps(desired))
    live["metadata"]["uid"] = "x"
    live["spec"]["jobTemplate"]["spec"]["template"]["spec"]["dnsPolicy"] = "ClusterFirst"
    live["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent"
    assert cronjob.differences(desired, live) == []
    live["spec"]["schedule"] = "0 3 * * *"
    live["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"].pop()
    assert cronjob.differences(desired, live) == [
        "spec.schedule",
        "spec.jobTemplate.spec.template.spec.containers[0].env",
    ]


def test_replace_body_keeps_foreign_labels_and_the_version():
    desired = cronjob.desired_cronjob(SPEC)
    live = {"metadata": {"resourceVersion": "42", "labels": {"team": "ops"}, "annotations": {"note": "x"}}}
    body = cronjob.merged_for_replace(desired, live)
    assert body["metadata"]["resourceVersion"] == "42"
    assert body["metadata"]["labels"]["team"] == "ops"
    assert body["metadata"]["annotations"] == {"note": "x", cronjob.RETENTION_ANNOTATION: "30"}
    assert "resourceVersion" not in desired["metadata"]


@pytest.mark.parametrize(
    "change",
    [{"schedule": "daily"}, {"image": ""}, {"retention_days": 0}, {"secret_env": [{"name": "PGPASSWORD"}]}],
)
def test_bad_spec_is_refused(change):
    with pytest.raises(ConfigurationError):
        cronjob.CronJobSpec(**{**SPEC.__dict__, **change}).validate()


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


def _release_secret(release):
    raw = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return {"release": base64.b64encode(raw).decode()}


def test_export_holds_key_names_never_secret_values(tmp_path):
    manifest = yaml.safe_dump_all(
        [
            {"kind": "Secret", "metadata": {"name": "s"}, "data": {"JWT_SECRET": "c2VjcmV0LXZhbHVl"}},
            {"kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"NODE_ENV": "production"}},
        ]
    )
    release = export.decode_release(
        _release_secret(
            {
                "name": "rel",
                "namespace": "sme",
                "version": 3,
                "info": {"status": "deployed"},
                "chart": {"metadata": {"name": "sme-platform", "version": "1.0.0"}},
                "config": {"image": {"tag": "v1"}, "smtp": {"password": "hunter2-value"}, "apiToken": "tok-value"},
                "manifest": manifest,
            }
        )
    )
    files = export.export_files(
        release,
        [{"name": "c", "data": {"NODE_ENV": "production"}}],
        [{"name": "s", "type": "Opaque", "keys": ["JWT_SECRET"]}],
    )
    text = "".join(files.values())
    for value in ("hunter2-value", "tok-value", "c2VjcmV0LXZhbHVl"):
        assert value not in text
    assert "JWT_SECRET" in text and "v1" in text
    assert export.export_revision(files) == 3

    base = str(tmp_path / "exports")
    assert export.latest_export(base) == (None, {})
    path = export.write_export(base, export.export_stamp(3), files)
    assert path.endswith("-r3")
    latest, found = export.latest_export(base)
    assert latest == path and found == files
    assert (tmp_path / "exports").stat().st_mode & 0o777 == 0o700
    assert export.config_backup_entry(base, {"version": 3}, "t")["status"] == "passed"
    assert export.config_backup_entry(base, {"version": 4}, "t")["status"] == "failed"
    assert export.config_backup_entry(base, None, "t")["status"] == "skipped"
