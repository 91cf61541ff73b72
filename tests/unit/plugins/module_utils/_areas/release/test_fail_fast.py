"""Fail fast: causes that waiting does not cure stop helm at once, with their text; Pod Security warnings of a
server dry run are found in helm's error output."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import fail_fast
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
    monkeypatch.setattr(fail_fast.diagnostics, "list_pods", lambda kube, ns, selector=None: found["pods"])

    def events(kube, what, gv, plural, ns=None, sel=None, field_selector=None):
        assert field_selector and field_selector.startswith("reason=")  # never the namespace's every event
        return [e for e in found["events"] if f"reason={e['reason']}" == field_selector]

    monkeypatch.setattr(k8s, "items", events)
    return found


@pytest.mark.parametrize("reason", ["ImagePullBackOff", "ErrImageNeverPull", "CrashLoopBackOff"])
def test_new_pod_waiting_for_a_fatal_reason_is_the_cause(cluster, reason):
    cluster["pods"] = [pod("web-1", "2026-01-01T12:00:03Z", reason, "Back-off pulling\n image x:v9")]
    assert fail_fast.FailFast(None, "ns", STARTED).cause() == (
        f"pod ns/web-1 container backend: {reason}: Back-off pulling image x:v9"
    )


def test_old_pods_and_passing_states_are_not_causes(cluster):
    cluster["pods"] = [
        pod("old", "2026-01-01T11:00:00Z", "CrashLoopBackOff"),
        pod("new", "2026-01-01T12:00:05Z", "ContainerCreating"),
    ]
    cluster["events"] = [event("FailedCreate", "2026-01-01T11:59:00Z"), event("Scheduled", "2026-01-01T12:00:01Z")]
    assert fail_fast.FailFast(None, "ns", STARTED).cause() is None


def test_failed_create_event_since_the_start_is_the_cause_with_its_text(cluster):
    cluster["events"] = [
        event("FailedCreate", "2026-01-01T12:00:04Z", message='pods "web-5d8-x" is forbidden: violates PodSecurity')
    ]
    assert fail_fast.FailFast(None, "ns", STARTED).cause() == (
        'ReplicaSet ns/web-5d8: FailedCreate: pods "web-5d8-x" is forbidden: violates PodSecurity'
    )


def test_pod_security_warnings_of_a_dry_run():
    stderr = (
        'W0101 12:00:00.000000   1 warnings.go:70] would violate PodSecurity "restricted:latest": '
        "allowPrivilegeEscalation != false\n"
        "some other line\n"
        'Warning: would violate PodSecurity "restricted:latest": runAsNonRoot != true\n'
    )
    assert fail_fast.pod_security_warnings(stderr) == [
        'would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
        'would violate PodSecurity "restricted:latest": runAsNonRoot != true',
    ]


def test_the_end_of_the_run_that_started_the_upgrade_is_the_cause_before_any_api_call(monkeypatch):
    def no_api(*_args, **_kwargs):
        raise AssertionError("the API was asked although the run is gone")

    monkeypatch.setattr(fail_fast.diagnostics, "list_pods", no_api)
    watch = fail_fast.FailFast(None, "ns", STARTED, controller=4242, alive=lambda pid: pid != 4242)
    assert watch.cause() == (
        "the ansible-playbook process 4242 that started this upgrade is gone; helm is stopped so that nothing "
        "changes the release any more (the next run recovers it)"
    )


def test_a_living_run_or_an_unknown_one_is_no_cause(cluster):
    seen = []
    assert (
        fail_fast.FailFast(None, "ns", STARTED, controller=4242, alive=lambda pid: seen.append(pid) or True).cause()
        is None
    )
    assert seen == [4242]
    assert fail_fast.FailFast(None, "ns", STARTED, controller=0, alive=lambda pid: False).cause() is None
