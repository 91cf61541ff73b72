# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup CronJob: its desired shape, the comparison with the live one, and running it now."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds, parse_time

RETENTION_ANNOTATION = "smeplatform.io/backup-retention-days"
MANAGED_BY = "smeplatform.deploy"


_CRON_FIELD_RE = re.compile(r"^\d+$")
REDACTED = "<redacted>"


# ---------------------------------------------------------------- the CronJob
@dataclass(frozen=True)
class CronJobSpec:
    # The options of backup_cronjob (their defaults live in its option table), then what is not an option.
    name: str
    namespace: str
    schedule: str
    image: str
    command: list[str]
    retention_days: int
    time_zone: str
    env: dict[str, str]
    secret_env: list[dict[str, str]]
    volume_claim: str
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    labels: dict[str, str]
    history_limit: int
    active_deadline_seconds: int = 3600

    def validate(self) -> None:
        if len(self.schedule.split()) != 5:
            raise ConfigurationError(f"backup schedule {self.schedule!r} must have five cron fields, e.g. '0 2 * * *'")
        if not self.image:
            raise ConfigurationError("the backup image is empty: set backup_cronjob_image")
        if self.retention_days < 1:
            raise ConfigurationError("backup retention must be at least one day")
        for item in self.secret_env:
            if not {"name", "secret_name", "key"} <= set(item):
                raise ConfigurationError(f"secret_env entry {item!r} needs name, secret_name and key")


def desired_cronjob(spec: CronJobSpec) -> dict[str, Any]:
    """The CronJob as a plain dict, with only the fields this collection manages."""
    labels = {"app.kubernetes.io/name": spec.name, "app.kubernetes.io/managed-by": MANAGED_BY, **spec.labels}
    env = [{"name": k, "value": str(v)} for k, v in sorted(spec.env.items())]
    env.append({"name": "BACKUP_RETENTION_DAYS", "value": str(spec.retention_days)})
    env += [
        {"name": s["name"], "valueFrom": {"secretKeyRef": {"name": s["secret_name"], "key": s["key"]}}}
        for s in spec.secret_env
    ]
    container: dict[str, Any] = {
        "name": "backup",
        "image": spec.image,
        "command": list(spec.command),
        "env": env,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "fsGroup": 65534,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
    }
    volumes = [{"name": "tmp", "emptyDir": {}}]
    mounts = [{"name": "tmp", "mountPath": "/tmp"}]  # noqa: S108 - the container's own scratch directory
    if spec.volume_claim:
        volumes.append({"name": "backups", "persistentVolumeClaim": {"claimName": spec.volume_claim}})
        mounts.append({"name": "backups", "mountPath": "/backups"})
    pod["volumes"] = volumes
    container["volumeMounts"] = mounts
    if spec.node_selector:
        pod["nodeSelector"] = dict(spec.node_selector)
    if spec.tolerations:
        pod["tolerations"] = [dict(t) for t in spec.tolerations]
    body: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": spec.name,
            "namespace": spec.namespace,
            "labels": labels,
            "annotations": {RETENTION_ANNOTATION: str(spec.retention_days)},
        },
        "spec": {
            "schedule": spec.schedule,
            "concurrencyPolicy": "Forbid",
            "suspend": False,
            "startingDeadlineSeconds": 3600,
            "successfulJobsHistoryLimit": spec.history_limit,
            "failedJobsHistoryLimit": spec.history_limit,
            "jobTemplate": {
                "metadata": {"labels": labels},
                "spec": {
                    "backoffLimit": 1,
                    "activeDeadlineSeconds": spec.active_deadline_seconds,
                    "template": {"metadata": {"labels": labels}, "spec": pod},
                },
            },
        },
    }
    if spec.time_zone:
        body["spec"]["timeZone"] = spec.time_zone
    return body


def differences(desired: Any, live: Any, path: str = "") -> list[str]:
    """Paths where ``live`` does not hold what ``desired`` says (server defaults in ``live`` are ignored)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return [path or "/"]
        out = []
        for key, value in desired.items():
            out += differences(value, live.get(key), f"{path}.{key}" if path else key)
        return out
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return [path]
        out = []
        for index, (want, have) in enumerate(zip(desired, live, strict=True)):
            out += differences(want, have, f"{path}[{index}]")
        return out
    return [] if desired == live else [path]


def project(desired: Any, live: Any) -> Any:
    """The part of ``live`` that ``desired`` manages: the 'before' side of a diff."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return {k: project(v, live.get(k)) for k, v in desired.items() if k in live}
    if isinstance(desired, list) and isinstance(live, list):
        return [project(d, v) for d, v in zip(desired, live, strict=False)] + live[len(desired) :]
    return live


