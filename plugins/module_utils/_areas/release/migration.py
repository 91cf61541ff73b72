# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Database migrations as a Kubernetes Job: run it with the release's image, wait, keep the evidence.

The Job's name is derived from the image, the command and a run key, so the same migration for the same
image runs once: a later run finds the completed Job and reports it unchanged. A failed Job is replaced
when asked to run again. Evidence kept: the Job's conditions, its pods' phases and container states, and
the pods' logs where the cluster serves them (simulated nodes serve none; that is recorded, not hidden).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.diagnostics import (
    describe_pod,
    list_pods,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    CheckFailed,
    ConfigurationError,
)

MANAGED_BY = "smeplatform.deploy"
LOG_BYTES = 64 * 1024
_DNS_LABEL = re.compile(r"[^a-z0-9-]+")


@dataclass
class MigrationSpec:
    # The options of migration_job (their defaults live in its option table), then what is not an option.
    release: str
    namespace: str
    action: str
    image: str
    command: list[str]
    run_key: str
    env: dict[str, str]
    env_from: list[dict[str, Any]]
    service_account: str | None
    image_pull_secrets: list[str]
    node_selector: dict[str, str]
    tolerations: list[dict[str, Any]]
    run_as_user: int
    resources: dict[str, Any]
    backoff_limit: int = 0
    labels: dict[str, str] = field(default_factory=dict)

    def validate(self) -> None:
        if not self.image or ":" not in self.image.rsplit("/", 1)[-1] and "@" not in self.image:
            raise ConfigurationError(f"migration image {self.image!r} must name a tag or digest (repository:tag)")
        if not self.command or not all(isinstance(c, str) and c for c in self.command):
            raise ConfigurationError("the migration command must be a non-empty list of strings")
        if not _DNS_LABEL.sub("", self.action.lower()) or _DNS_LABEL.search(self.action):
            raise ConfigurationError(f"action {self.action!r} must be lower-case letters, digits and dashes")

    @property
    def job_name(self) -> str:
        digest = hashlib.sha256(json.dumps([self.image, self.command, self.run_key]).encode()).hexdigest()[:8]
        base = _DNS_LABEL.sub("-", f"{self.release}-migration-{self.action}".lower()).strip("-")
        return f"{base[: 63 - 9]}-{digest}"

    def job(self) -> dict[str, Any]:
        labels = {
            "app.kubernetes.io/managed-by": MANAGED_BY,
            "app.kubernetes.io/instance": self.release,
            "app.kubernetes.io/component": "migration",
            "smeplatform.com/migration-action": self.action,
            **self.labels,
        }
        container: dict[str, Any] = {
            "name": "migration",
            "image": self.image,
            "command": self.command,
            "env": [{"name": k, "value": str(v)} for k, v in sorted(self.env.items())],
            "envFrom": self.env_from,
            # Pod Security "restricted": the namespace enforces it
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "runAsUser": self.run_as_user,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - the container's own emptyDir
        }
        if self.resources:
            container["resources"] = self.resources
        pod_spec: dict[str, Any] = {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": self.run_as_user,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [container],
            "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
        }
        if self.service_account:
            pod_spec["serviceAccountName"] = self.service_account
        if self.image_pull_secrets:
            pod_spec["imagePullSecrets"] = [{"name": n} for n in self.image_pull_secrets]
        if self.node_selector:
            pod_spec["nodeSelector"] = self.node_selector
        if self.tolerations:
            pod_spec["tolerations"] = self.tolerations
        return {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": self.job_name,
                "namespace": self.namespace,
                "labels": labels,
                "annotations": {"smeplatform.com/migration-command": " ".join(self.command)},
            },
            "spec": {
                "backoffLimit": self.backoff_limit,
                "template": {"metadata": {"labels": labels}, "spec": pod_spec},
            },
        }


def _conditions(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"type": c.get("type"), "status": c.get("status"), "reason": c.get("reason"), "message": c.get("message")}
        for c in (job.get("status") or {}).get("conditions") or []
    ]


def outcome(job: dict[str, Any]) -> str:
    """succeeded, failed or running, from the Job's conditions."""
    for cond in (job.get("status") or {}).get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") == "Complete":
            return "succeeded"
        if cond.get("status") == "True" and cond.get("type") == "Failed":
            return "failed"
    return "running"


WORKLOAD_PLURALS = {"Deployment": "deployments", "StatefulSet": "statefulsets"}


def image_of(kube: Any, namespace: str, kind: str, name: str, container: str | None) -> str:
    """The image a live workload's container runs (for a revert with the code that knows the migration)."""
    plural = WORKLOAD_PLURALS.get(kind)
    if plural is None:
        raise ConfigurationError(f"image_from kind must be Deployment or StatefulSet, not {kind}")
    live = k8s.get(kube, f"{kind} {namespace}/{name}", k8s.path("apps/v1", plural, namespace, name))
    if live is None:
        raise CheckFailed(f"{kind} {namespace}/{name} does not exist: no image to run the migration with")
    containers = live["spec"]["template"]["spec"]["containers"]
    chosen = next((c for c in containers if c["name"] == container), None) if container else containers[0]
    if chosen is None:
        raise ConfigurationError(f"{kind} {namespace}/{name} has no container {container}")
    return str(chosen["image"])


