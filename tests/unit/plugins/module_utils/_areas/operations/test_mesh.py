"""7.1.4: a required mesh passes only with Istio's CRDs, sidecars and STRICT mTLS; not required is skipped."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import mesh

from .stack_fakes import FakeCluster, settings


def mesh_objects(sidecar: bool = True, crds: bool = True, strict: bool = True) -> dict[str, Any]:
    objects: dict[str, Any] = {
        "/api/v1/namespaces/sme-platform": {"metadata": {"labels": {"istio-injection": "enabled"}}},
        "/api/v1/namespaces/sme-platform/pods": {
            "items": [
                {
                    "metadata": {"name": "backend-1"},
                    "status": {"phase": "Running"},
                    "spec": {"containers": [{"name": "backend"}] + ([{"name": "istio-proxy"}] if sidecar else [])},
                }
            ]
        },
        "/apis/security.istio.io/v1beta1/namespaces/istio-system/peerauthentications": {
            "items": [{"spec": {"mtls": {"mode": "STRICT" if strict else "PERMISSIVE"}}}]
        },
    }
    if crds:
        for name in mesh.ISTIO_CRDS:
            objects[f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"] = {"metadata": {"name": name}}
    return objects


def test_a_required_mesh_passes_only_with_crds_sidecars_and_strict_mtls():
    required = settings(mesh_required=True)
    assert mesh.mesh_entry(FakeCluster(mesh_objects()), required)["status"] == "passed"
    found = mesh.mesh_entry(FakeCluster(mesh_objects(sidecar=False, strict=False)), required)
    assert found["detail"] == (
        "1 of 1 pod(s) without the istio-proxy sidecar: backend-1; "
        "no PeerAuthentication with mTLS STRICT in sme-platform or istio-system"
    )
    found = mesh.mesh_entry(FakeCluster(mesh_objects(crds=False)), required)
    assert found["detail"].startswith("Istio CRDs missing: destinationrules.networking.istio.io")
    assert mesh.mesh_entry(FakeCluster({}), settings())["status"] == "skipped"
