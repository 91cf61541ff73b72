# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups: the database backup CronJob (desired state, comparison, diff), its checks (4.1.3, 4.1.5, 9.1.1, 9.2.3,
post.week1.4, success.10) and the configuration export of the release (9.1.3)."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import SECRET_NAME_PATTERN
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds, human_duration

RETENTION_ANNOTATION = "smeplatform.io/backup-retention-days"
MANAGED_BY = "smeplatform.deploy"
_SECRET_NAME_RE = re.compile(SECRET_NAME_PATTERN)
_CRON_FIELD_RE = re.compile(r"^\d+$")
REDACTED = "<redacted>"


# ---------------------------------------------------------------- the CronJob
@dataclass(frozen=True)
class CronJobSpec:
    name: str
    namespace: str
    schedule: str
    image: str
    command: list[str]
    retention_days: int
    time_zone: str = ""
    env: dict[str, str] = field(default_factory=dict)
    secret_env: list[dict[str, str]] = field(default_factory=list)
    volume_claim: str = ""
    node_selector: dict[str, str] = field(default_factory=dict)
    tolerations: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    history_limit: int = 7
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


# ---------------------------------------------------------------- checks
def _cron_is_daily(schedule: str) -> bool:
    fields = schedule.split()
    if schedule.strip() in ("@daily", "@midnight"):
        return True
    return (
        len(fields) == 5
        and bool(_CRON_FIELD_RE.match(fields[0]))
        and bool(_CRON_FIELD_RE.match(fields[1]))
        and fields[2:] == ["*", "*", "*"]
    )


def _normal_schedule(schedule: str) -> str:
    return " ".join(schedule.split())


@dataclass(frozen=True)
class BackupPolicy:
    schedule: str = "0 2 * * *"
    retention_days: int = 30
    max_success_age: float = 26 * 3600.0
    rpo_seconds: float = 24 * 3600.0


def cronjob_entries(cronjob: Any, jobs: list[Any], policy: BackupPolicy, where: str) -> Entries:
    """4.1.3, 9.1.1, 4.1.5, post.week1.4 and success.10 from the CronJob and its Jobs."""
    ids = ("4.1.3", "9.1.1", "4.1.5", "post.week1.4", "success.10")
    if cronjob is None:
        return [
            entry(i, "failed", measured="no CronJob", detail="the backup CronJob does not exist", where=where)
            for i in ids
        ]
    spec, status = cronjob.spec, cronjob.status
    schedule = _normal_schedule(spec.schedule)
    suspended = bool(spec.suspend)
    found = [
        passed_if(
            "4.1.3",
            _cron_is_daily(schedule) and not suspended,
            measured={"schedule": schedule, "suspended": suspended, "time_zone": spec.time_zone},
            threshold="a daily schedule, not suspended",
            detail="suspended" if suspended else f"runs '{schedule}'",
            where=where,
        ),
        passed_if(
            "9.1.1",
            schedule == _normal_schedule(policy.schedule) and not suspended,
            measured=schedule,
            threshold=policy.schedule,
            detail=f"schedule '{schedule}' time zone {spec.time_zone or 'of the controller manager (UTC)'}",
            where=where,
        ),
    ]
    annotation = (cronjob.metadata.annotations or {}).get(RETENTION_ANNOTATION)
    env = {
        e.name: e.value
        for c in cronjob.spec.job_template.spec.template.spec.containers or []
        for e in c.env or []
        if e.value is not None
    }
    try:
        retention = int(annotation) if annotation is not None else None
    except ValueError:
        retention = None
    env_retention = env.get("BACKUP_RETENTION_DAYS")
    found.append(
        passed_if(
            "4.1.5",
            retention is not None and retention >= policy.retention_days and env_retention == str(retention),
            measured={"annotation": annotation, "BACKUP_RETENTION_DAYS": env_retention},
            threshold=f">= {policy.retention_days} days, annotation {RETENTION_ANNOTATION} and the job's "
            "BACKUP_RETENTION_DAYS agree",
            detail=f"backups older than {retention} days are pruned by the job" if retention else "no retention set",
            where=where,
        )
    )
    owned = sorted(
        (
            j
            for j in jobs
            if any(o.kind == "CronJob" and o.name == cronjob.metadata.name for o in j.metadata.owner_references or [])
        ),
        key=lambda j: j.metadata.creation_timestamp,
    )
    finished = [j for j in owned if (j.status.succeeded or 0) > 0 or (j.status.failed or 0) > 0 and not j.status.active]
    last = finished[-1] if finished else None
    history = [f"{j.metadata.name}: {'succeeded' if (j.status.succeeded or 0) > 0 else 'failed'}" for j in finished]
    found.append(
        passed_if(
            "post.week1.4",
            last is not None and (last.status.succeeded or 0) > 0,
            measured=history[-7:] or None,
            threshold="the latest finished backup Job succeeded",
            detail=f"latest: {history[-1]}" if history else "no backup Job has finished yet",
            where=where,
        )
    )
    success_age = age_seconds(status.last_successful_time if status else None)
    found.append(
        passed_if(
            "success.10",
            success_age is not None and success_age <= policy.max_success_age and not suspended,
            measured={
                "last_successful": str(status.last_successful_time) if status and status.last_successful_time else None,
                "age": human_duration(success_age) if success_age is not None else None,
            },
            threshold=f"last successful backup within {human_duration(policy.max_success_age)}",
            detail="no successful run recorded by the CronJob"
            if success_age is None
            else f"last success {human_duration(success_age)} ago",
            where=where,
        )
    )
    return found


