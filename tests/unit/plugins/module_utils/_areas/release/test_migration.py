"""Migration Jobs: stable names, Pod Security restricted, input checks, outcome."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import migration, options
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings


def spec(**kwargs):
    base = {"release": "r", "namespace": "ns", "action": "run", "image": "reg/b:v1", "command": ["npm", "run", "m"]}
    params = settings(options.migration_job()["argument_spec"], {**base, **kwargs})
    return build(migration.MigrationSpec, params)


def test_job_name_is_stable_per_image_command_and_key():
    assert spec().job_name == spec().job_name
    assert spec().job_name != spec(image="reg/b:v2").job_name
    assert spec().job_name != spec(run_key="x").job_name
    assert spec().job_name.startswith("r-migration-run-")
    assert len(spec(release="x" * 60).job_name) <= 63


def test_job_meets_pod_security_restricted():
    job = spec(env_from=[{"secretRef": {"name": "s"}}]).job()
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert (
        pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    )
    sc = container["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
    assert container["envFrom"] == [{"secretRef": {"name": "s"}}]
    assert job["spec"]["backoffLimit"] == 0 and pod["restartPolicy"] == "Never"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"image": "reg/b"}, "tag or digest"), ({"command": []}, "non-empty"), ({"action": "Run It"}, "lower-case")],
)
def test_migration_spec_rejects_bad_input(kwargs, message):
    with pytest.raises(ConfigurationError, match=message):
        spec(**kwargs).validate()


def test_job_outcome():
    assert migration.outcome({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}) == "succeeded"
    assert migration.outcome({"status": {"conditions": [{"type": "Failed", "status": "True"}]}}) == "failed"
    assert migration.outcome({"status": {}}) == "running"


# -- diff and diagnostics -------------------------------------------------------------------
