# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release engine behind smeplatform.deploy.helm_release: one place decides `changed`, honours check
mode, builds the diff, recovers stuck releases, upgrades or rolls back, and describes failures."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import diagnostics, proof
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.fail_fast import (
    POD_SECURITY_WARNING,
    FailFast,
    pod_security_warnings,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.lock import controller_pid
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import helm, helm_release
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import CheckFailed, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor, secret_strings


class RolloutFailed(CheckFailed):
    """helm could not complete the change; `result` carries the diagnostics and evidence."""

    def __init__(self, message: str, result: dict[str, Any]):
        super().__init__(message)
        self.result = result


class ReleaseEngine:
    def __init__(
        self,
        helm_client: helm.Helm,
        kube_factory: Callable[[], Any],
        check_mode: bool = False,
        want_diff: bool = False,
        evidence_id: str | None = None,
        diagnostics_dir: str | None = None,
        secrets: list[str] | None = None,
    ):
        self.helm = helm_client
        self._kube_factory = kube_factory
        self._kube: Any = None
        self.check_mode = check_mode
        self.want_diff = want_diff
        self.evidence_id = evidence_id
        self.diagnostics_dir = diagnostics_dir
        self.redactor = Redactor(secrets or [])
        self.warnings: list[str] = []
        self._history: list[dict[str, Any]] = []

    @property
    def kube(self) -> Any:
        if self._kube is None:
            self._kube = self._kube_factory()
        return self._kube

    def _redact_values(self, values: dict[str, Any]) -> Any:
        redactor = Redactor([*secret_strings(values)])
        return self.redactor.data(redactor.data(values))

    # -- pending releases ------------------------------------------------------------------
    def recover_pending(self, name: str, namespace: str, action: str, timeout: int, history_max: int) -> dict | None:
        history = self.helm.history(name, namespace)
        self._history = history
        plan = helm_release.pending_plan(history, action, f"{name} -n {namespace}")
        if plan is None:
            return None
        self.warnings.append(
            f"release {namespace}/{name} was stuck in {plan['status']} at revision {plan['revision']}; "
            f"{'would roll' if self.check_mode else 'rolled'} back to revision {plan['target']}"
        )
        if not self.check_mode:
            self.helm.rollback(name, namespace, plan["target"], True, timeout, history_max)
        return plan

    # -- present -----------------------------------------------------------------------------
    def missing_secrets(self, namespace: str, names: list[str]) -> list[str]:
        """Secrets of `names` that do not exist (only existence is read into the result, never data)."""
        from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

        return [
            name
            for name in names
            if k8s.get(self.kube, f"Secret {namespace}/{name}", k8s.path("v1", "secrets", namespace, name)) is None
        ]

    def present(
        self,
        spec: helm.ReleaseSpec,
        pending_action: str,
        required_secrets: list[str] | None = None,
        to_older_images: bool = False,
    ) -> dict:
        spec.validate()
        started = time.monotonic()
        result: dict[str, Any] = {"changed": False}
        if required_secrets:
            missing = self.missing_secrets(spec.namespace, required_secrets)
            result["required_secrets"] = {name: name not in missing for name in required_secrets}
            if missing and not self.check_mode:
                raise CheckFailed(
                    f"Secret(s) {', '.join(missing)} missing in namespace {spec.namespace}; the release needs them. "
                    "Create them first (the secrets role, playbooks/generate_secrets.yml) and run again"
                )
            if missing:
                self.warnings.append(
                    f"Secret(s) {', '.join(missing)} missing in {spec.namespace}: a real run would stop"
                )
        recovered = self.recover_pending(spec.name, spec.namespace, pending_action, spec.timeout, spec.history_max)
        if recovered:
            result.update(changed=True, recovered=recovered)
        if recovered:
            self._history = self.helm.history(spec.name, spec.namespace)
        live = helm_release.with_chart(self.helm.status(spec.name, spec.namespace), self._history)
        if recovered and self.check_mode:
            changes = ["stuck release would be recovered first"]
            desired = None
        else:
            desired = self.helm.upgrade(spec, dry_run=True)
            changes = helm_release.release_changes(live, desired)
        warned = pod_security_warnings(getattr(self.helm, "stderr", ""))
        rejected: list[str] = []
        if self.check_mode and desired is not None:
            # helm's dry run renders without sending the objects: each workload goes through the API's admission
            more, rejected = self.server_dry_run(desired.get("manifest") or "", spec.namespace)
            warned += [w for w in more if w not in warned]
        refused: list[dict[str, Any]] = []
        if (warned or rejected) and self.check_mode:
            result["pod_security_warnings"] = warned
            if self.evidence_id:
                counted = [f"{len(warned)} Pod Security warning(s)"] if warned else []
                counted += [f"{len(rejected)} object(s) refused"] if rejected else []
                refused = [
                    entry(
                        self.evidence_id,
                        "failed",
                        measured=f"{' and '.join(counted)} in the server dry run",
                        threshold="the API accepts every workload and none violates the namespace's Pod Security level",
                        detail="; ".join(rejected + warned)[:1000],
                        where=f"{spec.namespace}/{spec.name}",
                    )
                ]
            self.warnings.extend(f"server dry run of {spec.namespace}/{spec.name}: {w}" for w in rejected + warned)
        result["previous"] = helm_release.summary(live)
        result["changes"] = changes
        if self.want_diff and desired is not None and changes:
            result["diff"] = self.diff(live, desired, spec.namespace)
        if not changes:
            result["release"] = helm_release.summary(live)
            result["evidence"] = refused or self._evidence(
                "passed", live, f"release {spec.namespace}/{spec.name} is up to date at revision {live.get('version')}"
            )
            if to_older_images and self.evidence_id and not refused and not self.check_mode:
                # nothing replaced now: the images running must still be ones an earlier revision ran
                result["rollout"] = helm_release.rollout_status(self.kube, live.get("manifest") or "", spec.namespace)
                result["evidence"] = [
                    proof.redeploy_entry(
                        self.evidence_id,
                        spec.name,
                        spec.namespace,
                        None,
                        result["rollout"],
                        self.older_images(spec.name, spec.namespace, int(live.get("version") or 0)),
                    )
                ]
            return result
        if self.check_mode:
            result["changed"] = True
            result["release"] = helm_release.summary(desired) if desired else result["previous"]
            result["evidence"] = refused or self._evidence(
                "skipped", desired, f"check mode: would upgrade {spec.namespace}/{spec.name} ({', '.join(changes)})"
            )
            return result
        # read before the upgrade: helm prunes revisions beyond history_max when it records the new one
        older = (
            self.older_images(spec.name, spec.namespace, int(live.get("version") or 0))
            if to_older_images and self.evidence_id and live
            else {}
        )
        recorder = diagnostics.PodRecorder(self.kube, spec.namespace)
        error: helm.HelmCommandFailed | None = None
        watch = FailFast(
            self.kube, spec.namespace, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), controller_pid()
        )
        with recorder:
            try:
                new = self.helm.upgrade(
                    spec, watch=watch.cause if spec.wait or spec.atomic else None, validated=desired is not None
                )
            except helm.HelmCommandFailed as exc:
                error = exc
        if error is not None:
            stopped = isinstance(error, helm.StoppedEarly)
            raise self._failure(
                spec.name,
                spec.namespace,
                f"helm upgrade stopped after {time.monotonic() - started:.0f}s, without waiting for its timeout: "
                f"{error.stderr}"
                if stopped
                else f"helm upgrade failed: {error.stderr or error}",
                recorder,
                {"previous": result["previous"], "changes": changes},
            ) from error
        result.update(changed=True)
        result["release"] = helm_release.summary(new)
        result["rollout"] = helm_release.rollout_status(self.kube, new.get("manifest") or "", spec.namespace)
        result["duration"] = round(time.monotonic() - started, 3)
        previous = live.get("version") if live else None
        result["evidence"] = (
            [
                passed_if(
                    self.evidence_id,
                    all(w["complete"] for w in result["rollout"]),
                    measured=f"revision {new.get('version')} {helm_release.summary(new).get('status')}",
                    threshold="deployed, every workload rolled out",
                    detail=f"helm upgrade --install --wait --atomic {spec.namespace}/{spec.name}: "
                    f"revision {previous or '-'} -> {new.get('version')}; "
                    f"images {', '.join(result['release']['images'])}",
                    where=f"{spec.namespace}/{spec.name}",
                    duration=result["duration"],
                )
            ]
            if self.evidence_id
            else []
        )
        if to_older_images and self.evidence_id:
            result["evidence"] = [
                proof.redeploy_entry(
                    self.evidence_id,
                    spec.name,
                    spec.namespace,
                    result["previous"].get("images") or [],
                    result["rollout"],
                    older,
                    duration=result["duration"],
                )
            ]
        return result

    def server_dry_run(self, manifest: str, namespace: str) -> tuple[list[str], list[str]]:
        """Each object with a pod template applied with dryRun=All: Pod Security's warnings (``would violate
        PodSecurity ...``) and the objects the API refuses, with its reason. Nothing when the namespace is absent."""
        warned: list[str] = []
        rejected: list[str] = []
        for obj in helm_release.parse_manifest(manifest):
            if obj.get("kind") not in k8s.POD_KINDS or not (obj.get("metadata") or {}).get("name"):
                continue
            answer = k8s.dry_run_apply(self.kube, obj, namespace)
            if answer is None:
                continue
            label = f"{obj['kind']} {namespace}/{obj['metadata']['name']}"
            if answer["refused"]:
                rejected.append(f"the API refuses {label}: {answer['refused']}")
            for text in answer["warnings"]:
                if POD_SECURITY_WARNING in text and f"{label}: {text}" not in warned:
                    warned.append(f"{label}: {text}")
        return warned, rejected

    def older_images(self, name: str, namespace: str, below: int) -> dict[int, list[str]]:
        """The images each completed revision older than ``below`` ran, read from helm's stored manifests."""
        found: dict[int, list[str]] = {}
        for r in self._history:
            revision = int(r["revision"])
            if revision < below and r.get("status") in helm_release.GOOD:
                try:
                    found[revision] = helm_release.images(self.helm.manifest(name, namespace, revision))
                except helm.HelmCommandFailed:  # pruned meanwhile: helm no longer keeps it
                    continue
        return found

    # -- rolled back -------------------------------------------------------------------------
    def rolled_back(
        self, name: str, namespace: str, revision: int, timeout: int, history_max: int, wait: bool = True
    ) -> dict[str, Any]:
        started = time.monotonic()
        history = self.helm.history(name, namespace)
        if not history:
            raise CheckFailed(f"release {namespace}/{name} does not exist: nothing to roll back")
        current = history[-1]
        current_rev = int(current["revision"])
        live = helm_release.with_chart(self.helm.status(name, namespace), history)
        live_manifest = (live or {}).get("manifest", "").strip()
        known = {int(r["revision"]): r for r in history}
        if revision and revision not in known:
            raise ConfigurationError(
                f"revision {revision} of {namespace}/{name} is not in its history (kept: {', '.join(map(str, known))})"
            )
        target, target_manifest = revision or None, ""
        if revision:
            target_manifest = self.helm.manifest(name, namespace, revision).strip()
        else:
            # the newest earlier deployed revision that runs something else than the live one (after helm's atomic
            # rollback the revision just before the live one is a copy of it), whose content nobody rolled back from
            # since it ran
            below, abandoned = current_rev, helm_release.rolled_back_from(history)
            manifests: dict[int, str] = {}

            def manifest_of(rev: int) -> str:
                if rev not in manifests:
                    manifests[rev] = self.helm.manifest(name, namespace, rev).strip()
                return manifests[rev]

            while target is None:
                candidate = helm_release.previous_good_revision(history, below)
                if candidate is None:
                    break
                below = candidate
                if candidate in abandoned or manifest_of(candidate) == live_manifest:
                    continue
                if any(manifest_of(rev) == manifest_of(candidate) for rev in abandoned if rev > candidate):
                    continue
                target, target_manifest = candidate, manifest_of(candidate)
        if target is None:
            raise CheckFailed(
                f"release {namespace}/{name} has no revision before {current_rev} that was deployed with other "
                "content and not rolled back from since: nothing to roll back to (name one with the revision option)"
            )
        result: dict[str, Any] = {"previous": helm_release.summary(live), "target_revision": target}
        result["target_images"] = helm_release.images(target_manifest)
        if revision and current.get("status") == "deployed" and live_manifest == target_manifest:
            result.update(changed=False, release=helm_release.summary(live))
            if not self.check_mode:  # what runs now, measured: the proof of a rollback someone else did
                result["rollout"] = helm_release.wait_rollout(self.kube, live_manifest, namespace, 30 if wait else 0)
            result["evidence"] = self._evidence(
                "passed", live, f"{namespace}/{name} already runs what revision {target} ran"
            )
            return result
        if self.want_diff:
            result["diff"] = self._manifest_diff(target_manifest, namespace)
        if self.check_mode:
            result.update(changed=True, release=result["previous"])
            result["evidence"] = self._evidence(
                "skipped", live, f"check mode: would roll {namespace}/{name} back from {current_rev} to {target}"
            )
            return result
        recorder = diagnostics.PodRecorder(self.kube, namespace)
        error: helm.HelmCommandFailed | None = None
        with recorder:
            try:
                self.helm.rollback(name, namespace, target, wait, timeout, history_max)
            except helm.HelmCommandFailed as exc:
                error = exc
        if error is not None:
            raise self._failure(name, namespace, f"helm rollback failed: {error.stderr or error}", recorder) from error
        new = helm_release.with_chart(self.helm.status(name, namespace), self.helm.history(name, namespace)) or {}
        result.update(changed=True, release=helm_release.summary(new))
        result["rollout"] = helm_release.wait_rollout(
            self.kube, new.get("manifest") or "", namespace, 30 if wait else 0
        )
        result["duration"] = round(time.monotonic() - started, 3)
        ok = all(w["complete"] for w in result["rollout"]) and (new.get("info") or {}).get("status") == "deployed"
        if self.evidence_id:
            result["evidence"] = [
                passed_if(
                    self.evidence_id,
                    ok,
                    measured=f"revision {new.get('version')} {(new.get('info') or {}).get('status')}",
                    threshold=f"deployed with the content of revision {target}, every workload rolled out",
                    detail=f"helm rollback {namespace}/{name} {target}: "
                    f"revision {current_rev} -> {new.get('version')}; "
                    f"images {', '.join(result['release']['images'])}",
                    where=f"{namespace}/{name}",
                    duration=result["duration"],
                )
            ]
        if not ok:
            raise self._failure(name, namespace, "rollback finished but the workloads did not roll out", None, result)
        return result

    # -- shared ------------------------------------------------------------------------------
    def _evidence(self, status: str, release: dict[str, Any] | None, detail: str) -> list[dict[str, Any]]:
        if not self.evidence_id:
            return []
        summary = helm_release.summary(release)
        return [
            entry(
                self.evidence_id,
                status,
                measured=f"revision {summary.get('revision')} {summary.get('status')}" if summary else None,
                threshold="deployed",
                detail=detail,
                where=f"{summary.get('namespace')}/{summary.get('name')}" if summary else "",
            )
        ]

    def _manifest_diff(self, manifest: str, namespace: str) -> list[dict[str, Any]]:
        from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kube_diff import LiveDiff

        return LiveDiff(self.kube).manifest(manifest, namespace)

    def diff(self, live: dict[str, Any] | None, desired: dict[str, Any], namespace: str) -> list[dict[str, Any]]:
        from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kube_diff import values_diff

        out = self._manifest_diff(desired.get("manifest") or "", namespace)
        values = values_diff((live or {}).get("config") or {}, desired.get("config") or {}, self._redact_values)
        if values:
            out.append(values)
        return out

    def _failure(
        self,
        name: str,
        namespace: str,
        cause: str,
        recorder: diagnostics.PodRecorder | None,
        result: dict[str, Any] | None = None,
    ) -> RolloutFailed:
        diag = diagnostics.collect(self.kube, namespace, self.helm, name, pods_seen=recorder.seen if recorder else None)
        diag = self.redactor.data(diag)
        result = dict(result or {})
        result["diagnostics"] = diag
        result["diagnostics_summary"] = diagnostics.summary(diag)
        directory = self.diagnostics_dir or diagnostics.default_dir()
        if directory:
            result["diagnostics_file"] = diagnostics.write(diag, directory, f"{namespace}-{name}")
        cause = self.redactor.text(cause)
        status = (self.helm.status(name, namespace) or {}).get("info", {}).get("status")
        where = f" (details: {result['diagnostics_file']})" if result.get("diagnostics_file") else ""
        if self.evidence_id:
            result["evidence"] = [
                entry(
                    self.evidence_id,
                    "failed",
                    measured=f"release status {status}",
                    threshold="deployed, every workload rolled out",
                    detail=f"{cause.splitlines()[0][:400]}; {result['diagnostics_summary']}{where}",
                    where=f"{namespace}/{name}",
                )
            ]
        return RolloutFailed(f"{cause.strip()} -- {result['diagnostics_summary']}{where}", result)