def rpo_entry(
    last_success_age: float | None, wal_age: float | None, wal_where: str, policy: BackupPolicy, where: str
) -> dict[str, Any]:
    """9.2.3: the newest recovery point (archived WAL or a successful dump) is younger than the RPO."""
    ages = {k: v for k, v in (("wal_archive", wal_age), ("dump", last_success_age)) if v is not None}
    newest = min(ages.values()) if ages else None
    return passed_if(
        "9.2.3",
        newest is not None and newest <= policy.rpo_seconds,
        measured={k: human_duration(v) for k, v in ages.items()} or None,
        threshold=f"newest recovery point younger than {human_duration(policy.rpo_seconds)}",
        detail=(
            f"newest recovery point {human_duration(newest)} old"
            if newest is not None
            else "no archived WAL and no successful dump found"
        )
        + (f" ({wal_where})" if wal_where else ""),
        where=where,
    )


# ---------------------------------------------------------------- configuration export
def decode_release(secret_data: dict[str, str]) -> dict[str, Any]:
    """A Helm 3 release from its storage Secret: base64 (Kubernetes) of base64 of gzipped JSON."""
    try:
        raw = base64.b64decode(base64.b64decode(secret_data["release"]))
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (KeyError, ValueError, OSError) as exc:
        raise ApiError(f"cannot decode the Helm release record: {exc}") from exc


def redact_values(value: Any, secret: bool = False) -> Any:
    """Values with secret-looking keys replaced, at any depth."""
    if isinstance(value, dict):
        return {k: redact_values(v, secret or bool(_SECRET_NAME_RE.search(str(k)))) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_values(v, secret) for v in value]
    if secret and value not in (None, "", {}, []):
        return REDACTED
    return value


def secret_keys_only(doc: dict[str, Any]) -> dict[str, Any]:
    if doc.get("kind") != "Secret":
        return doc
    doc = dict(doc)
    for field_name in ("data", "stringData"):
        if isinstance(doc.get(field_name), dict):
            doc[field_name] = {k: REDACTED for k in doc[field_name]}
    return doc


