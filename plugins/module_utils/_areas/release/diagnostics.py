# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a rollout failed: events, pods and their containers, workloads and the helm history, redacted.

`PodRecorder` watches the pods of a namespace while helm waits, so that pods a failed upgrade created and
helm's atomic rollback deleted are still described (with the last state they were seen in).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import threading
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor

MAX_EVENTS = 100
_ENV_VAR_JOURNAL = "SMEPLATFORM_EVIDENCE_JOURNAL"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def _container_state(state: dict[str, Any] | None) -> dict[str, Any] | None:
    for name in ("waiting", "running", "terminated"):
        detail = (state or {}).get(name)
        if detail is not None:
            out: dict[str, Any] = {"state": name}
            for key in ("reason", "message", "exitCode", "startedAt", "finishedAt"):
                if detail.get(key) is not None:
                    out[key] = detail[key]
            return out
    return None


def _conditions(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason"), "message": c.get("message")}
        for c in (obj.get("status") or {}).get("conditions") or []
    ]


def describe_pod(pod: dict[str, Any]) -> dict[str, Any]:
    """Phase, conditions and container states of one pod (JSON as the API returns it; no env, no volumes)."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    containers = [
        {
            "name": cs.get("name"),
            "image": cs.get("image"),
            "ready": bool(cs.get("ready")),
            "restart_count": cs.get("restartCount"),
            "state": _container_state(cs.get("state")),
            "last_state": _container_state(cs.get("lastState")),
        }
        for cs in status.get("containerStatuses") or []
    ]
    owners = meta.get("ownerReferences") or []
    return {
        "name": meta.get("name"),
        "owner": f"{owners[0].get('kind')}/{owners[0].get('name')}" if owners else None,
        "node": spec.get("nodeName"),
        "phase": status.get("phase"),
        "reason": status.get("reason"),
        "message": status.get("message"),
        "images": [c.get("image") for c in spec.get("containers") or []],
        "conditions": _conditions(pod),
        "containers": containers,
        "deleted": meta.get("deletionTimestamp") is not None,
    }


def list_pods(kube: Any, namespace: str, selector: str | None = None) -> list[dict[str, Any]]:
    return k8s.items(kube, f"pods of {namespace}", "v1", "pods", namespace, selector)


def not_ready(pod: dict[str, Any]) -> bool:
    if pod["phase"] == "Succeeded":
        return False
    return not any(c["type"] == "Ready" and c["status"] == "True" for c in pod["conditions"])


class PodRecorder:
    """Polls the pods of a namespace in a thread; keeps the last state each pod was seen in."""

    def __init__(self, kube: Any, namespace: str, interval: float = 2.0, selector: str | None = None):
        self.kube = kube
        self.namespace = namespace
        self.interval = interval
        self.selector = selector
        self.seen: dict[str, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pod-recorder", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for pod in list_pods(self.kube, self.namespace, self.selector):
                    described = describe_pod(pod)
                    self.seen[described["name"]] = described
            except Exception:  # noqa: S110 - a missed poll only loses one sample
                pass
            self._stop.wait(self.interval)

    def __enter__(self) -> PodRecorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def _workload(deployment: dict[str, Any]) -> dict[str, Any]:
    rollout = k8s.workload_rollout({**deployment, "kind": "Deployment"})
    return {
        "kind": "Deployment",
        "name": rollout["name"],
        "replicas": deployment["spec"].get("replicas"),
        "ready": rollout["ready"],
        "updated": rollout["updated"],
        "available": rollout["available"],
        "images": rollout["images"],
        "conditions": _conditions(deployment),
    }


def collect(
    kube: Any,
    namespace: str,
    helm: Any = None,
    release: str | None = None,
    selector: str | None = None,
    pods_seen: dict[str, dict[str, Any]] | None = None,
    max_events: int = MAX_EVENTS,
) -> dict[str, Any]:
    """A snapshot of the namespace for a failure report. Parts that cannot be read say why."""
    out: dict[str, Any] = {"namespace": namespace, "collected_at": _time(datetime.datetime.now(datetime.UTC))}
    try:
        events = k8s.request(kube, f"events of {namespace}", "GET", k8s.path("v1", "events", namespace))

        def when(e: dict[str, Any]) -> str:
            return str(
                e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp")
            )

        out["events"] = [
            {
                "time": when(e),
                "type": e.get("type"),
                "reason": e.get("reason"),
                "object": "{kind}/{name}".format(**{"kind": None, "name": None, **(e.get("involvedObject") or {})}),
                "message": e.get("message"),
                "count": e.get("count"),
            }
            for e in sorted(events.get("items") or [], key=when)[-max_events:]
        ]
    except Exception as exc:
        out["events_error"] = str(exc)
    try:
        current = {d["name"]: d for d in (describe_pod(p) for p in list_pods(kube, namespace, selector))}
        gone = {name: {**pod, "gone": True} for name, pod in (pods_seen or {}).items() if name not in current}
        out["pods"] = sorted([*current.values(), *gone.values()], key=lambda p: p["name"])
    except Exception as exc:
        out["pods_error"] = str(exc)
    try:
        deployments = k8s.items(kube, f"deployments of {namespace}", "apps/v1", "deployments", namespace, selector)
        out["workloads"] = [_workload(d) for d in deployments]
    except Exception as exc:
        out["workloads_error"] = str(exc)
    if helm is not None and release:
        try:
            out["helm_history"] = helm.history(release, namespace)[-10:]
        except Exception as exc:
            out["helm_history_error"] = str(exc)
    return out


def summary(diag: dict[str, Any]) -> str:
    """One line: which pods were not Ready and the last warning events."""
    parts = []
    pods = diag.get("pods") or []
    bad = [p for p in pods if not_ready(p)]
    if bad:
        shown = ", ".join(
            f"{p['name']} {p['phase']}"
            + "".join(f" {c['type']}={c['status']}" for c in p["conditions"] if c["type"] == "Ready")
            + (" (gone)" if p.get("gone") else "")
            for p in bad[:4]
        )
        parts.append(f"{len(bad)} of {len(pods)} pod(s) not Ready: {shown}")
    elif pods:
        parts.append(f"all {len(pods)} pod(s) Ready")
    warnings = [e for e in diag.get("events") or [] if e.get("type") == "Warning"]
    if warnings:
        # why a pod is not Ready (its probe's answer) outweighs a later warning about anything else; so does a
        # warning about a pod already gone (helm's --atomic rollback removed the new pods before this was read)
        # over one about another object (an autoscaler without metrics never stops a rollout)
        about_bad = [e for e in warnings if e.get("object") in {f"Pod/{p['name']}" for p in bad}]
        about_pods = [e for e in warnings if str(e.get("object") or "").startswith("Pod/")]
        last = (about_bad or about_pods or warnings)[-1]
        which = "last about a pod not Ready" if about_bad else "last about a pod" if about_pods else "last"
        parts.append(f"{len(warnings)} warning event(s), {which}: {last['object']} {last['reason']}: {last['message']}")
    history = diag.get("helm_history") or []
    if history:
        parts.append("helm history: " + ", ".join(f"{h['revision']} {h['status']}" for h in history[-4:]))
    return "; ".join(parts) or "nothing recorded"


def redact(diag: dict[str, Any], secrets: list[str]) -> dict[str, Any]:
    return Redactor(secrets).data(diag)


def default_dir() -> str | None:
    """The folder of the run's report (where the evidence journal lives), when a report is being written."""
    journal = os.environ.get(_ENV_VAR_JOURNAL)
    return os.path.dirname(journal) if journal else None


def write(diag: dict[str, Any], directory: str, name: str) -> str:
    """Write the diagnostics as JSON next to the report; return the path."""
    os.makedirs(directory, exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(directory, f"diagnostics-{_SAFE_NAME.sub('_', name)}-{stamp}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(diag, handle, indent=2, sort_keys=True, default=str)
    return path
