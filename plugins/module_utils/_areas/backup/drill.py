# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The restore drill (checklist 9.1.4, 9.2.2, 10.1.3): restore the newest dump into a scratch database in a pod made
from the backup CronJob's own template, count every table's rows in the restored and in the source database, time
the restore against the RTO, and drop the scratch database, also when anything fails on the way."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import checks, cronjob
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration, parse_time

ITEMS = ("9.1.4", "9.2.2", "10.1.3")
PREFIX = "DRILL"

# Runs in the backup image (pg_restore, psql, createdb, dropdb and a POSIX sh): the connection is the backup Job's
# (PG* variables), the dump is DRILL_FILE on the backup volume, the scratch database DRILL_DATABASE. Every line
# the module reads starts with DRILL; the module times the restore from the kubelet's timestamps of two of them.
SCRIPT = r"""
set -u
f="$DRILL_FILE"; db="$DRILL_DATABASE"; created=0
say() { echo "DRILL $*"; }
cleanup() {
  rc=$?
  if [ "$created" = 1 ]; then
    if dropdb --if-exists "$db"; then say dropped; else say "error: dropping $db failed"; rc=5; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
if [ ! -s "$f" ]; then say "error: no non-empty dump at $f"; exit 3; fi
say "file $(stat -c '%s %Y' "$f")"
createdb "$db" || { say "error: createdb $db failed"; exit 4; }
created=1
say restore-start
case "$f" in
  *.sql) psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$f" >/dev/null; rc=$? ;;
  *) pg_restore --no-owner --no-privileges -d "$db" "$f"; rc=$? ;;
esac
say "restore-end $rc"
q="SELECT format('SELECT json_build_object(''table'', %L, ''rows'', count(*)) FROM %I.%I;',
  n.nspname || '.' || c.relname, n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1"
count() {
  psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$q" | psql -X -At -v ON_ERROR_STOP=1 -d "$1" \
    | while read -r line; do say "count $2 $line"; done
}
count "$db" restored
count "${PGDATABASE:-postgres}" source
say counted
exit "$rc"
"""


@dataclass
class DrillLog:
    """What the drill pod printed: the dump's size and time, the restore's exit code and seconds, the counts."""

    size: int | None = None
    mtime: float | None = None
    restore_rc: int | None = None
    seconds: float | None = None
    counts: dict[str, dict[str, int]] = field(default_factory=lambda: {"source": {}, "restored": {}})
    counted: bool = False
    dropped: bool = False
    errors: list[str] = field(default_factory=list)


def parse_log(text: str) -> DrillLog:
    """The drill's lines from the pod's log, each prefixed by the kubelet's RFC 3339 timestamp."""
    out = DrillLog()
    started = None
    for raw in text.splitlines():
        stamp, _sep, line = raw.partition(" ")
        if not line.startswith(PREFIX + " "):
            continue
        moment = parse_time(stamp)
        words = line[len(PREFIX) + 1 :]
        kind, _sep, rest = words.partition(" ")
        if kind == "file":
            size, _sep, mtime = rest.partition(" ")
            out.size, out.mtime = int(size), float(mtime)
        elif kind == "restore-start":
            started = moment
        elif kind == "restore-end":
            out.restore_rc = int(rest)
            if started is not None and moment is not None:
                out.seconds = round((moment - started).total_seconds(), 3)
        elif kind == "count":
            side, _sep, doc = rest.partition(" ")
            try:
                one = json.loads(doc)
                out.counts.setdefault(side, {})[str(one["table"])] = int(one["rows"])
            except (ValueError, KeyError, TypeError):
                out.errors.append(f"unreadable count line: {doc[:200]}")
        elif kind == "counted":
            out.counted = True
        elif kind == "dropped":
            out.dropped = True
        elif kind == "error:":
            out.errors.append(rest[:300])
    return out