class MigrationRunner:
    def __init__(self, kube: Any, spec: MigrationSpec):
        self.kube = kube
        self.spec = spec
        self.where = f"Job {spec.namespace}/{spec.job_name}"
        self.job_path = k8s.path("batch/v1", "jobs", spec.namespace, spec.job_name)

    def _read(self) -> dict[str, Any] | None:
        return k8s.get(self.kube, self.where, self.job_path)

    def _pods(self) -> list[dict[str, Any]]:
        return list_pods(self.kube, self.spec.namespace, f"job-name={self.spec.job_name}")

    def _logs(self, pods: list[dict[str, Any]]) -> tuple[dict[str, str], str]:
        from kubernetes.client.rest import ApiException

        logs: dict[str, str] = {}
        notes = []
        for pod in pods:
            name = pod["metadata"]["name"]
            log_path = k8s.path("v1", "pods", self.spec.namespace, name) + "/log"
            try:
                request = self.kube.api.param_serialize(
                    "GET",
                    log_path,
                    query_params=[("limitBytes", str(LOG_BYTES))],
                    header_params={"Accept": "*/*"},
                    auth_settings=["BearerToken"],
                )
                response = self.kube.api.call_api(*request, _request_timeout=5)
                response.read()
                if not 200 <= response.status <= 299:
                    raise ApiException.from_response(http_resp=response, body=None, data=None)
                logs[name] = response.data.decode("utf-8", "replace")
            except Exception as exc:  # noqa: BLE001 - any failure only means there are no logs to keep
                reason = getattr(exc, "reason", None) or type(exc).__name__
                notes.append(f"{name}: {getattr(exc, 'status', '')} {reason}".strip())
        note = "" if not notes else "logs not served by the node (" + "; ".join(notes) + ")"
        return logs, note

    def _delete(self) -> None:
        k8s.request(
            self.kube,
            f"delete {self.where}",
            "DELETE",
            self.job_path,
            {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground"},
        )
        deadline = time.monotonic() + 60
        while self._read() is not None:
            if time.monotonic() > deadline:
                raise ApiError(f"{self.where} was not deleted within 60s")
            time.sleep(0.5)

    def report(self, job: dict[str, Any], logs: bool = True) -> dict[str, Any]:
        pods = self._pods()
        kept, note = self._logs(pods) if logs else ({}, "logs are kept by the run that ran the Job")
        status = job.get("status") or {}
        return {
            "job": self.spec.job_name,
            "namespace": self.spec.namespace,
            "image": self.spec.image,
            "command": self.spec.command,
            "outcome": outcome(job),
            "conditions": _conditions(job),
            "started": status.get("startTime"),
            "completed": status.get("completionTime"),
            "pods": [describe_pod(p) for p in pods],
            "logs": kept,
            "logs_note": note,
        }

    def run(self, timeout: float, check_mode: bool = False, rerun_failed: bool = True) -> dict[str, Any]:
        """Run the Job (or find it done) and wait for it; raise MigrationFailed when it fails or times out."""
        self.spec.validate()
        job = self._read()
        changed = False
        if job is not None and outcome(job) == "failed" and rerun_failed:
            if check_mode:
                return {
                    "changed": True,
                    "job": self.spec.job_name,
                    "outcome": "would run again",
                    "image": self.spec.image,
                }
            self._delete()
            job = None
        if job is None:
            if check_mode:
                return {"changed": True, "job": self.spec.job_name, "outcome": "would run", "image": self.spec.image}
            k8s.request(
                self.kube,
                f"create {self.where}",
                "POST",
                k8s.path("batch/v1", "jobs", self.spec.namespace),
                self.spec.job(),
            )
            changed = True
        started = time.monotonic()
        while True:
            job = self._read()
            if job is None:
                raise ApiError(f"{self.where} disappeared while it ran")
            state = outcome(job)
            if state != "running" or check_mode:
                break
            if time.monotonic() - started > timeout:
                result = self.report(job)
                result.update(changed=changed, outcome="timed out")
                raise MigrationFailed(f"{self.where} did not finish within {timeout:.0f}s", result)
            time.sleep(0.5)
        result = self.report(job, logs=changed or state == "failed")
        result["changed"] = changed
        result["duration"] = round(time.monotonic() - started, 3)
        if state == "failed":
            raise MigrationFailed(f"{self.where} failed: {_failure(result)}", result)
        return result


def _failure(result: dict[str, Any]) -> str:
    for cond in result.get("conditions") or []:
        if cond["type"] == "Failed" and cond["status"] == "True":
            return f"{cond.get('reason')}: {cond.get('message')}"
    return "no reason given"


class MigrationFailed(CheckFailed):
    def __init__(self, message: str, result: dict[str, Any]):
        super().__init__(message)
        self.result = result
