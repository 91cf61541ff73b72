"""Cluster checks on a live-shaped API: version, nodes, zones."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster.checks import ClusterPolicy

from ...kube_fakes import JsonKube

POLICY = ClusterPolicy.from_options({"namespace": "ns", "backend_deployment": "b", "min_nodes": 3, "min_zones": 2})


def Kube(version, nodes):  # noqa: N802 - reads like the session it stands for
    return JsonKube({"/version": {"gitVersion": version, "platform": "linux/amd64"}, "/api/v1/nodes": {"items": nodes}})


def node(name, zone, ready=True, unschedulable=False):
    return {
        "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
        "spec": {"unschedulable": True} if unschedulable else {},
        "status": {"conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_a_recent_version_passes_and_an_old_one_fails():
    recent = {e["id"]: e["status"] for e in checks.version_entries(Kube("v1.30.2", []), POLICY)}
    old = {e["id"]: e["status"] for e in checks.version_entries(Kube("v1.27.9", []), POLICY)}
    assert recent == {"2.1.1": "passed", "2.1.2": "passed"}
    assert old == {"2.1.1": "passed", "2.1.2": "failed"}


def test_nodes_need_enough_ready_schedulable_ones_in_enough_zones():
    good = [node("a", "z1"), node("b", "z2"), node("c", "z2")]
    found = {e["id"]: e["status"] for e in checks.node_entries(Kube("v1.30", good), POLICY)}
    assert set(found.values()) == {"passed"}
    thin = [node("a", "z1"), node("b", "z1", ready=False), node("c", "z1", unschedulable=True)]
    found = {e["id"]: e["status"] for e in checks.node_entries(Kube("v1.30", thin), POLICY)}
    assert set(found.values()) == {"failed"}


def test_storage_without_named_claims_asks_for_a_dry_run_claim_of_the_size():
    classes = {
        "items": [
            {
                "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
                "provisioner": "rancher.io/local-path",
            }
        ]
    }
    kube = JsonKube(
        {
            "/apis/storage.k8s.io/v1/storageclasses": classes,
            "/api/v1/namespaces/ns": {"metadata": {"name": "ns"}},
            ("POST", "/api/v1/namespaces/ns/persistentvolumeclaims"): lambda body, query: body,
        }
    )
    policy = ClusterPolicy.from_options({"namespace": "ns", "backend_deployment": "b", "volume_size": "20Gi"})
    found = {e["id"]: e for e in checks.storage_entries(kube, policy)}
    assert found["2.3.2"]["status"] == "passed" and found["2.3.2"]["measured"]["default"] == "fast"
    assert found["2.3.1"]["status"] == "passed"
    method, _path, query, body = kube.requests[-1]
    assert (method, query) == ("POST", {"dryRun": "All"})
    assert body["spec"] == {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "20Gi"}},
        "storageClassName": "fast",
    }


def test_a_refused_claim_fails_2_3_1_with_the_servers_reason():
    from kubernetes.client.rest import ApiException

    kube = JsonKube(
        {
            "/apis/storage.k8s.io/v1/storageclasses": {"items": []},
            ("POST", "/api/v1/namespaces/default/persistentvolumeclaims"): ApiException(status=403, reason="quota"),
        }
    )
    policy = ClusterPolicy.from_options({"namespace": "ns", "backend_deployment": "b", "volume_size": "20Gi"})
    found = {e["id"]: e for e in checks.storage_entries(kube, policy)}
    assert found["2.3.2"]["status"] == "failed"
    assert found["2.3.1"]["status"] == "failed"
    assert "refused" in found["2.3.1"]["detail"] and "403" in found["2.3.1"]["detail"]


def test_an_hpa_on_the_backend_or_a_cluster_autoscaler_passes_2_1_4():
    hpa = {
        "metadata": {"name": "b"},
        "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "b"}, "minReplicas": 3, "maxReplicas": 10},
    }
    routes = {
        "/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers": {"items": [hpa]},
        "/apis/apps/v1/deployments": {"items": []},
    }
    assert checks.autoscaling_entry(JsonKube(routes), POLICY)["status"] == "passed"
    routes["/apis/autoscaling/v2/namespaces/ns/horizontalpodautoscalers"] = {"items": []}
    assert checks.autoscaling_entry(JsonKube(routes), POLICY)["status"] == "failed"
    routes["/apis/apps/v1/deployments"] = {
        "items": [{"metadata": {"name": "cluster-autoscaler", "namespace": "kube-system"}}]
    }
    found = checks.autoscaling_entry(JsonKube(routes), POLICY)
    assert found["status"] == "passed" and found["measured"]["cluster_autoscaler"] == ["kube-system/cluster-autoscaler"]
