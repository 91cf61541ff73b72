# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""7.1.4 service mesh, when the environment requires one: Istio's CRDs installed, the namespace labelled for sidecar
injection, every pod of it with the istio-proxy sidecar, and STRICT mutual TLS; otherwise skipped with the reason."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.stack_inputs import StackSettings
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_unless

MESH_ID = "7.1.4"
ISTIO_CRDS = (
    "virtualservices.networking.istio.io",
    "destinationrules.networking.istio.io",
    "peerauthentications.security.istio.io",
)
SIDECAR = "istio-proxy"


def _has_sidecar(pod: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    # the sidecar is a container, or with native sidecars (Istio 1.19+) an init container that keeps running
    return any(c.get("name") == SIDECAR for c in (spec.get("containers") or []) + (spec.get("initContainers") or []))


def mesh_entry(cluster: Any, s: StackSettings) -> dict[str, Any]:
    threshold = (
        "when required: Istio's CRDs installed, the namespace labelled for injection, every pod with the istio-proxy "
        "sidecar, STRICT mutual TLS"
    )
    if not s.mesh_required:
        return entry(
            MESH_ID,
            "skipped",
            measured="not required",
            threshold=threshold,
            detail="this environment requires no service mesh (operations_mesh_required is false): nothing to check",
        )
    crds = {
        n: cluster.get(f"CRD {n}", k8s.path("apiextensions.k8s.io/v1", "customresourcedefinitions", name=n)) is not None
        for n in ISTIO_CRDS
    }
    missing = sorted(n for n, found in crds.items() if not found)
    namespace = cluster.get(f"namespace {s.namespace}", k8s.path("v1", "namespaces", name=s.namespace)) or {}
    labels = (namespace.get("metadata") or {}).get("labels") or {}
    injection = labels.get("istio-injection") == "enabled" or bool(labels.get("istio.io/rev"))
    pods = [
        p
        for p in cluster.items(f"pods of {s.namespace}", k8s.path("v1", "pods", s.namespace))
        if (p.get("status") or {}).get("phase") == "Running"
    ]
    without = sorted(str((p.get("metadata") or {}).get("name")) for p in pods if not _has_sidecar(p))
    strict = False
    if not missing:
        for ns in dict.fromkeys((s.namespace, s.mesh_root_namespace)):
            policies = cluster.items(
                f"PeerAuthentications of {ns}", k8s.path("security.istio.io/v1beta1", "peerauthentications", ns)
            )
            strict = strict or any(((p.get("spec") or {}).get("mtls") or {}).get("mode") == "STRICT" for p in policies)
    problems = []
    if missing:
        problems.append(f"Istio CRDs missing: {', '.join(missing)}")
    if not namespace:
        problems.append(f"namespace {s.namespace} not found")
    elif not injection:
        problems.append(f"namespace {s.namespace} not labelled for sidecar injection (istio-injection=enabled)")
    if not pods:
        problems.append(f"no running pod in {s.namespace}")
    elif without:
        problems.append(f"{len(without)} of {len(pods)} pod(s) without the {SIDECAR} sidecar: {', '.join(without[:5])}")
    if not missing and not strict:
        problems.append(f"no PeerAuthentication with mTLS STRICT in {s.namespace} or {s.mesh_root_namespace}")
    return passed_unless(
        MESH_ID,
        problems,
        f"Istio: {len(pods)} pod(s) of {s.namespace} with the sidecar, mTLS STRICT",
        measured={
            "crds_missing": missing,
            "injection": injection,
            "pods": len(pods),
            "without_sidecar": len(without),
            "mtls_strict": strict,
        },
        threshold=threshold,
    )
