"""The release modules' entries: unreadable credentials and bad input fail, naming them."""

from __future__ import annotations

from ..area_module import run_entry


def test_the_lock_names_the_credentials_it_could_not_read(monkeypatch):
    result = run_entry(
        "release", "deploy_lock", {"name": "web", "namespace": "ns", "kubeconfig": "/nope/k"}, monkeypatch
    )
    assert result["failed"] and "/nope/k" in result["msg"]


def test_a_migration_without_an_image_is_refused(monkeypatch):
    args = {"release": "web", "namespace": "ns", "action": "run", "command": ["migrate"], "kubeconfig": "/nope/k"}
    result = run_entry("release", "migration_job", args, monkeypatch)
    assert result["failed"]


def test_migration_evidence_carries_the_jobs_newest_log_lines():
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import entry as release_entry

    lines = [f"query: step {i}" for i in range(40)] + ["", "Migration A1 has been executed successfully."]
    result = {"outcome": "succeeded", "namespace": "ns", "job": "j", "pods": [], "logs": {"j-abc": "\n".join(lines)}}
    (one,) = release_entry._evidence("deploy.4", "passed", result, "ran")
    log = one["measured"]["log"]["j-abc"]
    assert one["measured"]["outcome"] == "succeeded"
    assert len(log) == release_entry.EVIDENCE_LOG_LINES and log[-1].startswith("Migration A1")
    # a node that serves no logs (the kwok lab): the outcome alone, and the note says why
    result.update(logs={}, logs_note="logs not served by the node (j-abc: 404)")
    (one,) = release_entry._evidence("deploy.4", "passed", result, "ran")
    assert one["measured"] == "succeeded" and "logs not served" in one["detail"]
