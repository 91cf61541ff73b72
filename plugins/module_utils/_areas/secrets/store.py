# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Secret in the cluster and the fingerprint export on disk: read, write once, diff by fingerprints."""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import (
    EXPORT_SCHEMA,
    FINGERPRINT_PREFIX,
    MANAGER_LABEL,
    FingerprintSet,
    Mask,
    fingerprint,
    fingerprint_annotation,
    short,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.plan import (
    Compare,
    Current,
    Plan,
    Request,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
)

# --- cluster -----------------------------------------------------------------------------------------------------


def _decode_data(raw: dict[str, str] | None, mask: Mask, what: str) -> dict[str, str]:
    data = {}
    for key, encoded in (raw or {}).items():
        try:
            value = base64.b64decode(encoded).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError(f"{what}: key {key} does not hold UTF-8 text") from exc
        mask(value)
        data[key] = value
    return data


def read_secret(kube: Any, namespace: str, name: str, mask: Mask) -> Current:
    what = f"Secret {namespace}/{name}"
    obj = k8s.get(kube, f"reading {what}", k8s.path("v1", "secrets", namespace, name))
    if obj is None:
        return Current(False, {}, {}, {}, None)
    meta = obj.get("metadata") or {}
    return Current(
        True,
        _decode_data(obj.get("data"), mask, what),
        dict(meta.get("annotations") or {}),
        dict(meta.get("labels") or {}),
        meta.get("resourceVersion"),
        obj.get("type") or "Opaque",
    )


def write_secret(kube: Any, request: Request, current: Current, result: Plan) -> str:
    """One create, or one replace guarded by the resourceVersion that was read. Returns the new resourceVersion."""
    data = {k: base64.b64encode(v.encode("utf-8")).decode("ascii") for k, v in result.data.items() if v is not None}
    labels = dict(current.labels)
    labels[MANAGER_LABEL[0]] = MANAGER_LABEL[1]
    metadata: dict[str, Any] = {
        "name": request.name,
        "namespace": request.namespace,
        "labels": labels,
        "annotations": result.annotations,
    }
    if current.resource_version:
        metadata["resourceVersion"] = current.resource_version
    body = {"apiVersion": "v1", "kind": "Secret", "type": current.type, "metadata": metadata, "data": data}
    what = f"Secret {request.namespace}/{request.name}"
    try:
        if current.exists:
            path = k8s.path("v1", "secrets", request.namespace, request.name)
            obj = k8s.request(kube, f"replacing {what}", "PUT", path, body=body)
        else:
            path = k8s.path("v1", "secrets", request.namespace)
            obj = k8s.request(kube, f"creating {what}", "POST", path, body=body)
    except ApiError as exc:
        if k8s.status_of(exc) == 409:
            raise ApiError(
                f"{what} was changed or created by someone else since it was read; nothing was written, run again"
            ) from exc
        raise
    return ((obj or {}).get("metadata") or {}).get("resourceVersion")


def other_fingerprints(
    compare: Compare, default_kube: Any, kube_factory: Callable[..., Any], mask: Mask
) -> FingerprintSet:
    """The fingerprints of another environment: from its exported file, or computed from its Secret's data."""
    if compare.fingerprint_file:
        return FingerprintSet.from_file(compare.label, compare.fingerprint_file)
    kube = default_kube
    if compare.kubeconfig or compare.context:
        kube = kube_factory(compare.kubeconfig, compare.context)
    name = compare.name or "sme-platform-secrets"
    other = read_secret(kube, compare.namespace or "", name, mask)
    if not other.exists:
        raise ConfigurationError(
            f"compare_with {compare.label!r}: Secret {compare.namespace}/{name} does not exist at {kube.server}; "
            "fix compare_with or use an exported fingerprint file"
        )
    return FingerprintSet.from_values(compare.label, other.data, other.salt)


def export_document(request: Request, result: Plan, fingerprints: dict[str, str]) -> dict[str, Any]:
    return {
        "schema": EXPORT_SCHEMA,
        "environment": request.environment,
        "secret": f"{request.namespace}/{request.name}",
        "salt": base64.b64encode(result.salt).decode("ascii"),
        "fingerprints": dict(sorted(fingerprints.items())),
    }


def _export_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def write_export(path: str, document: dict[str, Any]) -> None:
    """Write the fingerprint file (atomically, owner-only)."""
    text = _export_text(document)
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def diff(request: Request, current: Current, result: Plan, changed: bool) -> dict[str, Any]:
    """Key names and short fingerprints before and after; '(new value)' where check mode would generate one."""
    title = f"Secret {request.namespace}/{request.name}"
    before = {k: short(fingerprint(result.salt, current.data[k])) for k in request.managed if k in current.data}
    after = {}
    for k in request.managed:
        if result.actions.get(k) == "missing" and k not in current.data:
            continue
        fp = result.annotations.get(fingerprint_annotation(k), "")
        after[k] = short(fp) if fp.startswith(FINGERPRINT_PREFIX) else "(new value)"
    return {
        "before": {"keys": before} if current.exists else {},
        "after": {"keys": after} if changed else ({"keys": before} if current.exists else {}),
        "before_header": f"{title} (fingerprints)",
        "after_header": f"{title} (fingerprints)",
    }


def would_export(path: str, document: dict[str, Any]) -> bool:
    """The fingerprint file is missing or says something else."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read() != _export_text(document)
    except OSError:
        return True
