# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cluster checks (2.1.1-2.1.5, 2.2.3, 2.3.1, 2.3.2) over one Kubernetes API session, read as plain JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.helm_release import release_installed
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConnectionFailure
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, not_installed, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_quantity, version_tuple

DEFAULT_CLASS_ANNOTATIONS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
INGRESS_DEFAULT_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
# Where cluster autoscalers announce themselves: the upstream cluster-autoscaler's status ConfigMap, and the
# Deployments of cluster-autoscaler or Karpenter.
AUTOSCALER_NAMES = ("cluster-autoscaler", "karpenter")


@dataclass(frozen=True)
class ClusterPolicy:
    """What the cluster is held to; every value comes from cluster_check's option table."""

    namespace: str
    backend_deployment: str
    min_version: str
    min_nodes: int
    min_zones: int
    zone_label: str
    ingress_class: str
    require_lb_address: bool
    volume_size: str
    # claims that must exist, be Bound and hold at least volume_size; empty: a dry-run claim of that size instead
    volume_claims: tuple[str, ...]
    storage_class: str
    # Helm release whose objects (HPA, Ingress) 2.1.4 and 2.2.3 look at; before its first install they are skipped
    release: str

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> ClusterPolicy:
        """The policy of cluster_check's parameters (missing ones at the option table's defaults), validated."""
        p = settings(options.cluster_check()["argument_spec"], params)
        version_tuple(p["min_version"])
        parse_quantity(p["volume_size"])
        return build(cls, p, volume_claims=tuple(p["volume_claims"]))


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def version_entries(kube: Any, policy: ClusterPolicy) -> Entries:
    info = k8s.request(kube, "the server version", "GET", "/version") or {}
    version = info.get("gitVersion") or ""
    where = kube.server
    wanted = version_tuple(policy.min_version)
    have = version_tuple(version)[: len(wanted)]
    return [
        entry(
            "2.1.1",
            "passed",
            measured=version,
            threshold="API reachable, version reported",
            detail=f"Kubernetes API at {where} answered ({info.get('platform')})",
            where=where,
        ),
        passed_if(
            "2.1.2",
            have >= wanted,
            measured=version,
            threshold=f">= {policy.min_version}",
            detail=f"server {version}",
            where=where,
        ),
    ]


