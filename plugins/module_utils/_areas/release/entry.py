# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import diagnostics, heartbeat, proof
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.engine import (
    ReleaseEngine,
    RolloutFailed,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.lock import (
    DeployLock,
    controller_pid,
    default_identity,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.migration import (
    MigrationFailed,
    MigrationRunner,
    MigrationSpec,
    image_of,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.helm import Helm, ReleaseSpec
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import CONNECTION_ARGS, Kube
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import SmeplatformError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor


def _prepare_namespace(module: Any, lock: DeployLock, created: dict[str, Any], result: dict[str, Any]) -> None:
    """Merge the namespace_labels into the lock's namespace; result's namespace (and diff) say what changed."""
    labels = {str(k): str(v) for k, v in module.params["namespace_labels"].items()}
    namespace = lock.label_namespace(labels, module.check_mode)
    diffs = [d for d in (created.get("diff"), namespace.pop("diff", None)) if d]
    # a namespace created (or, in check mode, to be created) changes the deployment as new labels do
    namespace.update(created=created["changed"], changed=namespace["changed"] or created["changed"])
    result["namespace"] = namespace
    if diffs and module._diff:
        result["diff"] = diffs if len(diffs) > 1 else diffs[0]


def run_deploy_lock(module: Any) -> None:
    """deploy_lock: run with the module's validated parameters and exit."""
    p = module.params
    try:
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        controller = p["controller_pid"] or controller_pid()
        lock = DeployLock(kube, p["namespace"], p["name"], p["holder"] or default_identity(controller), p["duration"])
        if p["state"] == "renewing":
            module.exit_json(changed=False, lease=lock.where, holder=lock.identity, stopped=lock.heartbeat(controller))
        if p["state"] == "acquired":
            created = lock.ensure_namespace(module.check_mode) if p["ensure_namespace"] else {"changed": False}
            result = lock.acquire(module.check_mode, p["break_lock"])
            result["created_namespace"] = created["changed"] and not module.check_mode
            result["controller_pid"] = controller
            if p["heartbeat"] > 0 and result.get("lock") and not module.check_mode:
                connection = {k: p[k] for k in CONNECTION_ARGS}
                pid = heartbeat.start(
                    connection, p["namespace"], p["name"], lock.identity, p["duration"], controller, p["heartbeat"]
                )
                if pid:
                    result["heartbeat_pid"] = pid
            _prepare_namespace(module, lock, created, result)
        elif p["state"] == "free":
            result = lock.free(module.check_mode, p["break_lock"])
            if p["namespace_labels"]:
                # only once no other run holds the lock: a refused run changes nothing
                created = lock.ensure_namespace(module.check_mode) if p["ensure_namespace"] else {"changed": False}
                _prepare_namespace(module, lock, created, result)
        else:
            result = lock.release(module.check_mode)
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
    for warning in result.pop("warnings", []):
        module.warn(warning)
    module.exit_json(**result)


def run_helm_release(module: Any) -> None:
    """helm_release: run with the module's validated parameters and exit."""
    p = module.params

    def kube() -> Kube:
        return Kube(p["kubeconfig"], p["context"], p["request_timeout"])

    try:
        engine = ReleaseEngine(
            Helm(p["helm_binary"], p["kubeconfig"], p["context"]),
            kube,
            check_mode=module.check_mode,
            want_diff=module._diff,
            evidence_id=p["evidence_id"],
            diagnostics_dir=p["diagnostics_dir"],
            secrets=p["redact"],
        )
        if p["state"] == "present":
            spec = build(ReleaseSpec, p, set_values={str(k): str(v) for k, v in p["set_values"].items()})
            result = engine.present(spec, p["pending_action"], p["required_secrets"], p["to_older_images"])
            if p["infrastructure"]:
                infra = p["infrastructure"]
                result.setdefault("evidence", []).append(
                    proof.infrastructure_entry(
                        infra["evidence_id"],
                        p["namespace"],
                        {str(k): str(v) for k, v in infra["namespace_labels"].items()},
                        infra["pod_security"],
                        result.get("required_secrets") or {},
                        infra["lock_held"],
                        module.check_mode,
                    )
                )
        else:
            result = _rolled_back(module, engine)
    except RolloutFailed as exc:
        for warning in engine.warnings:
            module.warn(warning)
        module.fail_json(msg=str(exc), **exc.result)
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
    for warning in engine.warnings:
        module.warn(warning)
    module.exit_json(**result)


def _rolled_back(module: Any, engine: ReleaseEngine) -> dict[str, Any]:
    """helm_release state=rolled_back; with ``procedure``, its outcome (or failure) is also the rollback
    procedure's evidence (checklist 8.1.4)."""
    p = module.params
    procedure = p["procedure"]
    try:
        result = engine.rolled_back(p["name"], p["namespace"], p["revision"], p["timeout"], p["history_max"], p["wait"])
    except SmeplatformError as exc:
        if not procedure:
            raise
        found = dict(getattr(exc, "result", {}) or {})
        found.setdefault("evidence", []).append(
            proof.rollback_procedure_entry(
                procedure["evidence_id"], p["name"], p["namespace"], p["revision"], procedure["after"], found, str(exc)
            )
        )
        for warning in engine.warnings:
            module.warn(warning)
        module.fail_json(msg=str(exc), **found)
    if procedure:
        result.setdefault("evidence", []).append(
            proof.rollback_procedure_entry(
                procedure["evidence_id"], p["name"], p["namespace"], p["revision"], procedure["after"], result, None
            )
        )
    return result


# Log lines of each migration pod kept in the evidence (the newest ones; the module's `logs` result has them all).
EVIDENCE_LOG_LINES = 30


def _evidence(evidence_id: str | None, status: str, result: dict, detail: str) -> list[dict]:
    if not evidence_id:
        return []
    pods = ", ".join(f"{p['name']} {p['phase']}" for p in result.get("pods") or [])
    note = f"; {result['logs_note']}" if result.get("logs_note") else ""
    logs = {
        pod: [line for line in text.splitlines() if line.strip()][-EVIDENCE_LOG_LINES:]
        for pod, text in sorted((result.get("logs") or {}).items())
    }
    return [
        entry(
            evidence_id,
            status,
            measured={"outcome": result.get("outcome"), "log": logs} if logs else result.get("outcome"),
            threshold="succeeded",
            detail=f"{detail}; pods: {pods or 'none'}{note}",
            where=f"Job {result.get('namespace', '')}/{result.get('job')}",
            duration=result.get("duration"),
        )
    ]


def run_migration_job(module: Any) -> None:
    """migration_job: run with the module's validated parameters and exit."""
    p = module.params
    try:
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        image = p["image"]
        if p["image_from"]:
            source = p["image_from"]
            image = image_of(kube, p["namespace"], source["kind"], source["name"], source["container"])
        spec = build(
            MigrationSpec,
            p,
            image=image,
            env={str(k): str(v) for k, v in p["env"].items()},
            node_selector={str(k): str(v) for k, v in p["node_selector"].items()},
        )
        steps = [(spec, p["command"])]
        if p["show_command"]:
            steps.append(
                (dataclasses.replace(spec, action=p["show_action"], command=p["show_command"]), p["show_command"])
            )
        results = []
        for step, step_command in steps:
            text = " ".join(step_command)
            try:
                done = MigrationRunner(kube, step).run(p["timeout"], module.check_mode, p["rerun_failed"])
            except MigrationFailed as exc:
                failed = exc.result
                failed["evidence"] = [e for r in results for e in r["evidence"]]
                failed["evidence"] += _evidence(p["evidence_id"], "failed", failed, f"{text}: {exc}")
                if results:
                    failed["previous_steps"] = results
                module.fail_json(msg=str(exc), **failed)
            results.append(done)
            if module.check_mode and done.get("outcome", "").startswith("would"):
                detail = f"check mode: {text} {done['outcome']} as Job {done['job']} with {done['image']}"
                done["evidence"] = _evidence(p["evidence_id"], "skipped", done, detail)
            else:
                verb = "ran" if done["changed"] else "had already run"
                done["evidence"] = _evidence(
                    p["evidence_id"], "passed", done, f"{text} {verb} with {done['image']}: {done['outcome']}"
                )
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
    result = dict(results[0])
    if len(results) > 1:
        result["show"] = results[1]
        result["changed"] = any(r["changed"] for r in results)
        result["evidence"] = [e for r in results for e in r.pop("evidence")]
    module.exit_json(**result)


def run_release_diagnostics(module: Any) -> None:
    """release_diagnostics: run with the module's validated parameters and exit."""
    p = module.params
    redactor = Redactor(p["redact"])
    try:
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        helm = Helm(p["helm_binary"], p["kubeconfig"], p["context"]) if p["release"] else None
        diag = diagnostics.collect(kube, p["namespace"], helm, p["release"], p["selector"], max_events=p["max_events"])
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
    diag = redactor.data(diag)
    summary = diagnostics.summary(diag)
    cause = redactor.text(p["cause"] or "")
    if cause:
        summary = f"{cause.strip().splitlines()[0][:400]} -- {summary}"
        diag["cause"] = cause
    result = {"changed": False, "diagnostics": diag, "summary": summary}
    directory = p["dest_dir"] or diagnostics.default_dir()
    if directory:
        result["file"] = diagnostics.write(diag, directory, f"{p['namespace']}-{p['release'] or 'namespace'}")
    if p["evidence_id"]:
        result["evidence"] = [
            entry(
                p["evidence_id"],
                p["evidence_status"],
                detail=summary + (f" (details: {result['file']})" if result.get("file") else ""),
                where=f"namespace {p['namespace']}",
            )
        ]
    module.exit_json(**result)
