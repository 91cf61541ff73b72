# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""5.4.2 log aggregation: the shipper DaemonSet is scheduled on every schedulable node with every pod ready, and the
log sink (Elasticsearch's Count API) holds lines of the platform's namespace younger than ``log_max_age``."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.stack_inputs import StackSettings
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.elasticsearch import LogIndex
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import passed_unless
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration

LOGS_ID = "5.4.2"


def logs_entry(cluster: Any, index: LogIndex, s: StackSettings) -> dict[str, Any]:
    name = f"daemonset {s.log_daemonset_namespace}/{s.log_daemonset}"
    age = human_duration(s.log_max_age)
    threshold = (
        f"{name} on every schedulable node with every pod ready; the sink holds lines of namespace {s.namespace} "
        f"younger than {age}"
    )
    nodes = cluster.items("nodes", k8s.path("v1", "nodes"))
    schedulable = [n for n in nodes if not (n.get("spec") or {}).get("unschedulable")]
    daemonset = cluster.get(name, k8s.path("apps/v1", "daemonsets", s.log_daemonset_namespace, s.log_daemonset))
    problems = []
    measured: dict[str, Any] = {"nodes": len(schedulable)}
    if daemonset is None:
        problems.append(f"no log shipper: {name} not found")
    else:
        status = daemonset.get("status") or {}
        desired = int(status.get("desiredNumberScheduled") or 0)
        ready = int(status.get("numberReady") or 0)
        measured.update(scheduled=desired, ready=ready, misscheduled=int(status.get("numberMisscheduled") or 0))
        if desired < len(schedulable):
            problems.append(f"shipper not on every node: scheduled on {desired} of {len(schedulable)} node(s)")
        if ready < desired:
            problems.append(f"{ready} of {desired} shipper pod(s) ready")
    lines = index.count({s.log_namespace_field: s.namespace}, f"now-{int(s.log_max_age)}s")
    measured["lines"] = lines
    if lines == 0:
        problems.append(f"the sink has no line of namespace {s.namespace} in the last {age} ({index.where})")
    return passed_unless(
        LOGS_ID,
        problems,
        lambda: (
            f"shipper ready on {measured['ready']} of {len(schedulable)} node(s); the sink holds {lines} line(s) "
            f"of {s.namespace} from the last {age}"
        ),
        measured=measured,
        threshold=threshold,
        where=index.where,
    )