def _ready(node: Mapping[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def node_entries(kube: Any, policy: ClusterPolicy) -> Entries:
    nodes = (k8s.request(kube, "the node list", "GET", k8s.path("v1", "nodes")) or {}).get("items") or []
    ready = [n for n in nodes if _ready(n) and not (n.get("spec") or {}).get("unschedulable")]
    zones = sorted({(_meta(n).get("labels") or {}).get(policy.zone_label) for n in ready} - {None})
    return [
        passed_if(
            "2.1.3",
            len(ready) >= policy.min_nodes,
            measured={"ready_schedulable": len(ready), "total": len(nodes)},
            threshold=f">= {policy.min_nodes} Ready, schedulable nodes",
            detail=", ".join(_meta(n).get("name", "") for n in ready) or "no Ready node",
            where=kube.server,
        ),
        passed_if(
            "2.1.5",
            len(zones) >= policy.min_zones,
            measured=zones,
            threshold=f"Ready nodes in >= {policy.min_zones} zones ({policy.zone_label})",
            detail=f"{len(zones)} zone(s) with Ready nodes",
            where=kube.server,
        ),
    ]


def autoscaling_entry(kube: Any, policy: ClusterPolicy) -> dict[str, Any]:
    """2.1.4: an HPA scales the backend Deployment, or a cluster autoscaler runs."""
    hpas = k8s.items(
        kube, f"HorizontalPodAutoscalers in {policy.namespace}", "autoscaling/v2", "horizontalpodautoscalers",
        policy.namespace,
    )  # fmt: skip
    specs = [(_meta(h).get("name"), h.get("spec") or {}) for h in hpas]
    ours = [
        (name, spec)
        for name, spec in specs
        if (spec.get("scaleTargetRef") or {}).get("kind") == "Deployment"
        and (spec.get("scaleTargetRef") or {}).get("name") == policy.backend_deployment
    ]
    scaling = [h for h in ours if (h[1].get("maxReplicas") or 0) > (h[1].get("minReplicas") or 1)]
    autoscalers = []
    status_cm = k8s.get(
        kube,
        "ConfigMap kube-system/cluster-autoscaler-status",
        k8s.path("v1", "configmaps", "kube-system", "cluster-autoscaler-status"),
    )
    if status_cm is not None:
        autoscalers.append("kube-system/cluster-autoscaler-status")
    deployments = (
        k8s.request(kube, "Deployments in all namespaces", "GET", k8s.path("apps/v1", "deployments")) or {}
    ).get("items") or []
    autoscalers += [
        f"{_meta(d).get('namespace')}/{_meta(d).get('name')}"
        for d in deployments
        if any(name in (_meta(d).get("name") or "") for name in AUTOSCALER_NAMES)
    ]
    hpa_text = [f"{name} ({spec.get('minReplicas')}-{spec.get('maxReplicas')})" for name, spec in ours]
    return passed_if(
        "2.1.4",
        bool(scaling) or bool(autoscalers),
        measured={"hpa": hpa_text or None, "cluster_autoscaler": autoscalers or None},
        threshold=f"an HPA scaling Deployment {policy.backend_deployment} (max > min) or a cluster autoscaler",
        detail=("HPA " + ", ".join(hpa_text) if scaling else f"no HPA scales {policy.backend_deployment}")
        + ("; cluster autoscaler: " + ", ".join(autoscalers) if autoscalers else "; no cluster autoscaler found"),
        where=f"{kube.server} namespace {policy.namespace}",
    )


def _addresses(obj: Mapping[str, Any]) -> list[str]:
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [i.get("ip") or i.get("hostname") for i in ingress if i.get("ip") or i.get("hostname")]


def load_balancer_entry(kube: Any, policy: ClusterPolicy) -> dict[str, Any]:
    """2.2.3: the IngressClass exists and a load balancer address is published (Ingress or LoadBalancer Service)."""
    klass = k8s.get(
        kube,
        f"IngressClass {policy.ingress_class}",
        k8s.path("networking.k8s.io/v1", "ingressclasses", name=policy.ingress_class),
    )
    ingresses = k8s.items(
        kube, f"Ingresses in {policy.namespace}", "networking.k8s.io/v1", "ingresses", policy.namespace
    )
    ingress_addresses = sorted({a for i in ingresses for a in _addresses(i)})
    services = (k8s.request(kube, "Services in all namespaces", "GET", k8s.path("v1", "services")) or {}).get(
        "items"
    ) or []
    lb_services = {
        f"{_meta(s).get('namespace')}/{_meta(s).get('name')}": _addresses(s)
        for s in services
        if (s.get("spec") or {}).get("type") == "LoadBalancer"
    }
    lb_addresses = sorted({a for addrs in lb_services.values() for a in addrs})
    have_address = bool(ingress_addresses or lb_addresses)
    problems = []
    if klass is None:
        problems.append(f"IngressClass {policy.ingress_class} missing")
    if policy.require_lb_address and not have_address:
        problems.append("no load balancer address: no Ingress address and no LoadBalancer Service with an address")
    controller = (klass.get("spec") or {}).get("controller") if klass is not None else None
    return passed_if(
        "2.2.3",
        not problems,
        measured={
            "ingress_class": controller,
            "ingress_addresses": ingress_addresses or None,
            "load_balancer_services": lb_services or None,
        },
        threshold=f"IngressClass {policy.ingress_class}"
        + (" and a load balancer address" if policy.require_lb_address else " (address not required)"),
        detail="; ".join(problems)
        or f"IngressClass {policy.ingress_class} ({controller}), address(es): "
        + (", ".join(ingress_addresses + lb_addresses) or "none"),
        where=kube.server,
    )


def _default_class(classes: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for c in classes:
        annotations = _meta(c).get("annotations") or {}
        if any(annotations.get(a) == "true" for a in DEFAULT_CLASS_ANNOTATIONS):
            return c
    return None


def _name(obj: Mapping[str, Any] | None) -> str | None:
    return _meta(obj).get("name") if obj is not None else None


def storage_entries(kube: Any, policy: ClusterPolicy) -> Entries:
    classes = (k8s.request(kube, "StorageClasses", "GET", k8s.path("storage.k8s.io/v1", "storageclasses")) or {}).get(
        "items"
    ) or []
    default = _default_class(classes)
    wanted_class = policy.storage_class or (_name(default) or "")
    chosen = next((c for c in classes if _name(c) == wanted_class), None)
    storage_class = passed_if(
        "2.3.2",
        default is not None and (not policy.storage_class or chosen is not None),
        measured={
            "default": _name(default),
            "provisioner": default.get("provisioner") if default else None,
            "classes": sorted(_name(c) or "" for c in classes),
        },
        threshold="a default StorageClass" + (f"; class {policy.storage_class} exists" if policy.storage_class else ""),
        detail=f"default StorageClass {_name(default)} ({default.get('provisioner')})"
        if default
        else "no StorageClass is marked default",
        where=kube.server,
    )
    minimum = parse_quantity(policy.volume_size)
    if policy.volume_claims:
        sizes: dict[str, Any] = {}
        problems = []
        for name in policy.volume_claims:
            claim = k8s.get(
                kube,
                f"PersistentVolumeClaim {policy.namespace}/{name}",
                k8s.path("v1", "persistentvolumeclaims", policy.namespace, name),
            )
            if claim is None:
                problems.append(f"{name} missing")
                continue
            status = claim.get("status") or {}
            capacity = (status.get("capacity") or {}).get("storage")
            sizes[name] = {"phase": status.get("phase"), "capacity": capacity}
            if sizes[name]["phase"] != "Bound" or capacity is None or parse_quantity(capacity) < minimum:
                problems.append(f"{name} {sizes[name]['phase']} {capacity}")
        volumes = passed_if(
            "2.3.1",
            not problems,
            measured=sizes,
            threshold=f"Bound, >= {policy.volume_size}",
            detail="; ".join(problems) or f"{len(sizes)} claim(s) Bound at >= {policy.volume_size}",
            where=f"{kube.server} namespace {policy.namespace}",
        )
        return [storage_class, volumes]
    # No named claims: ask the API server whether a claim of the required size would be admitted
    # (quotas, LimitRanges, the class exists) without creating it.
    namespace = policy.namespace
    if k8s.get(kube, f"namespace {namespace}", k8s.path("v1", "namespaces", name=namespace)) is None:
        namespace = "default"
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": policy.volume_size}},
    }
    if wanted_class:
        spec["storageClassName"] = wanted_class
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"generateName": "smeplatform-size-probe-"},
        "spec": spec,
    }
    problems = []
    if chosen is None:
        problems.append("no StorageClass to provision from")
    elif chosen.get("provisioner") == "kubernetes.io/no-provisioner":
        problems.append(f"StorageClass {_name(chosen)} has no dynamic provisioner")
    admitted = None
    try:
        k8s.request(
            kube,
            f"a {policy.volume_size} claim (dry run) in {namespace}",
            "POST",
            k8s.path("v1", "persistentvolumeclaims", namespace),
            body=claim,
            query={"dryRun": "All"},
        )
        admitted = True
    except (ApiError, ConnectionFailure) as exc:  # the refusal (quota, LimitRange, 403) is the measurement
        admitted = False
        problems.append(f"a {policy.volume_size} claim is refused: {exc}")
    return [
        storage_class,
        passed_if(
            "2.3.1",
            not problems,
            measured={
                "claim_size": policy.volume_size,
                "storage_class": wanted_class or None,
                "admitted": admitted,
                "provisioner": chosen.get("provisioner") if chosen else None,
            },
            threshold=f"a {policy.volume_size} claim is admitted and can be provisioned dynamically",
            detail="; ".join(problems)
            or f"a {policy.volume_size} claim on {wanted_class} is admitted in {namespace} (server-side dry run)",
            where=f"{kube.server} namespace {namespace}",
        ),
    ]


def check_cluster(kube: Any, policy: ClusterPolicy) -> Entries:
    checks = [
        Check(("2.1.1", "2.1.2"), lambda: version_entries(kube, policy), kube.server),
        Check(("2.1.3", "2.1.5"), lambda: node_entries(kube, policy), kube.server),
        Check(("2.3.1", "2.3.2"), lambda: storage_entries(kube, policy), kube.server),
    ]
    if policy.release and not release_installed(kube, policy.namespace, policy.release):
        skipped = not_installed(("2.1.4", "2.2.3"), policy.release, policy.namespace, kube.server)
        return run_checks(checks) + skipped
    checks[2:2] = [
        Check(("2.1.4",), lambda: [autoscaling_entry(kube, policy)], kube.server),
        Check(("2.2.3",), lambda: [load_balancer_entry(kube, policy)], kube.server),
    ]
    return run_checks(checks)
