# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm releases as data: what decides an upgrade (the release's fingerprint: manifest, hooks, user values, chart),
the history's revisions (the previous good one, those rolled back from, the plan for a release stuck pending), the
images and workloads of a manifest and their rollout, and the release records helm keeps in the namespace's Secrets,
read through the Kubernetes client."""

from __future__ import annotations

import base64
import gzip
import json
import time
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    CheckFailed,
)

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
# Revisions a rollback may return to: they were live once and completed.
GOOD = ("deployed", "superseded")
PENDING_ACTIONS = ("rollback", "fail")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


def release_fingerprint(release: dict[str, Any]) -> dict[str, Any]:
    """What makes two releases the same: chart, user values, manifest and hooks."""
    chart = (release.get("chart") or {}).get("metadata") or {}
    hooks = sorted((h.get("path", ""), (h.get("manifest") or "").strip()) for h in release.get("hooks") or [])
    return {
        "chart": release.get("chart_ref") or f"{chart.get('name')}-{chart.get('version')}",
        "app_version": release.get("app_version", chart.get("appVersion")) or None,
        "config": release.get("config") or {},
        "manifest": (release.get("manifest") or "").strip(),
        "hooks": hooks,
    }


def with_chart(release: dict[str, Any] | None, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """`helm status` leaves the chart out: take its name-version and app version from the history."""
    if release is None or release.get("chart") or not history:
        return release
    entry = next((h for h in history if int(h["revision"]) == int(release.get("version") or 0)), history[-1])
    return {**release, "chart_ref": entry.get("chart"), "app_version": entry.get("app_version") or None}


def release_changes(live: dict[str, Any] | None, desired: dict[str, Any]) -> list[str]:
    """Names of what differs between the live release and the desired one; empty when nothing does."""
    if live is None:
        return ["release does not exist"]
    status = (live.get("info") or {}).get("status")
    changes = [] if status == "deployed" else [f"last revision is {status}"]
    before, after = release_fingerprint(live), release_fingerprint(desired)
    for key in ("chart", "app_version", "config", "manifest", "hooks"):
        if before[key] != after[key]:
            changes.append(key)
    return changes


def parse_manifest(text: str) -> list[dict[str, Any]]:
    import yaml

    return [doc for doc in yaml.safe_load_all(text or "") if isinstance(doc, dict) and doc.get("kind")]


def images(manifest: str) -> list[str]:
    """Container images of the workloads in a manifest, in order, without repeats."""
    found: list[str] = []
    for obj in parse_manifest(manifest):
        spec = (obj.get("spec") or {}).get("template", {}).get("spec") or (obj.get("spec") or {}).get("jobTemplate", {})
        for container in (spec or {}).get("initContainers", []) + (spec or {}).get("containers", []):
            image = container.get("image")
            if image and image not in found:
                found.append(image)
    return found


def summary(release: dict[str, Any] | None) -> dict[str, Any]:
    """The short description of a release the module returns."""
    if not release:
        return {}
    info = release.get("info") or {}
    chart = (release.get("chart") or {}).get("metadata") or {}
    return {
        "name": release.get("name"),
        "namespace": release.get("namespace"),
        "revision": release.get("version"),
        "status": info.get("status"),
        "description": info.get("description"),
        "chart": release.get("chart_ref") or (f"{chart.get('name')}-{chart.get('version')}" if chart else None),
        "app_version": release.get("app_version", chart.get("appVersion")),
        "images": images(release.get("manifest") or ""),
    }


def previous_good_revision(history: list[dict[str, Any]], before: int) -> int | None:
    """The newest revision below `before` that was live and completed (deployed or superseded)."""
    good = [int(r["revision"]) for r in history if int(r["revision"]) < before and r.get("status") in GOOD]
    return max(good) if good else None


def rolled_back_from(history: list[dict[str, Any]]) -> set[int]:
    """Revisions that were rolled back away from: the revision after them is a helm rollback ("Rollback to N").

    Such a revision was judged bad once (by a smoke gate or an operator); "roll back to the previous revision"
    must not return to it, or a second rollback would undo the first.
    """
    ordered = sorted(history, key=lambda r: int(r["revision"]))
    return {
        int(before["revision"])
        for before, after in zip(ordered, ordered[1:], strict=False)
        if str(after.get("description") or "").startswith("Rollback to ")
    }


def pending_plan(history: list[dict[str, Any]], action: str, release: str = "<release>") -> dict[str, Any] | None:
    """What to do about a release stuck in a pending state; None when it is not stuck."""
    if not history:
        return None
    last = history[-1]
    if last.get("status") not in PENDING:
        return None
    revision = int(last["revision"])
    target = previous_good_revision(history, revision)
    plan = {"status": last["status"], "revision": revision, "target": target, "action": action}
    if action == "fail":
        raise CheckFailed(
            f"release is stuck in {last['status']} at revision {revision} (an interrupted helm run). "
            f"Check that no deployment is running, then roll back with `helm rollback {release} {target}` "
            "or set the pending action to rollback"
            if target
            else f"release is stuck in {last['status']} at revision {revision} and has no deployed revision; "
            "check that no deployment is running, then remove it with `helm uninstall`"
        )
    if target is None:
        raise CheckFailed(
            f"release is stuck in {last['status']} at revision {revision} and has no earlier deployed revision "
            "to roll back to; check that no deployment is running, then remove it with `helm uninstall`"
        )
    return plan


# -- the live objects ---------------------------------------------------------------------
WORKLOAD_PLURALS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


def rollout_status(kube: Any, manifest: str, namespace: str) -> list[dict[str, Any]]:
    """Whether each workload of the manifest has rolled out: updated, ready and available replicas."""
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

    out = []
    for obj in parse_manifest(manifest):
        kind = obj["kind"]
        if kind not in WORKLOAD_KINDS:
            continue
        name = obj["metadata"]["name"]
        ns = obj["metadata"].get("namespace") or namespace
        live = k8s.get(kube, f"{kind} {ns}/{name}", k8s.path("apps/v1", WORKLOAD_PLURALS[kind], ns, name))
        if live is None:
            out.append({"kind": kind, "name": name, "complete": False, "detail": "missing"})
            continue
        rollout = k8s.workload_rollout({**live, "kind": kind})
        out.append(
            {
                "kind": kind,
                "name": name,
                "complete": rollout["complete"],
                "replicas": rollout["replicas"],
                "updated": rollout["updated"],
                "ready": rollout["ready"],
                "available": rollout["available"],
                "images": rollout["images"],
            }
        )
    return out


def wait_rollout(kube: Any, manifest: str, namespace: str, timeout: float) -> list[dict[str, Any]]:
    """rollout_status until every workload is complete or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        status = rollout_status(kube, manifest, namespace)
        if all(w["complete"] for w in status) or time.monotonic() >= deadline:
            return status
        time.sleep(1.0)


