"""The release's composite items judged in Python: deployment step 2 and the rollback procedure (8.1.4)."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import proof

ENFORCED = {proof.PSA_ENFORCE: "restricted"}


@pytest.mark.parametrize(
    ("labels", "secrets", "check_mode", "status"),
    [
        (ENFORCED, {"app-secrets": True}, False, "passed"),
        (ENFORCED, {}, False, "passed"),
        ({proof.PSA_ENFORCE: "baseline"}, {"app-secrets": True}, False, "failed"),
        ({}, {"app-secrets": True}, False, "failed"),
        (ENFORCED, {"app-secrets": False}, False, "failed"),
        ({}, {"app-secrets": False}, True, "skipped"),
    ],
)
def test_infrastructure_needs_the_pod_security_level_and_every_secret(labels, secrets, check_mode, status):
    found = proof.infrastructure_entry("deploy.2", "ns", labels, "restricted", secrets, True, check_mode)
    assert found["status"] == status
    assert found["where"] == "namespace ns"


def test_infrastructure_evidence_says_what_was_measured():
    found = proof.infrastructure_entry("deploy.2", "ns", {}, "restricted", {"a": False, "b": True}, False, False)
    assert found["measured"] == "pod-security enforce=none; secrets missing: a"
    assert found["threshold"] == "enforce=restricted; secrets present: a, b"
    assert "deployment lock taken" not in found["detail"]


def _rollout(images, ready=2, complete=True):
    return [
        {"kind": "Deployment", "name": "web", "complete": complete, "replicas": 2, "ready": ready, "images": images}
    ]


def test_a_rollback_proves_the_procedure_when_the_old_images_run_rolled_out():
    result = {
        "changed": True,
        "release": {"revision": 7, "images": ["reg/web:v1"]},
        "target_images": ["reg/web:v1"],
        "rollout": _rollout(["reg/web:v1"]),
    }
    found = proof.rollback_procedure_entry("8.1.4", "web", "ns", 5, "verify", result, None)
    assert found["status"] == "passed"
    assert found["measured"] == "reg/web:v1"
    assert found["threshold"] == "every workload rolled out, running the images of revision 5 (reg/web:v1)"
    assert found["detail"] == (
        "automatic rollback after a failed verify: helm rollback to revision 5, now revision 7;"
        " ready Deployment/web 2/2"
    )


@pytest.mark.parametrize(
    "changes, reason",
    [
        ({"rollout": []}, "no workload of the release was measured after the rollback"),
        ({"rollout": _rollout(["reg/web:v1"], ready=1, complete=False)}, "not rolled out: Deployment/web 1/2 ready"),
        ({"rollout": _rollout(["reg/web:v2"])}, "running reg/web:v2, not the images of revision 5"),
        ({"target_images": []}, "the images of revision 5 are unknown"),
    ],
)
def test_a_rollback_not_measured_or_not_running_the_old_images_fails_the_procedure(changes, reason):
    result = {
        "changed": False,
        "release": {"revision": 6, "images": ["reg/web:v1"]},
        "target_images": ["reg/web:v1"],
        "rollout": _rollout(["reg/web:v1"]),
        **changes,
    }
    found = proof.rollback_procedure_entry("8.1.4", "web", "ns", 5, "upgrade", result, None)
    assert found["status"] == "failed"
    assert reason in found["detail"]


def test_a_failed_rollback_fails_the_procedure_with_its_error():
    found = proof.rollback_procedure_entry("8.1.4", "web", "ns", 5, "upgrade", {}, "helm rollback failed: timeout")
    assert found["status"] == "failed"
    assert found["measured"] == "helm rollback failed: timeout"
    assert "helm --atomic had already restored revision 5" in found["detail"]


# ---------------------------------------------------------------- rollback.2: the older tags, running
OLDER = {3: ["reg/web:v1", "reg/ui:v1"], 4: ["reg/web:v1.1", "reg/ui:v1"]}


def test_a_redeploy_of_older_tags_running_rolled_out_passes():
    found = proof.redeploy_entry(
        "rollback.2", "web", "ns", ["reg/web:v2", "reg/ui:v1"], _rollout(["reg/web:v1.1", "reg/ui:v1"]), OLDER
    )
    assert found["status"] == "passed"
    assert found["measured"] == "reg/web:v1.1, reg/ui:v1"
    assert found["detail"] == "running reg/web:v1.1, as revision(s) 4 did; replaced reg/web:v2, reg/ui:v1"


@pytest.mark.parametrize(
    "replaced, rollout, reason",
    [
        (["reg/web:v2"], _rollout(["reg/web:v3"]), "reg/web:v3 never ran in an earlier revision (revisions 3, 4)"),
        (["reg/web:v2"], _rollout(["reg/web:v2"]), "the images running are those the redeploy was to replace"),
        (["reg/web:v2"], _rollout(["reg/web:v1"], ready=0, complete=False), "not rolled out: Deployment/web 0/2"),
        (["reg/web:v2"], [], "no workload of the release was measured after the redeploy"),
        (None, _rollout(["reg/web:v2"]), "reg/web:v2 never ran in an earlier revision"),
    ],
)
def test_a_redeploy_not_running_older_tags_fails(replaced, rollout, reason):
    found = proof.redeploy_entry("rollback.2", "web", "ns", replaced, rollout, OLDER)
    assert found["status"] == "failed"
    assert reason in found["detail"]


def test_a_redeploy_with_no_earlier_revision_kept_fails():
    found = proof.redeploy_entry("rollback.2", "web", "ns", ["reg/web:v2"], _rollout(["reg/web:v1"]), {})
    assert found["status"] == "failed"
    assert "reg/web:v1 never ran in an earlier revision (no earlier revision kept)" in found["detail"]
