# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup checks (checklist 4.1.3, 4.1.5, 9.1.1, 9.2.3, post.week1.4, success.10): schedule, runs and the RPO."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup.cronjob import (
    _CRON_FIELD_RE,
    RETENTION_ANNOTATION,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import (
    age_seconds,
    human_duration,
    parse_time,
)

# ---------------------------------------------------------------- the dump a backup Job reports
# The backup Job's last act (the backup role's default command) is one JSON line, written to its container's
# termination message (/dev/termination-log) and its log: the dump it renamed into place, its size in bytes, the
# archive format, the number of entries pg_restore --list read from it, and when it finished.
REPORT_FIELDS = ("file", "bytes", "toc_entries", "finished")
# Clock skew allowed between the backup pod and the API server when the report's time is placed in its Job's run.
CLOCK_SLACK = 120.0
DUMP_THRESHOLD = "a non-empty, readable dump reported by the newest successful backup Job within the allowed age"


def parse_report(message: str | None) -> dict[str, Any] | None:
    """The last JSON object line of a backup container's termination message or log, or None."""
    for line in reversed((message or "").splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return None


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or {}


def job_name(job: dict[str, Any]) -> str:
    return _meta(job).get("name") or ""


def succeeded(job: dict[str, Any]) -> bool:
    return (_status(job).get("succeeded") or 0) > 0


def owned_jobs(cronjob: dict[str, Any], jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The CronJob's Jobs (API JSON), oldest first."""
    name = _meta(cronjob).get("name")
    owned = (
        j
        for j in jobs
        if any(o.get("kind") == "CronJob" and o.get("name") == name for o in _meta(j).get("ownerReferences") or [])
    )
    return sorted(
        owned, key=lambda j: parse_time(_meta(j).get("creationTimestamp")) or datetime.min.replace(tzinfo=UTC)
    )


def newest_succeeded(owned: list[dict[str, Any]]) -> dict[str, Any] | None:
    done = [j for j in owned if succeeded(j)]
    return done[-1] if done else None


@dataclass(frozen=True)
class DumpProof:
    """What the newest successful backup Job proved about its dump: ok, what was read, and why not."""

    ok: bool
    measured: dict[str, Any] | None
    detail: str
    age: float | None = None
    file: str = ""


def dump_proof(
    job: dict[str, Any] | None, message: str | None, max_age: float, now: datetime | None = None
) -> DumpProof:
    """A real dump: reported by the newest successful Job, non-empty, a readable archive, written during that Job's
    run and at most ``max_age`` seconds ago."""
    if job is None:
        return DumpProof(False, None, "no backup Job has succeeded: no dump to show")
    name = job_name(job)
    report = parse_report(message)
    if report is None or any(k not in report for k in REPORT_FIELDS):
        return DumpProof(
            False,
            {"job": name, "report": None if report is None else sorted(report)},
            f"backup Job {name} succeeded but reported no dump: its command must end by writing one JSON line "
            f"with {', '.join(REPORT_FIELDS)} to /dev/termination-log (the backup role's default command does)",
        )
    now = now or datetime.now(UTC)
    finished = parse_time(report.get("finished"))
    age = (now - finished).total_seconds() if finished else None
    try:
        size, entries = int(report["bytes"]), int(report["toc_entries"])
    except (TypeError, ValueError):
        size, entries = 0, 0
    started = parse_time(_status(job).get("startTime"))
    completed = parse_time(_status(job).get("completionTime")) or now
    measured = {
        "job": name,
        "file": str(report["file"]),
        "bytes": size,
        "format": report.get("format"),
        "toc_entries": entries,
        "finished": str(report["finished"]),
        "age": human_duration(age) if age is not None else None,
    }
    problems = []
    if size <= 0:
        problems.append("the dump is empty")
    if entries <= 0:
        problems.append("pg_restore --list read no entry from it")
    if finished is None:
        problems.append(f"its finish time {report['finished']!r} is not a time")
    else:
        if age is not None and age > max_age:
            problems.append(f"it is {human_duration(age)} old, more than {human_duration(max_age)}")
        if (started is not None and (finished - started).total_seconds() < -CLOCK_SLACK) or (
            completed is not None and (finished - completed).total_seconds() > CLOCK_SLACK
        ):
            problems.append(f"it was not written during Job {name}'s run")
    if problems:
        return DumpProof(False, measured, f"dump {report['file']} of Job {name}: " + "; ".join(problems), age)
    return DumpProof(
        True,
        measured,
        f"dump {report['file']} ({size} bytes, {entries} archive entries) written by Job {name} "
        f"{human_duration(age or 0)} ago",
        age,
        str(report["file"]),
    )


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
    """What the backups are held to; every value comes from backup_check's option table."""

    schedule: str
    retention_days: int
    max_success_age: float
    rpo_seconds: float

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> BackupPolicy:
        """The policy of backup_check's parameters (missing ones at the option table's defaults)."""
        p = settings(options.backup_check()["argument_spec"], params)
        return build(cls, p, max_success_age=float(p["max_success_age"]), rpo_seconds=p["rpo_hours"] * 3600)


def cronjob_entries(
    cronjob: dict[str, Any] | None,
    jobs: list[dict[str, Any]],
    policy: BackupPolicy,
    where: str,
    read_report: Callable[[dict[str, Any]], str | None] | None = None,
) -> tuple[Entries, DumpProof]:
    """4.1.3, 9.1.1, 4.1.5, post.week1.4 and success.10 from the CronJob, its Jobs (API JSON) and the dump the
    newest successful one reported (``read_report(job)``: its termination message). A schedule, a retention or a
    successful Job alone proves nothing: 4.1.3, 9.1.1, 4.1.5 and success.10 also need that dump (``dump_proof``)."""
    ids = ("4.1.3", "9.1.1", "4.1.5", "post.week1.4", "success.10")
    if cronjob is None:
        return [
            entry(i, "failed", measured="no CronJob", detail="the backup CronJob does not exist", where=where)
            for i in ids
        ], DumpProof(False, None, "the backup CronJob does not exist")
    owned = owned_jobs(cronjob, jobs)
    newest = newest_succeeded(owned)
    dump = dump_proof(
        newest, read_report(newest) if read_report and newest is not None else None, policy.max_success_age
    )
    spec, status = cronjob.get("spec") or {}, _status(cronjob)
    time_zone = spec.get("timeZone")
    schedule = _normal_schedule(spec.get("schedule") or "")
    suspended = bool(spec.get("suspend"))
    found = [
        passed_if(
            "4.1.3",
            _cron_is_daily(schedule) and not suspended and dump.ok,
            measured={"schedule": schedule, "suspended": suspended, "time_zone": time_zone, "dump": dump.measured},
            threshold=f"a daily schedule, not suspended, {DUMP_THRESHOLD}",
            detail=("suspended" if suspended else f"runs '{schedule}'") + f"; {dump.detail}",
            where=where,
        ),
        passed_if(
            "9.1.1",
            schedule == _normal_schedule(policy.schedule) and not suspended and dump.ok,
            measured={"schedule": schedule, "dump": dump.measured},
            threshold=f"{policy.schedule}, {DUMP_THRESHOLD}",
            detail=f"schedule '{schedule}' time zone {time_zone or 'of the controller manager (UTC)'}; " + dump.detail,
            where=where,
        ),
    ]
    annotation = (_meta(cronjob).get("annotations") or {}).get(RETENTION_ANNOTATION)
    pod = (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    env = {e.get("name"): e["value"] for c in pod.get("containers") or [] for e in c.get("env") or [] if "value" in e}
    try:
        retention = int(annotation) if annotation is not None else None
    except ValueError:
        retention = None
    env_retention = env.get("BACKUP_RETENTION_DAYS")
    found.append(
        passed_if(
            "4.1.5",
            retention is not None
            and retention >= policy.retention_days
            and env_retention == str(retention)
            and dump.ok,
            measured={"annotation": annotation, "BACKUP_RETENTION_DAYS": env_retention, "dump": dump.measured},
            threshold=f">= {policy.retention_days} days, annotation {RETENTION_ANNOTATION} and the job's "
            f"BACKUP_RETENTION_DAYS agree, {DUMP_THRESHOLD}",
            detail=(f"backups older than {retention} days are pruned by the job" if retention else "no retention set")
            + f"; {dump.detail}",
            where=where,
        )
    )
    finished = [
        j for j in owned if succeeded(j) or (_status(j).get("failed") or 0) > 0 and not _status(j).get("active")
    ]
    last = finished[-1] if finished else None
    history = [f"{job_name(j)}: {'succeeded' if succeeded(j) else 'failed'}" for j in finished]
    found.append(
        passed_if(
            "post.week1.4",
            last is not None and succeeded(last),
            measured=history[-7:] or None,
            threshold="the latest finished backup Job succeeded",
            detail=f"latest: {history[-1]}" if history else "no backup Job has finished yet",
            where=where,
        )
    )
    last_success = status.get("lastSuccessfulTime")
    success_age = age_seconds(parse_time(last_success))
    found.append(
        passed_if(
            "success.10",
            success_age is not None and success_age <= policy.max_success_age and not suspended and dump.ok,
            measured={
                "last_successful": str(last_success) if last_success else None,
                "age": human_duration(success_age) if success_age is not None else None,
                "dump": dump.measured,
            },
            threshold=f"last successful backup within {human_duration(policy.max_success_age)}, {DUMP_THRESHOLD}",
            detail=(
                "no successful run recorded by the CronJob"
                if success_age is None
                else f"last success {human_duration(success_age)} ago"
            )
            + f"; {dump.detail}",
            where=where,
        )
    )
    return found, dump


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