def release_records(kube: Any, namespace: str, release: str) -> list[dict[str, Any]]:
    """Helm's own storage Secrets of a release (API JSON), oldest revision first: the one place checks read a
    release without the helm binary."""
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

    found = k8s.items(
        kube, f"Helm release records of {namespace}/{release}", "v1", "secrets", namespace, f"owner=helm,name={release}"
    )
    return sorted(found, key=lambda s: int(_record_labels(s).get("version", "0")))


def _record_labels(record: dict[str, Any]) -> dict[str, str]:
    return (record.get("metadata") or {}).get("labels") or {}


def decode_release(secret_data: dict[str, str]) -> dict[str, Any]:
    """A Helm 3 release from its storage Secret: base64 (Kubernetes) of base64 of gzipped JSON."""
    try:
        raw = base64.b64decode(base64.b64decode(secret_data["release"]))
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (KeyError, ValueError, OSError) as exc:
        raise ApiError(f"cannot decode the Helm release record: {exc}") from exc


def deployed_release(kube: Any, namespace: str, release: str) -> dict[str, Any] | None:
    """The newest deployed revision of a release (the newest record when none is deployed), decoded; None when the
    release has no record."""
    records = release_records(kube, namespace, release)
    deployed = [r for r in records if _record_labels(r).get("status") == "deployed"]
    chosen = (deployed or records or [None])[-1]
    return decode_release(chosen.get("data") or {}) if chosen is not None else None


def release_installed(kube: Any, namespace: str, release: str) -> bool:
    """A revision of the Helm release is deployed in the namespace (read from helm's own release Secrets)."""
    return any(_record_labels(r).get("status") == "deployed" for r in release_records(kube, namespace, release))
