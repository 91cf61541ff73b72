"""Release diagnostics: the summary of unready pods, the file in the report folder."""

from __future__ import annotations

import os

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import diagnostics


def test_diagnostics_summary_names_unready_and_gone_pods():
    pod = {
        "metadata": {"name": "web-1", "ownerReferences": [{"kind": "ReplicaSet", "name": "web-x"}]},
        "spec": {"containers": [{"image": "reg/web:v2-unready"}]},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [
                {
                    "name": "web",
                    "image": "reg/web:v2-unready",
                    "ready": False,
                    "restartCount": 2,
                    "state": {"running": {}},
                }
            ],
        },
    }
    described = diagnostics.describe_pod(pod)
    assert described["owner"] == "ReplicaSet/web-x" and described["containers"][0]["restart_count"] == 2
    diag = {
        "pods": [{**described, "gone": True}],
        "events": [{"type": "Warning", "object": "Pod/web-1", "reason": "Unhealthy", "message": "probe failed"}],
        "helm_history": [{"revision": 3, "status": "failed"}, {"revision": 4, "status": "deployed"}],
    }
    text = diagnostics.summary(diag)
    assert "1 of 1 pod(s) not Ready: web-1 Running Ready=False (gone)" in text
    assert "Unhealthy: probe failed" in text and "4 deployed" in text


def test_diagnostics_file_lands_in_the_report_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SMEPLATFORM_EVIDENCE_JOURNAL", str(tmp_path / "journal.jsonl"))
    assert diagnostics.default_dir() == str(tmp_path)
    path = diagnostics.write({"pods": []}, str(tmp_path), "ns/r")
    assert os.path.dirname(path) == str(tmp_path) and "ns_r" in path
