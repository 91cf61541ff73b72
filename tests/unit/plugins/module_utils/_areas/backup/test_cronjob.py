"""The backup CronJob: restricted Pods, the retention, changes found without server defaults."""

import json

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import cronjob, options
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings

SPEC = build(
    cronjob.CronJobSpec,
    settings(
        options.backup_cronjob()["argument_spec"],
        {
            "name": "db-backup",
            "namespace": "sme",
            "schedule": "0 2 * * *",
            "image": "postgres:15-alpine",
            "command": ["/bin/sh", "-ec", "pg_dump"],
            "retention_days": 30,
            "env": {"PGHOST": "db"},
            "secret_env": [{"name": "PGPASSWORD", "secret_name": "s", "key": "DATABASE_PASSWORD"}],
            "volume_claim": "backups",
        },
    ),
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