def export_files(
    release: dict[str, Any] | None, configmaps: list[dict[str, Any]], secrets: list[dict[str, Any]]
) -> dict[str, str]:
    """File name -> content of one configuration export (deterministic, so two exports compare equal)."""
    dump = lambda data: yaml.safe_dump(data, sort_keys=True, default_flow_style=False)  # noqa: E731
    files: dict[str, str] = {}
    if release is not None:
        chart = (release.get("chart") or {}).get("metadata") or {}
        info = release.get("info") or {}
        files["release.yaml"] = dump(
            {
                "name": release.get("name"),
                "namespace": release.get("namespace"),
                "revision": release.get("version"),
                "status": info.get("status"),
                "deployed": info.get("last_deployed"),
                "chart": f"{chart.get('name')}-{chart.get('version')}",
                "app_version": chart.get("appVersion"),
            }
        )
        files["values.yaml"] = dump(redact_values(release.get("config") or {}))
        docs = [d for d in yaml.safe_load_all(release.get("manifest") or "") if isinstance(d, dict)]
        files["manifest.yaml"] = yaml.safe_dump_all([secret_keys_only(d) for d in docs], sort_keys=True)
    files["configmaps.yaml"] = dump({c["name"]: c["data"] for c in sorted(configmaps, key=lambda c: c["name"])})
    files["secret-keys.yaml"] = dump(
        {s["name"]: {"type": s["type"], "keys": sorted(s["keys"])} for s in sorted(secrets, key=lambda s: s["name"])}
    )
    return files


def latest_export(base: str) -> tuple[str | None, dict[str, str]]:
    """The newest export folder under ``base`` and its files."""
    if not os.path.isdir(base):
        return None, {}
    folders = sorted(d for d in os.listdir(base) if os.path.isdir(os.path.join(base, d)) and not d.startswith("."))
    if not folders:
        return None, {}
    newest = os.path.join(base, folders[-1])
    files = {}
    for name in os.listdir(newest):
        with open(os.path.join(newest, name), encoding="utf-8") as handle:
            files[name] = handle.read()
    return newest, files


