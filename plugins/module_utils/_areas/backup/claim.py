# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The claim backups are written to: created when absent, left alone when present (a claim's spec is mostly
immutable, and its size or class is the storage team's to change once it holds backups)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync

MANAGED_BY = "smeplatform.deploy"


@dataclass(frozen=True)
class ClaimSpec:
    name: str
    namespace: str
    app: str  # the CronJob that writes to it: its app.kubernetes.io/name
    size: str
    storage_class: str = ""


def desired_claim(spec: ClaimSpec) -> dict[str, Any]:
    """The PersistentVolumeClaim as a plain dict."""
    body: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": {"app.kubernetes.io/name": spec.app, "app.kubernetes.io/managed-by": MANAGED_BY},
        },
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": spec.size}}},
    }
    if spec.storage_class:
        body["spec"]["storageClassName"] = spec.storage_class
    return body


def ensure_claim(kube: Any, spec: ClaimSpec, check_mode: bool) -> dict[str, Any]:
    """Create the claim when absent (in check mode the API server validates it as a dry run and stores nothing);
    a present claim is reported unchanged. Returns :func:`sync`'s result, with the diff of a creation."""
    what = f"PersistentVolumeClaim {spec.namespace}/{spec.name}"
    claims = k8s.path("v1", "persistentvolumeclaims", spec.namespace)
    desired = desired_claim(spec)
    exists = k8s.get(kube, what, k8s.path("v1", "persistentvolumeclaims", spec.namespace, spec.name)) is not None
    plan = Plan(NONE if exists else "create", {}, desired, [] if exists else ["(new)"])

    def create(dry_run: str | None) -> None:
        try:
            k8s.request(kube, f"create {what}", "POST", claims, desired, {"dryRun": dry_run})
        except ApiError as exc:
            if k8s.status_of(exc) != 409:  # created meanwhile by a concurrent run: it is there, as wanted
                raise

    return sync(plan, lambda _plan: create(None), check_mode, rehearse=lambda _plan: create("All"), diff_header=what)
