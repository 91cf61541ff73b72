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
    assert "took over the expired deployment lock" in result["warnings"][0]
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


# -- migration ------------------------------------------------------------------------------
