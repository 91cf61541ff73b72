"""Cluster checks on a live-shaped API: version, nodes, zones."""

from __future__ import annotations

from types import SimpleNamespace as NS

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster.checks import ClusterPolicy

POLICY = ClusterPolicy.from_options({"namespace": "ns", "backend_deployment": "b", "min_nodes": 3, "min_zones": 2})


class Kube:
    server = "https://unit:6443"

    def __init__(self, version, nodes):
        self.version = NS(get_code=lambda **_: NS(git_version=version, platform="linux/amd64"))
        self.core = NS(list_node=lambda **_: NS(items=nodes))

    def call(self, _what, fn, *args, **kwargs):
        return fn(*args, **kwargs)


def node(name, zone, ready=True, unschedulable=False):
    return NS(
        metadata=NS(name=name, labels={"topology.kubernetes.io/zone": zone}),
        spec=NS(unschedulable=unschedulable),
        status=NS(conditions=[NS(type="Ready", status="True" if ready else "False")]),
    )


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
