# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup checks (checklist 4.1.3, 4.1.5, 9.1.1, 9.2.3, post.week1.4, success.10): schedule, runs and the RPO."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup.cronjob import (
    _CRON_FIELD_RE,
    RETENTION_ANNOTATION,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds, human_duration


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
