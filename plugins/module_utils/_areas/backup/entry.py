# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import (
    checks,
    claim,
    cronjob,
    drill,
    export,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database.endpoint import Endpoint
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import Kube
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
    SmeplatformError,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import RESULT_KEY, entry, exit_checked
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import age_seconds


def run_backup_check(module: Any) -> None:
    """backup_check: run with the module's validated parameters and exit."""
    p = module.params
    policy = checks.BackupPolicy.from_options(p)
    where = f"{p['namespace']}/{p['cronjob']}"

    def run() -> list:
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        state: dict = {}

        def schedule_checks() -> list:
            live = cronjob.live_cronjob(kube, p["cronjob"], p["namespace"])
            jobs = k8s.items(kube, f"Jobs in {p['namespace']}", "batch/v1", "jobs", p["namespace"])
            found, state["dump"] = checks.cronjob_entries(
                live, jobs, policy, where, lambda job: cronjob.job_report(kube, checks.job_name(job), p["namespace"])
            )
            return found

        def config_checks() -> list:
            release = export.read_release(kube, p["release"], p["namespace"])
            return [export.config_backup_entry(p["config_dest"], release, p["config_dest"])]

        def wal_age() -> list:
            if not p["db_host"]:
                return []
            endpoint = Endpoint(
                p["db_host"], p["db_port"], p["db_name"], p["db_user"] or "postgres", p["db_password"], p["db_sslmode"]
            )
            try:
                with endpoint.connect() as conn, conn.cursor() as cur:
                    cur.execute("SELECT last_archived_time FROM pg_stat_archiver")
                    state["wal_age"] = age_seconds(cur.fetchone()[0])
                    state["wal_where"] = f"WAL archive status from {endpoint.label}"
            except ConnectionFailure as exc:
                state["wal_where"] = f"WAL archive age unknown: {exc}"
            return []

        found = run_checks(
            [
                Check(("4.1.3", "9.1.1", "4.1.5", "post.week1.4", "success.10"), schedule_checks, where),
                Check(("9.1.3",), config_checks, p["config_dest"]),
                Check((), wal_age),
            ]
        )
        dump = state.get("dump")
        dump_age = dump.age if dump is not None and dump.ok else None
        found.append(checks.rpo_entry(dump_age, state.get("wal_age"), state.get("wal_where", ""), policy, where))
        return found

    exit_checked(module, "backup", run)


def run_backup_cronjob(module: Any) -> None:
    """backup_cronjob: run with the module's validated parameters and exit."""
    p = module.params
    spec = build(
        cronjob.CronJobSpec,
        p,
        env={k: str(v) for k, v in p["env"].items()},
        node_selector={k: str(v) for k, v in p["node_selector"].items()},
        labels={k: str(v) for k, v in p["labels"].items()},
    )
    try:
        spec.validate()
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        stored = None
        if p["volume_claim_manage"] and spec.volume_claim:
            wanted = claim.ClaimSpec(
                spec.volume_claim, spec.namespace, spec.name, p["volume_size"], p["volume_storage_class"]
            )
            stored = claim.ensure_claim(kube, wanted, module.check_mode)
        outcome = cronjob.ensure_cronjob(kube, spec, module.check_mode)
        result = {"changed": outcome["changed"], "action": outcome["action"], "changed_fields": outcome["paths"]}
        if stored is not None:
            result["volume_claim_action"] = stored["action"]
            result["changed"] = result["changed"] or stored["changed"]
        stale = p["run_when_stale"] and cronjob.backup_is_stale(kube, spec.name, spec.namespace, p["stale_after"])
        if p["run_now"] or stale:
            result["job"] = cronjob.run_now(kube, spec.name, spec.namespace, module.check_mode)
            result["changed"] = True
            if stale and not module.check_mode:
                cronjob.wait_for_backup(kube, spec.name, result["job"], spec.namespace, p["wait_timeout"])
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
    if module._diff:
        result["diff"] = [stored["diff"]] if stored is not None and "diff" in stored else []
        result["diff"].append(
            {
                "before": outcome["before"],
                "after": outcome["after"],
                "before_header": f"CronJob {spec.namespace}/{spec.name} (live)",
                "after_header": f"CronJob {spec.namespace}/{spec.name} (desired)",
            }
        )
    verb = {"create": "created", "update": "updated", "none": "unchanged"}
    result["msg"] = (
        (f"PersistentVolumeClaim {spec.namespace}/{spec.volume_claim} {verb[stored['action']]}; " if stored else "")
        + f"CronJob {spec.namespace}/{spec.name} {verb[outcome['action']]}"
        + (f"; Job {result['job']} started" if "job" in result else "")
    )
    module.exit_json(**result)


def run_config_backup(module: Any) -> None:
    """config_backup: run with the module's validated parameters and exit."""
    p = module.params
    try:
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        release = export.read_release(kube, p["release"], p["namespace"])
        files = export.export_files(
            release, export.read_configmaps(kube, p["namespace"]), export.read_secret_keys(kube, p["namespace"])
        )
        latest, latest_files = export.latest_export(p["dest"])
        revision = release.get("version") if release else None
        threshold = "an export of the deployed configuration"
        measured = {"files": len(files), "revision": revision}
        plan = Plan(NONE if latest is not None and latest_files == files else "write", latest_files, files)
        done = sync(
            plan, lambda _plan: export.write_export(p["dest"], export.export_stamp(revision), files), module.check_mode
        )
        changed, path = done["changed"], done["applied"]
        if not changed:
            path, detail, status = latest, f"unchanged since {latest}", "passed"
        elif module.check_mode:
            detail, status = f"check mode: would write {len(files)} file(s) under {p['dest']}", "skipped"
        else:
            detail, status = f"written to {path}", "passed"
        evidence = [
            entry(
                "9.1.3",
                status,
                measured={**measured, "path": path},
                threshold=threshold,
                detail=detail,
                where=f"{p['namespace']}/{p['release']}",
            )
        ]
    except (SmeplatformError, OSError) as exc:
        module.fail_json(msg=f"configuration export of {p['namespace']}/{p['release']} failed: {exc}")
    module.exit_json(changed=changed, path=path, files=sorted(files), msg=detail, **{RESULT_KEY: evidence})


_SCRATCH_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


def run_backup_restore_drill(module: Any) -> None:
    """backup_restore_drill: run with the module's validated parameters and exit."""
    p = module.params
    spec = build(drill.DrillSpec, p, env={k: str(v) for k, v in p["env"].items()})
    try:
        if not _SCRATCH_RE.match(spec.scratch_prefix):
            raise ConfigurationError(
                f"scratch_prefix {spec.scratch_prefix!r} must be lower-case letters, digits and _ (at most 41)"
            )
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        found, info = drill.run_drill(kube, spec, module.check_mode)
    except SmeplatformError as exc:
        module.fail_json(msg=f"restore drill of {p['namespace']}/{p['cronjob']}: {exc}")
    failed = [e["id"] for e in found if e["status"] == "failed"]
    msg = found[0]["detail"] if found else ""
    module.exit_json(
        changed=False,
        msg=msg + (f" (failed: {', '.join(failed)})" if failed else ""),
        drill=info,
        **{RESULT_KEY: found},
    )