def merged_for_replace(desired: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """Desired state carrying the live object's version and the labels/annotations others put on it."""
    body = json.loads(json.dumps(desired))
    meta, live_meta = body["metadata"], live.get("metadata") or {}
    meta["resourceVersion"] = live_meta.get("resourceVersion")
    meta["labels"] = {**(live_meta.get("labels") or {}), **meta["labels"]}
    meta["annotations"] = {**(live_meta.get("annotations") or {}), **meta["annotations"]}
    return body


def cronjob_path(namespace: str, name: str | None = None) -> str:
    return k8s.path("batch/v1", "cronjobs", namespace, name)


def live_cronjob(kube: Any, name: str, namespace: str) -> dict[str, Any] | None:
    """The CronJob as API JSON, None when it does not exist."""
    return k8s.get(kube, f"CronJob {namespace}/{name}", cronjob_path(namespace, name))


def ensure_cronjob(kube: Any, spec: CronJobSpec, check_mode: bool) -> dict[str, Any]:
    """Create or update the CronJob; in check mode the API server validates the change (dry run) and stores nothing."""
    desired = desired_cronjob(spec)
    what = f"CronJob {spec.namespace}/{spec.name}"
    live = live_cronjob(kube, spec.name, spec.namespace)
    if live is None:
        plan = Plan("create", {}, desired, ["(new)"])
    else:
        paths = differences(desired, live)
        plan = Plan("update" if paths else NONE, project(desired, live), desired, paths)

    def write(dry_run: str | None) -> Any:
        query = {"dryRun": dry_run}
        if plan.action == "create":
            return k8s.request(kube, f"create {what}", "POST", cronjob_path(spec.namespace), desired, query)
        body = merged_for_replace(desired, live or {})
        return k8s.request(kube, f"update {what}", "PUT", cronjob_path(spec.namespace, spec.name), body, query)

    done = sync(plan, lambda _plan: write(None), check_mode, rehearse=lambda _plan: write("All"))
    return {
        "changed": done["changed"],
        "action": plan.action,
        "before": plan.before,
        "after": desired,
        "paths": plan.paths,
    }


def created_at(obj: dict[str, Any]) -> datetime:
    """An object's creation time (API JSON), the earliest possible time when it has none: a sort key."""
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp")) or datetime.min.replace(tzinfo=UTC)


def backup_is_stale(kube: Any, name: str, namespace: str, stale_after: float) -> bool:
    """No successful run recorded by the CronJob within ``stale_after`` seconds, and none running now."""
    live = live_cronjob(kube, name, namespace)
    if live is None:
        return True
    status = live.get("status") or {}
    if status.get("active"):
        return False
    age = age_seconds(parse_time(status.get("lastSuccessfulTime")))
    return age is None or age > stale_after


def wait_for_backup(kube: Any, name: str, job_name: str, namespace: str, timeout: float) -> None:
    """Wait until the Job succeeded and the CronJob recorded it; raise when it failed or took too long."""
    deadline = time.monotonic() + timeout
    while True:
        job = k8s.request(
            kube, f"read Job {namespace}/{job_name}", "GET", k8s.path("batch/v1", "jobs", namespace, job_name)
        )
        status = (job or {}).get("status") or {}
        if (status.get("failed") or 0) > 0 and not status.get("active"):
            raise ApiError(
                f"backup Job {namespace}/{job_name} failed: see kubectl describe job -n {namespace} {job_name}"
            )
        if (status.get("succeeded") or 0) > 0:
            live = live_cronjob(kube, name, namespace)
            done = parse_time(status.get("completionTime"))
            recorded = parse_time(((live or {}).get("status") or {}).get("lastSuccessfulTime"))
            if done is None or (recorded is not None and recorded >= done):
                return
        if time.monotonic() > deadline:
            raise ApiError(
                f"backup Job {namespace}/{job_name} did not finish and get recorded by CronJob {name} "
                f"within {timeout:.0f}s"
            )
        time.sleep(1)


def job_report(kube: Any, job_name: str, namespace: str) -> str | None:
    """The termination message of the backup container of Job ``job_name``'s newest succeeded pod, or None."""
    pods = k8s.items(kube, f"pods of Job {namespace}/{job_name}", "v1", "pods", namespace, f"job-name={job_name}")
    done = sorted(
        (p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"),
        key=lambda p: (
            parse_time((p.get("metadata") or {}).get("creationTimestamp")) or datetime.min.replace(tzinfo=UTC)
        ),
    )
    for pod in reversed(done):
        for status in (pod.get("status") or {}).get("containerStatuses") or []:
            terminated = (status.get("state") or {}).get("terminated") or {}
            if terminated.get("message"):
                return terminated["message"]
    return None


def run_now(kube: Any, name: str, namespace: str, check_mode: bool) -> str:
    """Start a Job from the CronJob's template now (like ``kubectl create job --from=cronjob/NAME``)."""
    live = live_cronjob(kube, name, namespace)
    if live is None:
        if check_mode:
            return f"{name}-manual-(would be created)"
        raise ConfigurationError(f"CronJob {namespace}/{name} does not exist: it cannot be run")
    template = (live.get("spec") or {}).get("jobTemplate") or {}
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    job_name = f"{name[:36]}-manual-{stamp}"
    meta = template.get("metadata") or {}
    body = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "namespace": namespace,
            "labels": meta.get("labels") or {},
            "annotations": {**(meta.get("annotations") or {}), "cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": (live.get("metadata") or {}).get("uid"),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template.get("spec") or {},
    }
    k8s.request(
        kube,
        f"create Job {namespace}/{job_name}",
        "POST",
        k8s.path("batch/v1", "jobs", namespace),
        body,
        {"dryRun": "All" if check_mode else None},
    )
    return job_name
