# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""post.week1.5 over the period: every HorizontalPodAutoscaler of the namespace able to scale and reading its metrics,
its rescales counted from the namespace's events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import (
    age_seconds,
    human_duration,
    parse_time,
)

if TYPE_CHECKING:
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.period import Clients


def autoscaling(p: Mapping[str, Any], clients: Clients, now: float) -> Entries:
    """post.week1.5: every HPA of the namespace able to scale and reading its metrics; its rescales counted."""
    namespace = p["namespace"]
    if clients.kube is None or not namespace:
        raise ConfigurationError("post_deploy_check: the autoscaling check needs namespace")
    kube = clients.kube()
    where = f"{kube.server} namespace {namespace}"
    hpas = k8s.items(
        kube, f"HorizontalPodAutoscalers of {namespace}", "autoscaling/v2", "horizontalpodautoscalers", namespace
    )
    if not hpas:
        return [entry("post.week1.5", "failed", measured=0, threshold=">= 1 HorizontalPodAutoscaler",
                      detail=f"no HorizontalPodAutoscaler in {namespace}: nothing scales", where=where)]  # fmt: skip
    events = k8s.items(kube, f"Events of {namespace}", "v1", "events", namespace)
    since = now - p["period"]
    rescales: dict[str, int] = {}
    for event in events:
        involved = event.get("involvedObject") or {}
        if involved.get("kind") != "HorizontalPodAutoscaler" or event.get("reason") != "SuccessfulRescale":
            continue
        stamp = (
            event.get("lastTimestamp")
            or event.get("eventTime")
            or (event.get("metadata") or {}).get("creationTimestamp")
        )
        age = age_seconds(parse_time(stamp)) if stamp else None
        if age is not None and now - age >= since:
            rescales[involved.get("name", "?")] = rescales.get(involved.get("name", "?"), 0) + int(
                event.get("count") or 1
            )
    found = []
    for hpa in hpas:
        name = hpa["metadata"]["name"]
        spec, status = hpa.get("spec") or {}, hpa.get("status") or {}
        conditions = {c.get("type"): c for c in status.get("conditions") or []}
        able = (conditions.get("AbleToScale") or {}).get("status") == "True"
        active = conditions.get("ScalingActive") or {}
        measured = {
            "current": status.get("currentReplicas"),
            "desired": status.get("desiredReplicas"),
            "min": spec.get("minReplicas", 1),
            "max": spec.get("maxReplicas"),
            "AbleToScale": (conditions.get("AbleToScale") or {}).get("status"),
            "ScalingActive": active.get("status"),
            "rescales_in_period": rescales.get(name, 0),
        }
        threshold = "AbleToScale and ScalingActive True (its metrics read), replicas within min..max"
        if active.get("status") != "True":
            why = f"HPA {name}: ScalingActive {active.get('status')} ({active.get('reason')}: {active.get('message')})"
            if active.get("reason", "").startswith("FailedGet") and p["autoscaling_without_metrics"] == "skip":
                found.append(entry("post.week1.5", "skipped", measured=measured, threshold=threshold,
                                   detail=f"{why}; the cluster serves no metrics to scale on "
                                   "(autoscaling_without_metrics=skip)", where=where))  # fmt: skip
            else:
                found.append(
                    entry("post.week1.5", "failed", measured=measured, threshold=threshold, detail=why, where=where)
                )
            continue
        current = status.get("currentReplicas") or 0
        within = measured["min"] <= current <= (measured["max"] or current)
        found.append(
            passed_if(
                "post.week1.5",
                able and within,
                measured=measured,
                threshold=threshold,
                detail=f"HPA {name}: {current} replicas ({measured['min']}..{measured['max']}), "
                f"{measured['rescales_in_period']} rescale(s) in the last {human_duration(p['period'])}",
                where=where,
            )  # fmt: skip
        )
    return found
