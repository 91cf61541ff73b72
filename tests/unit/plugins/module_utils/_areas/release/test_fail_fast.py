"""Fail fast: causes that waiting does not cure stop helm at once, with their text; Pod Security warnings of a
server dry run are found in helm's error output."""

from __future__ import annotations

import sys
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import engine
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

STARTED = "2026-01-01T12:00:00Z"


def pod(name, created, reason, message=""):
    return {
        "metadata": {"name": name, "creationTimestamp": created},
        "status": {
            "containerStatuses": [{"name": "backend", "state": {"waiting": {"reason": reason, "message": message}}}]
        },
    }


def event(reason, when, kind="ReplicaSet", name="web-5d8", message="pods are forbidden"):
    return {"reason": reason, "lastTimestamp": when, "involvedObject": {"kind": kind, "name": name}, "message": message}


@pytest.fixture
def cluster(monkeypatch):
    found = {"pods": [], "events": []}
    monkeypatch.setattr(engine.diagnostics, "list_pods", lambda kube, ns, selector=None: found["pods"])
    monkeypatch.setattr(k8s, "items", lambda kube, what, gv, plural, ns=None, sel=None: found["events"])
    return found


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImageNeverPull", "CrashLoopBackOff"])
def test_new_pod_waiting_for_a_fatal_reason_is_the_cause(cluster, reason):
    cluster["pods"] = [pod("web-1", "2026-01-01T12:00:03Z", reason, "Back-off pulling\n image x:v9")]
    assert engine.FailFast(None, "ns", STARTED).cause() == (
        f"pod ns/web-1 container backend: {reason}: Back-off pulling image x:v9"
    )


def test_old_pods_and_passing_states_are_not_causes(cluster):
    cluster["pods"] = [
        pod("old", "2026-01-01T11:00:00Z", "CrashLoopBackOff"),
        pod("new", "2026-01-01T12:00:05Z", "ContainerCreating"),
    ]
    cluster["events"] = [event("FailedCreate", "2026-01-01T11:59:00Z"), event("Scheduled", "2026-01-01T12:00:01Z")]
    assert engine.FailFast(None, "ns", STARTED).cause() is None


def test_failed_create_event_since_the_start_is_the_cause_with_its_text(cluster):
    cluster["events"] = [
        event("FailedCreate", "2026-01-01T12:00:04Z", message='pods "web-5d8-x" is forbidden: violates PodSecurity')
    ]
    assert engine.FailFast(None, "ns", STARTED).cause() == (
        'ReplicaSet ns/web-5d8: FailedCreate: pods "web-5d8-x" is forbidden: violates PodSecurity'
    )


def test_pod_security_warnings_of_a_dry_run():
    stderr = (
        'W0101 12:00:00.000000   1 warnings.go:70] would violate PodSecurity "restricted:latest": '
        "allowPrivilegeEscalation != false\n"
        "some other line\n"
        'Warning: would violate PodSecurity "restricted:latest": runAsNonRoot != true\n'
    )
    assert engine.pod_security_warnings(stderr) == [
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
        'would violate PodSecurity "restricted:latest": runAsNonRoot != true',
    ]


def test_helm_is_stopped_when_the_watch_finds_a_cause(tmp_path):
    fake = tmp_path / "helm"
    fake.write_text(
        f"#!{sys.executable}\nimport signal, sys, time\n"
        "signal.signal(signal.SIGTERM, lambda *a: sys.exit('Release web has been cancelled.'))\ntime.sleep(60)\n"
    )
    fake.chmod(0o755)
    client = helm.Helm(str(fake))
    looks = iter([None, "pod ns/web-1 container backend: ImagePullBackOff"])
    started = time.monotonic()
    with pytest.raises(helm.StoppedEarly) as stopped:
        client.run(["upgrade"], "upgrade of ns/web", timeout=60, watch=lambda: next(looks), every=0.2)
    assert time.monotonic() - started < 5
    assert stopped.value.stderr == "pod ns/web-1 container backend: ImagePullBackOff"
    assert "helm upgrade of ns/web stopped: pod ns/web-1" in str(stopped.value)


def test_warning_headers_are_unquoted():
    assert k8s.warning_texts(
        ['299 - "would violate PodSecurity \\"restricted:latest\\": privileged (container \\"backend\\")"', ""]
    ) == ['would violate PodSecurity "restricted:latest": privileged (container "backend")']


MANIFEST = """
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
"""


def test_server_dry_run_sends_each_workload_and_names_warnings_and_refusals(monkeypatch):
    sent = []

    def dry_run(kube, obj, namespace):
        sent.append(obj["metadata"]["name"])
        if obj["metadata"]["name"] == "web":
            return {"warnings": ['would violate PodSecurity "restricted:latest": privileged', "other"], "refused": ""}
        return {"warnings": [], "refused": "422 Unprocessable Entity: spec.template is invalid"}

    monkeypatch.setattr(k8s, "dry_run_apply", dry_run)
    eng = engine.ReleaseEngine(helm_client=None, kube_factory=object, check_mode=True)
    warned, rejected = eng.server_dry_run(MANIFEST, "ns")
    assert sent == ["web", "worker"]  # the Service has no pod template
    assert warned == ['Deployment ns/web: would violate PodSecurity "restricted:latest": privileged']
    assert rejected == ["the API refuses Deployment ns/worker: 422 Unprocessable Entity: spec.template is invalid"]


def test_server_dry_run_in_an_absent_namespace_finds_nothing(monkeypatch):
    monkeypatch.setattr(k8s, "dry_run_apply", lambda kube, obj, namespace: None)
    eng = engine.ReleaseEngine(helm_client=None, kube_factory=object, check_mode=True)
    assert eng.server_dry_run(MANIFEST, "ns") == ([], [])