def drill_pod(template: dict[str, Any], name: str, labels: dict[str, str], env: list[dict[str, Any]], deadline: int,
              command: list[str], keep_volumes: bool = True) -> dict[str, Any]:  # fmt: skip
    """A pod from the backup Job's pod template: same image, connection, volume (read-only) and placement."""
    spec = json.loads(json.dumps((template or {}).get("spec") or {}))
    containers = spec.get("containers") or []
    if not containers:
        raise ConfigurationError("the backup CronJob's pod template has no container to run the drill in")
    container = dict(containers[0])
    names = {e["name"] for e in env}
    container["env"] = [e for e in container.get("env") or [] if e.get("name") not in names] + env
    container["command"] = command
    container.pop("args", None)
    if keep_volumes:
        mounts = [dict(m) for m in container.get("volumeMounts") or []]
        for mount in mounts:
            if mount.get("name") != "tmp":
                mount["readOnly"] = True
        container["volumeMounts"] = mounts
    else:
        container["volumeMounts"] = [m for m in container.get("volumeMounts") or [] if m.get("name") == "tmp"]
        spec["volumes"] = [v for v in spec.get("volumes") or [] if v.get("name") == "tmp"]
    spec.update(containers=[container], restartPolicy="Never", activeDeadlineSeconds=deadline)
    spec.pop("initContainers", None)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def extra_env(env: dict[str, Any], secret_env: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The drill's own connection settings over the backup Job's (e.g. a user that may create databases)."""
    out = [{"name": k, "value": str(v)} for k, v in sorted(env.items())]
    out += [
        {"name": s["name"], "valueFrom": {"secretKeyRef": {"name": s["secret_name"], "key": s["key"]}}}
        for s in secret_env
    ]
    return out


def drill_entries(
    log: DrillLog | None,
    dump: checks.DumpProof,
    database: str,
    rto_seconds: float,
    where: str,
    failure: str = "",
) -> list[dict[str, Any]]:
    """9.1.4, 9.2.2 and 10.1.3 from what the drill measured."""
    rto = f"restore within the RTO of {human_duration(rto_seconds)}"
    drill = "the newest dump restored into a scratch database, row counts equal to the source's table by table"
    if not dump.ok:
        return [
            entry(i, "failed", measured={"dump": dump.measured}, threshold=drill, detail=dump.detail, where=where)
            for i in ITEMS
        ]
    if log is None:
        return [
            entry(i, "failed", measured={"dump": dump.measured}, threshold=drill, detail=failure, where=where)
            for i in ITEMS
        ]
    tables = {
        t: {"source": log.counts.get("source", {}).get(t), "restored": log.counts.get("restored", {}).get(t)}
        for t in sorted(set(log.counts.get("source", {})) | set(log.counts.get("restored", {})))
    }
    differ = sorted(t for t, c in tables.items() if c["source"] != c["restored"])
    reported = (dump.measured or {}).get("bytes")
    problems = [failure] if failure else []
    if log.size is None:
        problems.append("the drill pod did not find the dump")
    elif log.size != reported:
        problems.append(f"the dump on the volume has {log.size} bytes, the backup Job reported {reported}")
    if log.restore_rc != 0:
        problems.append(f"the restore exited {log.restore_rc}")
    if not log.counted or not tables:
        problems.append("no table was counted")
    if differ:
        problems.append(f"row counts differ in {', '.join(differ)}")
    if not log.dropped:
        problems.append(f"the scratch database {database} was not confirmed dropped")
    problems += log.errors
    age = time.time() - log.mtime if log.mtime is not None else None
    measured = {
        "dump": {"file": dump.file, "bytes": log.size, "age": human_duration(age) if age is not None else None},
        "tables": tables,
        "seconds": log.seconds,
        "scratch_database": database,
        "dropped": log.dropped,
    }
    ok = not problems
    summary = (
        f"{dump.file} ({log.size} bytes) restored into {database} in {log.seconds}s; "
        f"{len(tables)} table(s), {sum(c['restored'] or 0 for c in tables.values())} row(s), counts equal; dropped"
        if ok
        else "; ".join(problems)
    )
    in_rto = ok and log.seconds is not None and log.seconds <= rto_seconds
    return [
        passed_if(
            "10.1.3",
            ok,
            measured=measured,
            threshold=drill,
            detail=summary,
            where=where,
            duration=log.seconds,
        ),
        passed_if(
            "9.2.2",
            in_rto,
            measured={"seconds": log.seconds, "rto_seconds": rto_seconds, "dump_bytes": log.size},
            threshold=rto,
            detail=(f"restore took {log.seconds}s" if log.seconds is not None else "the restore was not timed")
            + ("" if ok else f"; {summary}"),
            where=where,
        ),
        passed_if(
            "9.1.4",
            ok,
            measured=measured,
            threshold=drill,
            detail=f"restore drill run now: {summary}",
            where=where,
        ),
    ]


# ---------------------------------------------------------------- against the cluster
def _wait_pod(kube: Any, name: str, namespace: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while True:
        pod = k8s.get(kube, f"Pod {namespace}/{name}", k8s.path("v1", "pods", namespace, name))
        phase = ((pod or {}).get("status") or {}).get("phase") or "Pending"
        if phase in ("Succeeded", "Failed") or time.monotonic() > deadline:
            return phase
        time.sleep(1)


def _delete_pod(kube: Any, name: str, namespace: str) -> None:
    try:
        k8s.request(
            kube,
            f"delete Pod {namespace}/{name}",
            "DELETE",
            k8s.path("v1", "pods", namespace, name),
            query={"gracePeriodSeconds": 0},
        )
    except ApiError as exc:
        if k8s.status_of(exc) != 404:
            raise


def _log(kube: Any, name: str, namespace: str) -> str:
    path = k8s.path("v1", "pods", namespace, name) + "/log"
    return k8s.text(kube, f"log of Pod {namespace}/{name}", path, {"timestamps": True}) or ""


@dataclass(frozen=True)
class DrillSpec:
    namespace: str
    cronjob: str
    rto_hours: float
    max_dump_age: float
    scratch_prefix: str
    env: dict[str, Any]
    secret_env: list[dict[str, str]]
    timeout: float


def run_drill(kube: Any, spec: DrillSpec, check_mode: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The drill's evidence and what it did (pod, scratch database, seconds); nothing is left behind."""
    where = f"{spec.namespace}/{spec.cronjob}"
    live = cronjob.live_cronjob(kube, spec.cronjob, spec.namespace)
    if live is None:
        raise ConfigurationError(
            f"CronJob {where} does not exist: the restore drill restores the dump its Jobs write (run the backup role)"
        )
    jobs = k8s.items(kube, f"Jobs in {spec.namespace}", "batch/v1", "jobs", spec.namespace)
    newest = checks.newest_succeeded(checks.owned_jobs(live, jobs))
    report = cronjob.job_report(kube, checks.job_name(newest), spec.namespace) if newest is not None else None
    dump = checks.dump_proof(newest, report, spec.max_dump_age)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    database = f"{spec.scratch_prefix}_{stamp}"
    rto_seconds = spec.rto_hours * 3600
    info: dict[str, Any] = {"dump": dump.measured, "scratch_database": database}
    if not dump.ok:
        return drill_entries(None, dump, database, rto_seconds, where), info
    if check_mode:
        detail = f"check mode: would restore {dump.file} into scratch database {database}, count rows and drop it"
        return [entry(i, "skipped", measured={"dump": dump.measured}, detail=detail, where=where) for i in ITEMS], info
    template = (((live.get("spec") or {}).get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
    labels = {
        "app.kubernetes.io/name": f"{spec.cronjob}-restore-drill",
        "app.kubernetes.io/managed-by": "smeplatform.deploy",
    }
    env = [{"name": "DRILL_FILE", "value": dump.file}, {"name": "DRILL_DATABASE", "value": database}]
    env += extra_env(spec.env, spec.secret_env)
    name = f"{spec.cronjob[:40]}-drill-{stamp}"
    body = drill_pod(template, name, labels, env, int(spec.timeout), ["/bin/sh", "-c", SCRIPT])
    log: DrillLog | None = None
    failure = ""
    try:
        k8s.request(kube, f"create Pod {spec.namespace}/{name}", "POST", k8s.path("v1", "pods", spec.namespace), body)
        phase = _wait_pod(kube, name, spec.namespace, spec.timeout + 30)
        log = parse_log(_log(kube, name, spec.namespace))
        if phase not in ("Succeeded", "Failed"):
            failure = f"the drill pod {name} was still {phase} after {spec.timeout:.0f}s"
    finally:
        _delete_pod(kube, name, spec.namespace)
        if log is None or not log.dropped:
            _drop_scratch(kube, template, labels, env, spec, f"{name}-cleanup", database)
            if log is not None:
                log.dropped = True
    info.update(pod=name, seconds=log.seconds if log else None)
    return drill_entries(log, dump, database, rto_seconds, where, failure), info


def _drop_scratch(kube: Any, template: dict[str, Any], labels: dict[str, str], env: list[dict[str, Any]],
                  spec: DrillSpec, name: str, database: str) -> None:  # fmt: skip
    """Drop the scratch database when the drill pod did not confirm it (killed, timed out, never started)."""
    command = ["/bin/sh", "-c", 'dropdb --if-exists "$DRILL_DATABASE" && echo "DRILL dropped"']
    body = drill_pod(template, name, labels, env, 120, command, keep_volumes=False)
    try:
        k8s.request(kube, f"create Pod {spec.namespace}/{name}", "POST", k8s.path("v1", "pods", spec.namespace), body)
        _wait_pod(kube, name, spec.namespace, 150)
        dropped = parse_log(_log(kube, name, spec.namespace)).dropped
    finally:
        _delete_pod(kube, name, spec.namespace)
    if not dropped:
        raise ApiError(
            f"the restore drill could not confirm that scratch database {database} is dropped: drop it by hand "
            f"(dropdb --if-exists {database}) with the backup Job's connection in namespace {spec.namespace}"
        )
