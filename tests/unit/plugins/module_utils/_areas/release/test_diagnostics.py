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


def test_the_summary_shows_why_an_unready_pod_is_not_ready_before_later_warnings():
    ready = {"name": "web-0", "phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    unready = {"name": "web-1", "phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}
    probe = {"type": "Warning", "object": "Pod/web-1", "reason": "Unhealthy", "message": "statuscode: 503"}
    hpa = {"type": "Warning", "object": "HorizontalPodAutoscaler/web", "reason": "FailedGetResourceMetric",
           "message": "no metrics"}  # fmt: skip
    text = diagnostics.summary({"pods": [ready, unready], "events": [probe, hpa]})
    assert "2 warning event(s), last about a pod not Ready: Pod/web-1 Unhealthy: statuscode: 503" in text
    # the unready pod is gone (helm's --atomic rolled it back before the diagnostics were read): its probe's
    # answer still outweighs the autoscaler's later warning
    text = diagnostics.summary({"pods": [ready], "events": [probe, hpa]})
    assert "all 1 pod(s) Ready; 2 warning event(s), last about a pod: Pod/web-1 Unhealthy: statuscode: 503" in text
    text = diagnostics.summary({"pods": [ready], "events": [hpa]})
    assert "1 warning event(s), last: HorizontalPodAutoscaler/web FailedGetResourceMetric: no metrics" in text


def test_diagnostics_file_lands_in_the_report_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SMEPLATFORM_EVIDENCE_JOURNAL", str(tmp_path / "journal.jsonl"))
    assert diagnostics.default_dir() == str(tmp_path)
    path = diagnostics.write({"pods": []}, str(tmp_path), "ns/r")
    assert os.path.dirname(path) == str(tmp_path) and "ns_r" in path
