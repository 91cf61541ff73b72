"""The smoke gate's pods probe: every Deployment fully rolled out, its pods Running and Ready, few restarts."""

from __future__ import annotations

import copy

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import Smoke
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError

NS = "sme-platform"


class JsonKube:
    """Answers the client's JSON requests (kubernetes.request/get) from a dict of path -> object."""

    server = "https://unit:6443"
    timeout = 5

    def __init__(self, objects):
        self.objects = objects

    def call(self, what, _fn, _kube, method, path, _body, query, _ctype, **_kwargs):
        assert method == "GET"
        if path not in self.objects:

            class Missing(Exception):
                status = 404

            try:
                raise Missing()
            except Missing as cause:
                raise ApiError(f"{what}: 404") from cause
        found = copy.deepcopy(self.objects[path])
        selector = dict(query).get("labelSelector")
        if selector is not None:
            wanted = dict(part.split("=") for part in selector.split(","))
            found["items"] = [p for p in found["items"] if wanted.items() <= p["metadata"]["labels"].items()]
        return found


def deployment(available=2, observed=3):
    return {
        "metadata": {"name": "web", "generation": 3},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {}}},
        "status": {
            "observedGeneration": observed,
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": available,
            "availableReplicas": available,
        },
    }


def pod(name, ready=True, restarts=0, app="web", deleting=False):
    return {
        "metadata": {"name": name, "labels": {"app": app}, **({"deletionTimestamp": "now"} if deleting else {})},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "app", "restartCount": restarts}],
        },
    }


def probe(objects, max_restarts=3, expected=None):
    smoke = Smoke(
        {
            "api_url": "https://api.unit.test",
            "checks": ["pods"],
            "kubernetes": {
                "namespace": NS,
                "deployments": ["web"],
                "max_restarts": max_restarts,
                "expected_replicas": expected or {},
            },
        },
        kube_factory=lambda: JsonKube(objects),
    )
    return smoke.check_pods()


def cluster(dep, pods):
    return {
        f"/apis/apps/v1/namespaces/{NS}/deployments/web": dep,
        f"/api/v1/namespaces/{NS}/pods": {"items": pods},
    }


def test_a_rolled_out_deployment_with_ready_pods_passes():
    outcome = probe(cluster(deployment(), [pod("web-1"), pod("web-2"), pod("other", app="db", ready=False)]))
    assert outcome.status == "passed", outcome.detail
    assert outcome.measured == {"pods_ready": "2/2", "deployments": ["web 2/2"], "max_restarts": 0}


def test_terminating_pods_do_not_count():
    outcome = probe(cluster(deployment(), [pod("web-1"), pod("web-2"), pod("web-old", ready=False, deleting=True)]))
    assert outcome.status == "passed", outcome.detail


def test_an_unfinished_rollout_or_unready_pod_fails_naming_it():
    outcome = probe(cluster(deployment(available=1, observed=2), [pod("web-1"), pod("web-2", ready=False)]))
    assert outcome.status == "failed"
    assert "web: 1/2 available, 2 updated, 2 in total, rollout not yet observed" in outcome.detail
    assert "1 pod(s) not Running and Ready" in outcome.detail


def test_too_many_restarts_fail():
    outcome = probe(cluster(deployment(), [pod("web-1", restarts=4), pod("web-2")]), max_restarts=3)
    assert outcome.status == "failed"
    assert "web-1/app restarted 4 times" in outcome.detail
    assert outcome.measured["max_restarts"] == 4


def test_a_missing_deployment_fails():
    outcome = probe({f"/api/v1/namespaces/{NS}/pods": {"items": []}})
    assert outcome.status == "failed"
    assert "Deployment web not found in sme-platform" in outcome.detail


def test_without_deployments_the_probe_is_skipped():
    smoke = Smoke({"api_url": "https://api.unit.test", "checks": ["pods"]})
    assert smoke.check_pods().status == "skipped"


def test_ready_pods_are_held_against_the_desired_replicas_not_against_themselves():
    # the status counters say 2/2, but only one pod of the Deployment is Running and Ready
    outcome = probe(cluster(deployment(), [pod("web-1")]))
    assert outcome.status == "failed"
    assert "web: 1 pod(s) Running and Ready, 2 desired" in outcome.detail


def test_a_deployment_scaled_to_zero_fails():
    dep = deployment(available=0)
    dep["spec"]["replicas"] = 0
    dep["status"].update(replicas=0, updatedReplicas=0)
    outcome = probe(cluster(dep, []))
    assert outcome.status == "failed" and "wants 0 replicas" in outcome.detail


def test_desired_replicas_must_match_the_inventory_expected_count():
    outcome = probe(cluster(deployment(), [pod("web-1"), pod("web-2")]), expected={"web": 3})
    assert outcome.status == "failed"
    assert "web desires 2 replicas, the inventory expects 3" in outcome.detail
    assert probe(cluster(deployment(), [pod("web-1"), pod("web-2")]), expected={"web": 2}).status == "passed"