def write_export(base: str, stamp: str, files: dict[str, str]) -> str:
    """Write a new export folder atomically (temporary folder, then rename); owner-only permissions."""
    os.makedirs(base, mode=0o700, exist_ok=True)
    target = os.path.join(base, stamp)
    work = tempfile.mkdtemp(prefix=".export-", dir=base)
    for name, content in files.items():
        path = os.path.join(work, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
    os.chmod(work, 0o700)
    os.rename(work, target)
    return target


def export_stamp(revision: Any, now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{moment}-r{revision}" if revision is not None else moment


def export_revision(files: dict[str, str]) -> Any:
    if "release.yaml" not in files:
        return None
    return (yaml.safe_load(files["release.yaml"]) or {}).get("revision")


# ---------------------------------------------------------------- Kubernetes side
def read_release(kube: Any, release: str, namespace: str) -> dict[str, Any] | None:
    """The newest deployed revision of a Helm release (storage driver: Secrets), or None."""
    secrets = kube.call(
        f"Helm release records of {namespace}/{release}",
        kube.core.list_namespaced_secret,
        namespace,
        label_selector=f"owner=helm,name={release}",
    ).items
    records = sorted(secrets, key=lambda s: int((s.metadata.labels or {}).get("version", "0")))
    deployed = [s for s in records if (s.metadata.labels or {}).get("status") == "deployed"]
    chosen = (deployed or records or [None])[-1]
    return decode_release(chosen.data or {}) if chosen is not None else None


def read_configmaps(kube: Any, namespace: str) -> list[dict[str, Any]]:
    items = kube.call(f"ConfigMaps in {namespace}", kube.core.list_namespaced_config_map, namespace).items
    return [{"name": c.metadata.name, "data": dict(c.data or {})} for c in items]


def read_secret_keys(kube: Any, namespace: str) -> list[dict[str, Any]]:
    """Names, types and key names of the namespace's Secrets; values are dropped as soon as they are read."""
    items = kube.call(f"Secrets in {namespace}", kube.core.list_namespaced_secret, namespace).items
    return [
        {"name": s.metadata.name, "type": s.type, "keys": sorted((s.data or {}).keys())}
        for s in items
        if s.type != "helm.sh/release.v1"
    ]


def live_cronjob(kube: Any, name: str, namespace: str) -> Any:
    return kube.get_or_none(f"CronJob {namespace}/{name}", kube.batch.read_namespaced_cron_job, name, namespace)


def ensure_cronjob(kube: Any, spec: CronJobSpec, check_mode: bool) -> dict[str, Any]:
    """Create or update the CronJob; in check mode the API server validates the change (dry run) and stores nothing."""
    desired = desired_cronjob(spec)
    what = f"CronJob {spec.namespace}/{spec.name}"
    live_obj = live_cronjob(kube, spec.name, spec.namespace)
    dry_run = "All" if check_mode else None
    if live_obj is None:
        kube.call(f"create {what}", kube.batch.create_namespaced_cron_job, spec.namespace, desired, dry_run=dry_run)
        return {"changed": True, "action": "create", "before": {}, "after": desired, "paths": ["(new)"]}
    live = kube.api.sanitize_for_serialization(live_obj)
    paths = differences(desired, live)
    if not paths:
        return {"changed": False, "action": "none", "before": project(desired, live), "after": desired, "paths": []}
    kube.call(
        f"update {what}",
        kube.batch.replace_namespaced_cron_job,
        spec.name,
        spec.namespace,
        merged_for_replace(desired, live),
        dry_run=dry_run,
    )
    return {"changed": True, "action": "update", "before": project(desired, live), "after": desired, "paths": paths}


def backup_is_stale(kube: Any, name: str, namespace: str, stale_after: float) -> bool:
    """No successful run recorded by the CronJob within ``stale_after`` seconds, and none running now."""
    cronjob = live_cronjob(kube, name, namespace)
    if cronjob is None:
        return True
    status = cronjob.status
    if status is not None and status.active:
        return False
    age = age_seconds(status.last_successful_time if status else None)
    return age is None or age > stale_after


def wait_for_backup(kube: Any, name: str, job_name: str, namespace: str, timeout: float) -> None:
    """Wait until the Job succeeded and the CronJob recorded it; raise when it failed or took too long."""
    deadline = time.monotonic() + timeout
    while True:
        job = kube.call(f"read Job {namespace}/{job_name}", kube.batch.read_namespaced_job, job_name, namespace)
        if (job.status.failed or 0) > 0 and not job.status.active:
            raise ApiError(
                f"backup Job {namespace}/{job_name} failed: see kubectl describe job -n {namespace} {job_name}"
            )
        if (job.status.succeeded or 0) > 0:
            cronjob = live_cronjob(kube, name, namespace)
            done = job.status.completion_time
            recorded = cronjob.status.last_successful_time if cronjob and cronjob.status else None
            if done is None or (recorded is not None and recorded >= done):
                return
        if time.monotonic() > deadline:
            raise ApiError(
                f"backup Job {namespace}/{job_name} did not finish and get recorded by CronJob {name} "
                f"within {timeout:.0f}s"
            )
        time.sleep(1)


def run_now(kube: Any, name: str, namespace: str, check_mode: bool) -> str:
    """Start a Job from the CronJob's template now (like ``kubectl create job --from=cronjob/NAME``)."""
    cronjob = live_cronjob(kube, name, namespace)
    if cronjob is None:
        if check_mode:
            return f"{name}-manual-(would be created)"
        raise ConfigurationError(f"CronJob {namespace}/{name} does not exist: it cannot be run")
    template = kube.api.sanitize_for_serialization(cronjob.spec.job_template)
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
                    "uid": cronjob.metadata.uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template["spec"],
    }
    kube.call(
        f"create Job {namespace}/{job_name}",
        kube.batch.create_namespaced_job,
        namespace,
        body,
        dry_run="All" if check_mode else None,
    )
    return job_name


def config_backup_entry(base: str, release: dict[str, Any] | None, where: str) -> dict[str, Any]:
    """9.1.3 in verify runs: the newest export under ``base`` covers the revision running now."""
    path, files = latest_export(base)
    live_revision = release.get("version") if release else None
    exported = export_revision(files)
    threshold = "a configuration export of the deployed revision"
    if release is None:
        return entry(
            "9.1.3",
            "skipped",
            measured={"export": path},
            threshold=threshold,
            where=where,
            detail="no release deployed yet: nothing to back up",
        )
    return passed_if(
        "9.1.3",
        path is not None and exported == live_revision,
        measured={"export": path, "exported_revision": exported, "deployed_revision": live_revision},
        threshold=threshold,
        detail=f"newest export {os.path.basename(path)}" if path else f"no export under {base}",
        where=where,
    )
