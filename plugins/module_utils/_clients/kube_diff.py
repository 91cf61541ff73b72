# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a rendered manifest would change on the cluster, found with a server-side dry run.

Each object of the manifest is applied with ``dryRun=All`` (server-side apply, forced, under a field manager
of its own): the API server runs defaulting, admission and validation and returns the object as it would
be stored, without storing it. That result is compared with the live object, both normalised the same way
(server-set metadata and status removed, Secret values reduced to key names).

Server-side apply merges: a field the live object has but the manifest dropped is kept in the dry-run result,
where helm's three-way merge would remove it. The diff therefore shows every added and changed field and may
miss a removed one.
"""

from __future__ import annotations

import copy
from typing import Any

from ansible.module_utils.common.yaml import yaml_dump

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError

FIELD_MANAGER = "smeplatform-diff"
HIDDEN = "(hidden)"
HIDDEN_CHANGED = "(hidden, changed)"
_SERVER_METADATA = ("managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink")
_SERVER_ANNOTATIONS = (
    "deployment.kubernetes.io/revision",
    "kubectl.kubernetes.io/last-applied-configuration",
    "meta.helm.sh/release-name",
    "meta.helm.sh/release-namespace",
)


def normalise(obj: dict[str, Any] | None) -> dict[str, Any]:
    """The object without what the server sets by itself; Secret values replaced by a mark."""
    if not obj:
        return {}
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    meta = obj.get("metadata") or {}
    for key in _SERVER_METADATA:
        meta.pop(key, None)
    annotations = meta.get("annotations") or {}
    for key in _SERVER_ANNOTATIONS:
        annotations.pop(key, None)
    if not annotations:
        meta.pop("annotations", None)
    if obj.get("kind") == "Secret":
        keys = sorted(set(obj.get("data") or {}) | set(obj.get("stringData") or {}))
        obj.pop("stringData", None)
        obj["data"] = dict.fromkeys(keys, HIDDEN)
    return obj


def hide_secret_values(before: dict[str, Any], after: dict[str, Any], raw_before: Any, raw_after: Any) -> None:
    """Mark Secret keys whose value changes, without showing either value."""
    if after.get("kind") != "Secret":
        return
    old = (raw_before or {}).get("data") or {}
    new = (raw_after or {}).get("data") or {}
    for key in after.get("data") or {}:
        if key in old and old.get(key) != new.get(key):
            after["data"][key] = HIDDEN_CHANGED


def _label(obj: dict[str, Any], namespace: str) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or namespace
    return f"{obj.get('kind')} {ns}/{meta.get('name')}"


def as_yaml(obj: dict[str, Any]) -> str:
    return yaml_dump(obj, sort_keys=True, default_flow_style=False) if obj else ""


class LiveDiff:
    """Dry-run applies a manifest object by object and diffs the results against the live objects."""

    def __init__(self, kube: Any):
        from kubernetes.dynamic import DynamicClient
        from kubernetes.dynamic.exceptions import NotFoundError, ResourceNotFoundError

        self._not_found = (NotFoundError, ResourceNotFoundError)
        self.kube = kube
        try:
            self.client = DynamicClient(kube.api)
        except Exception as exc:
            raise ApiError(f"Kubernetes API discovery at {kube.server} failed: {exc}") from exc

    def _resource(self, obj: dict[str, Any]) -> Any:
        return self.client.resources.get(api_version=obj["apiVersion"], kind=obj["kind"])

    def one(self, obj: dict[str, Any], namespace: str) -> dict[str, Any] | None:
        """The diff entry of one object; None when applying it would change nothing."""
        from kubernetes.dynamic.exceptions import DynamicApiError

        label = _label(obj, namespace)
        try:
            resource = self._resource(obj)
        except self._not_found as exc:
            raise ApiError(f"the cluster does not serve {obj.get('apiVersion')} {obj.get('kind')} ({label})") from exc
        ns = (obj.get("metadata") or {}).get("namespace") or namespace if resource.namespaced else None
        name = obj["metadata"]["name"]
        body = copy.deepcopy(obj)
        if ns:
            body["metadata"]["namespace"] = ns
        try:
            live = resource.get(name=name, namespace=ns).to_dict()
        except self._not_found:
            live = None
        except DynamicApiError as exc:
            raise ApiError(f"reading {label} failed: {exc.status} {exc.reason}") from exc
        try:
            applied = resource.server_side_apply(
                body=body, name=name, namespace=ns, field_manager=FIELD_MANAGER, force_conflicts=True, dry_run="All"
            ).to_dict()
        except self._not_found:
            # its namespace does not exist yet: the object would be created as rendered
            applied = body
        except DynamicApiError as exc:
            raise ApiError(
                f"server-side dry run of {label} failed: {exc.status} {exc.reason}: {exc.summary()}"
            ) from exc
        before, after = normalise(live), normalise(applied)
        hide_secret_values(before, after, live, applied)
        if before == after:
            return None
        return {
            "before_header": f"{label} (live)" if live else f"{label} (absent)",
            "after_header": f"{label} (after the upgrade)",
            "before": as_yaml(before),
            "after": as_yaml(after),
        }

    def manifest(self, manifest: str, namespace: str) -> list[dict[str, Any]]:
        from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.helm_release import parse_manifest

        out = []
        for obj in parse_manifest(manifest):
            entry = self.one(obj, namespace)
            if entry:
                out.append(entry)
        return out


def values_diff(before: dict[str, Any], after: dict[str, Any], redact: Any) -> dict[str, Any] | None:
    """The user-supplied values of the live and desired releases, secret-looking values masked."""
    if before == after:
        return None
    return {
        "before_header": "helm values (live release)",
        "after_header": "helm values (this run)",
        "before": as_yaml(redact(before)),
        "after": as_yaml(redact(after)),
    }
