"""The one Kubernetes client: connection options, error mapping, JSON paths and the workload rollout shape."""

from __future__ import annotations

import pytest
from kubernetes.client.rest import ApiException

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

from ..kube_fakes import JsonKube


def test_connection_args_are_fresh_copies():
    first = k8s.connection_args()
    first["request_timeout"]["default"] = 1
    assert k8s.connection_args()["request_timeout"]["default"] == 20.0


def test_a_missing_kubeconfig_names_the_file(tmp_path):
    with pytest.raises(ConfigurationError, match="nope.yaml"):
        k8s.Kube(str(tmp_path / "nope.yaml"))


class _Session(k8s.Kube):
    def __init__(self):  # no credentials: only the error mapping is under test
        self.timeout, self.server = 3, "https://unit:6443"


@pytest.mark.parametrize(
    ("raised", "kind", "words"),
    [
        (ApiException(status=403, reason="Forbidden"), ConnectionFailure, "refused read pod x: 403"),
        (ApiException(status=404, reason="Not Found"), ApiError, "read pod x failed: 404"),
        (OSError("connection refused"), ConnectionFailure, "cannot reach the Kubernetes API"),
    ],
)
def test_call_maps_failures_to_the_collections_errors(raised, kind, words):
    def fn(**kwargs):
        assert kwargs["_request_timeout"] == 3
        raise raised

    with pytest.raises(kind, match=words):
        _Session().call("read pod x", fn)


def test_status_of_finds_the_code():
    def missing(**_):
        raise ApiException(status=404, reason="Not Found")

    with pytest.raises(ApiError) as caught:
        _Session().call("read pod x", missing)
    assert k8s.status_of(caught.value) == 404


def test_paths():
    assert k8s.path("v1", "namespaces", name="ns") == "/api/v1/namespaces/ns"
    assert k8s.path("apps/v1", "deployments", "ns", "web") == "/apis/apps/v1/namespaces/ns/deployments/web"
    assert k8s.path("v1", "pods", "a b") == "/api/v1/namespaces/a%20b/pods"


def deployment(replicas=2, generation=3, status=None):
    return {
        "kind": "Deployment",
        "metadata": {"name": "web", "generation": generation},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"image": "reg/web:v2"}]}}},
        "status": status or {},
    }


def test_a_finished_deployment_rollout_is_complete():
    done = k8s.workload_rollout(
        deployment(
            status={
                "observedGeneration": 3,
                "replicas": 2,
                "updatedReplicas": 2,
                "readyReplicas": 2,
                "availableReplicas": 2,
            }
        )
    )
    assert done["complete"] and done["observed"]
    assert (done["replicas"], done["total"], done["images"]) == (2, 2, ["reg/web:v2"])


@pytest.mark.parametrize(
    "status",
    [
        {"observedGeneration": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2},
        {"observedGeneration": 3, "updatedReplicas": 1, "readyReplicas": 2, "availableReplicas": 2},
        {"observedGeneration": 3, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 1},
        {"updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2},
    ],
)
def test_an_unfinished_rollout_is_not_complete(status):
    assert not k8s.workload_rollout(deployment(status=status))["complete"]


def test_statefulsets_count_ready_as_available_and_daemonsets_their_own_fields():
    sts = {
        **deployment(status={"observedGeneration": 3, "updatedReplicas": 2, "readyReplicas": 2}),
        "kind": "StatefulSet",
    }
    assert k8s.workload_rollout(sts)["available"] == 2
    ds = {
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "generation": 1},
        "spec": {},
        "status": {
            "observedGeneration": 1,
            "desiredNumberScheduled": 3,
            "numberReady": 3,
            "updatedNumberScheduled": 3,
            "numberAvailable": 2,
        },
    }
    rollout = k8s.workload_rollout(ds)
    assert (rollout["replicas"], rollout["available"], rollout["complete"]) == (3, 2, False)


def test_replicas_default_to_one():
    assert k8s.workload_rollout(deployment(replicas=None))["replicas"] == 1

    assert k8s.warning_texts(
        ['299 - "would violate PodSecurity \\"restricted:latest\\": privileged (container \\"backend\\")"', ""]
    ) == ['would violate PodSecurity "restricted:latest": privileged (container "backend")']


NS = "/api/v1/namespaces/shop"
CREATE = ("POST", "/api/v1/namespaces")


def test_an_existing_namespace_is_left_alone():
    kube = JsonKube({NS: {"metadata": {"name": "shop"}}})
    assert k8s.ensure_namespace(kube, "shop", labels={"a": "b"}) == {
        "changed": False,
        "action": "none",
        "applied": None,
    }
    assert [r[0] for r in kube.requests] == ["GET"]


def test_a_missing_namespace_is_created_with_its_labels_and_only_said_in_check_mode():
    kube = JsonKube({CREATE: lambda body, _query: body})
    planned = k8s.ensure_namespace(kube, "shop", check_mode=True, labels={"owner": "deploy"})
    assert planned["changed"] and planned["action"] == "create"
    assert planned["diff"]["before"] == {} and planned["diff"]["after"] == {
        "name": "shop",
        "labels": {"owner": "deploy"},
    }
    assert [r[0] for r in kube.requests] == ["GET"]
    done = k8s.ensure_namespace(kube, "shop", labels={"owner": "deploy"})
    assert done["changed"]
    method, path, _query, body = kube.requests[-1]
    assert (method, path) == CREATE
    assert body == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": "shop", "labels": {"owner": "deploy"}},
    }


def test_a_namespace_created_meanwhile_counts_and_other_refusals_fail():
    kube = JsonKube({CREATE: ApiException(status=409, reason="AlreadyExists")})
    assert k8s.ensure_namespace(kube, "shop")["changed"]
    kube = JsonKube({CREATE: ApiException(status=422, reason="Unprocessable Entity")})
    with pytest.raises(ApiError, match="create namespace shop failed: 422"):
        k8s.ensure_namespace(kube, "shop")
