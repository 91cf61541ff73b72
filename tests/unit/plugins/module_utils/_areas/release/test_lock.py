"""The deployment lock: a Lease taken, held, taken over when expired, given back; namespace labels."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import lock
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    LockHeld,
)

NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def test_lock_state_expiry():
    state = lock.LockState("a", NOW, NOW, 60, "1")
    assert not state.expired(NOW + datetime.timedelta(seconds=59))
    assert state.expired(NOW + datetime.timedelta(seconds=60))
    assert lock.LockState("a", None, None, 60, "1").expired(NOW)


def test_micro_time_has_six_fraction_digits():
    assert lock.micro_time(NOW) == "2026-01-01T12:00:00.000000Z"
    assert lock.parse_time("2026-01-01T12:00:00.000000Z") == NOW


class FakeKube:
    """Answers kube_rest requests from a dict of path -> object."""

    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.requests = []
        self.timeout = 5
        self.server = "https://fake"

    def call(self, what, fn, *args, **kwargs):
        _kube, method, path, body, _query, _ctype = args[:6]
        self.requests.append((method, path))
        from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError

        class Cause(Exception):
            def __init__(self, status):
                self.status = status

        def fail(status):
            try:
                raise Cause(status)
            except Cause as cause:
                raise ApiError(f"{what}: {status}") from cause

        if method == "GET":
            if path not in self.objects:
                fail(404)
            return json.loads(json.dumps(self.objects[path]))
        if method == "POST":
            name = body["metadata"]["name"]
            key = f"{path}/{name}"
            if key in self.objects:
                fail(409)
            self.objects[key] = {**body, "metadata": {**body["metadata"], "resourceVersion": "1"}}
            return self.objects[key]
        if method == "PUT":
            if path not in self.objects:
                fail(404)
            if self.objects[path]["metadata"]["resourceVersion"] != body["metadata"]["resourceVersion"]:
                fail(409)
            self.objects[path] = {**body, "metadata": {**body["metadata"], "resourceVersion": "2"}}
            return self.objects[path]
        if method == "DELETE":
            self.objects.pop(path)
            return {}
        if method == "PATCH":
            self.objects[path]["metadata"].setdefault("labels", {}).update(body["metadata"]["labels"])
            return self.objects[path]
        raise AssertionError(method)


LEASE = "/apis/coordination.k8s.io/v1/namespaces/ns/leases/r-deploy-lock"


def lease(holder, renewed, duration=600):
    return {
        "metadata": {"name": "r-deploy-lock", "resourceVersion": "7"},
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": duration,
            "acquireTime": lock.micro_time(renewed),
            "renewTime": lock.micro_time(renewed),
        },
    }


def test_lock_is_taken_and_given_back():
    kube = FakeKube({"/api/v1/namespaces/ns": {"metadata": {"name": "ns"}}})
    deploy_lock = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600)
    taken = deploy_lock.acquire()
    assert taken["changed"] and kube.objects[LEASE]["spec"]["holderIdentity"] == "me"
    assert deploy_lock.release()["changed"]
    assert LEASE not in kube.objects


def test_lock_held_by_another_run_fails_naming_it():
    now = datetime.datetime.now(datetime.UTC)
    kube = FakeKube({LEASE: lease("ci@runner-7 pid=4", now)})
    with pytest.raises(LockHeld, match="held by 'ci@runner-7 pid=4'"):
        lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).acquire()
    check = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).acquire(check_mode=True)
    assert not check["changed"] and "held by" in check["warnings"][0]
    assert kube.objects[LEASE]["spec"]["holderIdentity"] == "ci@runner-7 pid=4"


def test_expired_lock_is_taken_over_with_a_warning():
    kube = FakeKube({LEASE: lease("dead", NOW - datetime.timedelta(days=1), 60)})
    result = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).acquire()
    assert result["taken_over_from"]["holder"] == "dead"
    assert "took over the deployment lock" in result["warnings"][0]
    assert "from 'dead': not renewed since 2025-12-31T12:00:00.000000Z" in result["warnings"][0]
    assert ("PUT", LEASE) in kube.requests


def test_lock_of_someone_else_is_not_released():
    now = datetime.datetime.now(datetime.UTC)
    kube = FakeKube({LEASE: lease("other", now)})
    result = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600).release()
    assert not result["changed"] and "left in place" in result["warnings"][0]
    assert LEASE in kube.objects


def test_namespace_labels_are_merged_once():
    kube = FakeKube({"/api/v1/namespaces/ns": {"metadata": {"name": "ns", "labels": {"team": "a"}}}})
    deploy_lock = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600)
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    check = deploy_lock.label_namespace(labels, check_mode=True)
    assert check["changed"]
    assert "pod-security" not in json.dumps(kube.objects), "check mode labelled the namespace"
    assert deploy_lock.label_namespace(labels)["changed"]
    assert not deploy_lock.label_namespace(labels)["changed"]
    assert kube.objects["/api/v1/namespaces/ns"]["metadata"]["labels"] == {"team": "a", **labels}


def test_a_missing_namespace_is_created_for_the_lock_only_in_a_real_run():
    kube = FakeKube()
    deploy_lock = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 600)
    planned = deploy_lock.ensure_namespace(check_mode=True)
    assert planned["changed"] and planned["diff"]["after"]["name"] == "ns"
    assert kube.objects == {}, "check mode created the namespace"
    assert deploy_lock.ensure_namespace()["changed"]
    created = kube.objects["/api/v1/namespaces/ns"]["metadata"]
    assert created["labels"] == {"app.kubernetes.io/managed-by": lock.MANAGED_BY}
    assert not deploy_lock.ensure_namespace()["changed"]


def test_free_takes_nothing_and_refuses_only_a_live_holder():
    now = datetime.datetime.now(datetime.UTC)
    assert not lock.DeployLock(FakeKube({}), "ns", "r-deploy-lock", "me", 60).free()["changed"]
    kube = FakeKube({LEASE: lease("ci@elsewhere pid=1 run=2", now, 60)})
    with pytest.raises(LockHeld, match="held by 'ci@elsewhere pid=1 run=2'"):
        lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60).free()
    checked = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60).free(check_mode=True)
    assert "held by" in checked["warnings"][0]
    broken = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60).free(break_lock=True)
    assert "will be taken over: break_lock was set" in broken["warnings"][0]
    expired = FakeKube({LEASE: lease("dead", NOW - datetime.timedelta(days=1), 60)})
    assert (
        "will be taken over: not renewed"
        in lock.DeployLock(expired, "ns", "r-deploy-lock", "me", 60).free()["warnings"][0]
    )
    assert not [r for r in kube.requests + expired.requests if r[0] != "GET"], "free() wrote something"


# -- migration ------------------------------------------------------------------------------


def test_lock_of_a_dead_process_on_this_host_is_taken_over_at_once():
    import socket
    import subprocess

    ended = subprocess.Popen(["true"])  # a process that has ended and was reaped: its pid is free
    ended.wait()
    dead_pid = ended.pid
    now = datetime.datetime.now(datetime.UTC)
    holder = f"ci@{socket.gethostname()} pid={dead_pid} run=0a0b0c0d"
    if lock.process_alive(dead_pid):
        pytest.skip("the pid was reused at once")
    kube = FakeKube({LEASE: lease(holder, now, 60)})
    result = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60).acquire()
    assert f"its process {dead_pid} on {socket.gethostname()} no longer exists" in result["warnings"][0]
    assert kube.objects[LEASE]["spec"]["holderIdentity"] == "me"


def test_live_holder_on_this_host_or_elsewhere_keeps_the_lock_unless_broken():
    import os
    import socket

    now = datetime.datetime.now(datetime.UTC)
    for holder in (f"ci@{socket.gethostname()} pid={os.getpid()} run=1", "ci@elsewhere pid=1 run=2"):
        kube = FakeKube({LEASE: lease(holder, now, 60)})
        with pytest.raises(LockHeld):
            lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60).acquire()
        result = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60).acquire(break_lock=True)
        assert f"from {holder!r}: break_lock was set" in result["warnings"][0]


def test_heartbeat_renews_until_the_controller_is_gone_or_the_lock_given_back():
    kube = FakeKube({"/api/v1/namespaces/ns": {"metadata": {"name": "ns"}}})
    held = lock.DeployLock(kube, "ns", "r-deploy-lock", "me", 60)
    held.acquire()
    first = kube.objects[LEASE]["spec"]["renewTime"]
    naps = []
    lives = iter([True, True, False])
    why = held.heartbeat(4242, sleep=naps.append, alive=lambda pid: next(lives))
    assert naps == [20, 20, 20] and "process 4242 is gone" in why
    assert kube.requests.count(("PUT", LEASE)) == 2 and kube.objects[LEASE]["spec"]["renewTime"] >= first
    held.release()
    assert held.heartbeat(4242, sleep=naps.append, alive=lambda pid: True) == "the lock was given back or taken over"


def test_controller_pid_is_the_outermost_ansible_playbook_ancestor(monkeypatch):
    tree = {
        30: (20, "python AnsiballZ"),
        20: (10, "ansible-playbook -i x"),
        10: (5, "ansible-playbook -i x"),
        5: (1, "bash"),
    }
    monkeypatch.setattr(lock, "_parent", lambda pid: tree.get(pid, (0, ""))[0])
    monkeypatch.setattr(lock, "_cmdline", lambda pid: tree.get(pid, (0, ""))[1])
    assert lock.controller_pid(30) == 10
    assert lock.controller_pid(5) == 0


def test_heartbeat_goes_on_while_the_api_server_is_unreachable(monkeypatch):
    from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConnectionFailure

    held = lock.DeployLock(FakeKube(), "ns", "r-deploy-lock", "me", 30)
    answers = iter([ConnectionFailure("cannot reach the Kubernetes API"), True, False])

    def renew():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(held, "renew", renew)
    naps = []
    assert held.heartbeat(0, sleep=naps.append) == "the lock was given back or taken over"
    assert naps == [10, 10, 10]
