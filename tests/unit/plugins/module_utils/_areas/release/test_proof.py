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


def test_a_rollback_proves_the_procedure():
    result = {"changed": True, "release": {"revision": 7, "images": ["reg/web:v1"]}}
    found = proof.rollback_procedure_entry("8.1.4", "web", "ns", 5, "verify", result, None)
    assert found["status"] == "passed"
    assert found["measured"] == "reg/web:v1"
    assert found["detail"] == "automatic rollback after a failed verify: helm rollback to revision 5, now revision 7"


def test_a_failed_rollback_fails_the_procedure_with_its_error():
    found = proof.rollback_procedure_entry("8.1.4", "web", "ns", 5, "upgrade", {}, "helm rollback failed: timeout")
    assert found["status"] == "failed"
    assert found["measured"] == "helm rollback failed: timeout"
    assert "helm --atomic had already restored revision 5" in found["detail"]
