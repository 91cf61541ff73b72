# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm releases: the helm binary, the decision to upgrade, pending-release recovery and rollback.

The helm binary does the work (``upgrade --install --wait --atomic``, ``rollback``); this module decides
whether a run changes anything by rendering the chart with ``--dry-run=server`` and comparing the
result with the live release (manifest, hooks, user values, chart), so a second identical run is a no-op
and check mode can report the change without making it.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    CheckFailed,
    ConfigurationError,
)

PENDING = ("pending-install", "pending-upgrade", "pending-rollback")
# Revisions a rollback may return to: they were live once and completed.
GOOD = ("deployed", "superseded")
PENDING_ACTIONS = ("rollback", "fail")
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")


class HelmCommandFailed(ApiError):
    """helm exited non-zero; the message carries its error output."""

    def __init__(self, message: str, stderr: str = "", timed_out: bool = False):
        super().__init__(message)
        self.stderr = stderr
        self.timed_out = timed_out


class StoppedEarly(HelmCommandFailed):
    """helm was stopped before its timeout because the cluster reported a cause that waiting cannot cure."""


@dataclass
class ReleaseSpec:
    """What a run asks for: the chart and the values it is installed with."""

    # Every field is an option of helm_release: its option table holds the defaults, none is restated here.
    name: str
    namespace: str
    chart: str
    chart_version: str | None
    repo: str | None
    values_files: list[str]
    values: dict[str, Any]
    set_values: dict[str, str]
    wait: bool
    atomic: bool
    timeout: int
    history_max: int

    def validate(self) -> None:
        if not self.name or len(self.name) > 53:
            raise ConfigurationError(f"release name {self.name!r} must have 1 to 53 characters (helm's limit)")
        if not self.namespace:
            raise ConfigurationError("a namespace is required")
        if not self.chart:
            raise ConfigurationError("a chart (path, repo/name or oci:// reference) is required")
        is_local = self.chart.startswith(("/", ".", "~")) or os.path.sep in self.chart and not self.repo
        if is_local and not self.chart.startswith("oci://") and not os.path.exists(os.path.expanduser(self.chart)):
            raise ConfigurationError(f"chart {self.chart} does not exist")
        for path in self.values_files:
            if not os.path.isfile(path):
                raise ConfigurationError(f"values file {path} does not exist")
        for key, value in self.set_values.items():
            if not key or "=" in key or "," in key:
                raise ConfigurationError(f"values key {key!r} is not a helm --set path")
            if value is None or str(value) == "":
                raise ConfigurationError(f"value for {key} is empty (an image tag or value must be given)")
        if self.timeout <= 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        if self.history_max < 0:
            raise ConfigurationError("history_max must be 0 (unlimited) or more")


def find_binary(binary: str | None = None) -> str:
    """The helm executable: the given path, else the first helm on PATH."""
    if binary:
        if os.path.isfile(binary) and os.access(binary, os.X_OK):
            return binary
        found = shutil.which(binary)
        if found:
            return found
        raise ConfigurationError(f"helm binary {binary} is not an executable file")
    found = shutil.which("helm")
    if not found:
        raise ConfigurationError("helm is not on PATH; install helm 3 or set helm_binary")
    return found


class Helm:
    """Runs the helm binary against one cluster (kubeconfig and context of the module)."""

    def __init__(self, binary: str | None = None, kubeconfig: str | None = None, context: str | None = None):
        self.binary = find_binary(binary)
        self.global_args: list[str] = []
        kubeconfig = kubeconfig or os.environ.get("K8S_AUTH_KUBECONFIG")
        if kubeconfig:
            self.global_args += ["--kubeconfig", os.path.expanduser(kubeconfig)]
        if context:
            self.global_args += ["--kube-context", context]
        self.commands: list[list[str]] = []
        self.stderr = ""  # the error output of the last command (warnings of a dry run)

    def run(
        self,
        args: list[str],
        what: str,
        timeout: float = 120.0,
        watch: Callable[[], str | None] | None = None,
        every: float = 2.0,
    ) -> str:
        """Run helm; with watch, ask it every `every` seconds for a cause to stop early: then helm gets SIGTERM
        (it cancels the operation, rolling back with --atomic) and the failure carries that cause."""
        cmd = [self.binary, *args, *self.global_args]
        self.commands.append(cmd)
        self.stderr = ""
        cause = None
        try:
            proc = subprocess.Popen(  # noqa: S603
                cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
        except OSError as exc:
            raise ConfigurationError(f"cannot run {self.binary}: {exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            try:
                out, err = proc.communicate(timeout=every if watch else max(0.1, deadline - time.monotonic()))
                break
            except subprocess.TimeoutExpired as exc:
                if time.monotonic() >= deadline:
                    proc.kill()
                    proc.communicate()
                    raise HelmCommandFailed(f"helm {what}: no answer after {timeout:.0f}s", timed_out=True) from exc
                if watch is not None and cause is None:
                    try:
                        cause = watch()
                    except Exception:  # noqa: BLE001 - a failed look only delays the next one
                        cause = None
                    if cause:
                        proc.send_signal(signal.SIGTERM)
        self.stderr = err or ""
        if cause:
            raise StoppedEarly(f"helm {what} stopped: {cause}", stderr=cause)
        if proc.returncode != 0:
            err = (err or out).strip()
            raise HelmCommandFailed(f"helm {what} failed: {err}", stderr=err, timed_out="deadline exceeded" in err)
        return out

    # -- reading -------------------------------------------------------------------------
    def status(self, name: str, namespace: str) -> dict[str, Any] | None:
        """The latest revision of the release (any status), None when it does not exist."""
        try:
            out = self.run(["status", name, "-n", namespace, "-o", "json"], f"status of {namespace}/{name}")
        except HelmCommandFailed as exc:
            if "not found" in exc.stderr:
                return None
            raise
        return json.loads(out)

    def history(self, name: str, namespace: str) -> list[dict[str, Any]]:
        try:
            out = self.run(
                ["history", name, "-n", namespace, "-o", "json", "--max", "256"], f"history of {namespace}/{name}"
            )
        except HelmCommandFailed as exc:
            if "not found" in exc.stderr:
                return []
            raise
        return sorted(json.loads(out) or [], key=lambda r: int(r["revision"]))

    def manifest(self, name: str, namespace: str, revision: int | None = None) -> str:
        args = ["get", "manifest", name, "-n", namespace]
        if revision:
            args += ["--revision", str(revision)]
        return self.run(args, f"manifest of {namespace}/{name}")

    # -- changing ------------------------------------------------------------------------
    def upgrade(
        self, spec: ReleaseSpec, dry_run: bool = False, watch: Callable[[], str | None] | None = None
    ) -> dict[str, Any]:
        """helm upgrade --install; the release (JSON) helm reports. dry_run renders against the server (its
        warnings, e.g. Pod Security's, are in self.stderr afterwards); watch stops the upgrade early."""
        with _values_file(spec.values) as inline:
            args = ["upgrade", spec.name, spec.chart, "--install", "-n", spec.namespace, "-o", "json"]
            if spec.repo:
                args += ["--repo", spec.repo]
            if spec.chart_version:
                args += ["--version", spec.chart_version]
            for path in spec.values_files:
                args += ["--values", path]
            if inline:
                args += ["--values", inline]
            for key, value in spec.set_values.items():
                args += ["--set-string", f"{key}={value}"]
            if dry_run:
                args += ["--dry-run=server"]
                return json.loads(self.run(args, f"render of {spec.namespace}/{spec.name}", timeout=120))
            args += ["--timeout", f"{spec.timeout}s", "--history-max", str(spec.history_max)]
            if spec.atomic:
                args += ["--atomic"]
            if spec.wait or spec.atomic:
                args += ["--wait"]
            # helm enforces --timeout itself; ours only guards against a hung process
            out = self.run(
                args, f"upgrade of {spec.namespace}/{spec.name}", timeout=spec.timeout * 2 + 120, watch=watch
            )
            return json.loads(out)

    def rollback(self, name: str, namespace: str, revision: int, wait: bool, timeout: int, history_max: int) -> None:
        args = ["rollback", name, str(revision), "-n", namespace, "--timeout", f"{timeout}s"]
        args += ["--history-max", str(history_max)]
        if wait:
            args += ["--wait"]
        self.run(args, f"rollback of {namespace}/{name} to revision {revision}", timeout=timeout * 2 + 120)


@contextmanager
def _values_file(values: dict[str, Any]) -> Iterator[str | None]:
    """Inline values as a private temporary file (they may hold secrets), removed afterwards."""
    if not values:
        yield None
        return
    fd, path = tempfile.mkstemp(prefix="smeplatform-values-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(values, handle)
        yield path
    finally:
        os.unlink(path)


# -- comparing ---------------------------------------------------------------------------
def release_fingerprint(release: dict[str, Any]) -> dict[str, Any]:
    """What makes two releases the same: chart, user values, manifest and hooks."""
    chart = (release.get("chart") or {}).get("metadata") or {}
    hooks = sorted((h.get("path", ""), (h.get("manifest") or "").strip()) for h in release.get("hooks") or [])
    return {
        "chart": release.get("chart_ref") or f"{chart.get('name')}-{chart.get('version')}",
        "app_version": release.get("app_version", chart.get("appVersion")) or None,
        "config": release.get("config") or {},
        "manifest": (release.get("manifest") or "").strip(),
        "hooks": hooks,
    }


def with_chart(release: dict[str, Any] | None, history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """`helm status` leaves the chart out: take its name-version and app version from the history."""
    if release is None or release.get("chart") or not history:
        return release
    entry = next((h for h in history if int(h["revision"]) == int(release.get("version") or 0)), history[-1])
    return {**release, "chart_ref": entry.get("chart"), "app_version": entry.get("app_version") or None}


def release_changes(live: dict[str, Any] | None, desired: dict[str, Any]) -> list[str]:
    """Names of what differs between the live release and the desired one; empty when nothing does."""
    if live is None:
        return ["release does not exist"]
    status = (live.get("info") or {}).get("status")
    changes = [] if status == "deployed" else [f"last revision is {status}"]
    before, after = release_fingerprint(live), release_fingerprint(desired)
    for key in ("chart", "app_version", "config", "manifest", "hooks"):
        if before[key] != after[key]:
            changes.append(key)
    return changes


def parse_manifest(text: str) -> list[dict[str, Any]]:
    import yaml

    return [doc for doc in yaml.safe_load_all(text or "") if isinstance(doc, dict) and doc.get("kind")]


def images(manifest: str) -> list[str]:
    """Container images of the workloads in a manifest, in order, without repeats."""
    found: list[str] = []
    for obj in parse_manifest(manifest):
        spec = (obj.get("spec") or {}).get("template", {}).get("spec") or (obj.get("spec") or {}).get("jobTemplate", {})
        for container in (spec or {}).get("initContainers", []) + (spec or {}).get("containers", []):
            image = container.get("image")
            if image and image not in found:
                found.append(image)
    return found


def summary(release: dict[str, Any] | None) -> dict[str, Any]:
    """The short description of a release the module returns."""
    if not release:
        return {}
    info = release.get("info") or {}
    chart = (release.get("chart") or {}).get("metadata") or {}
    return {
        "name": release.get("name"),
        "namespace": release.get("namespace"),
        "revision": release.get("version"),
        "status": info.get("status"),
        "description": info.get("description"),
        "chart": release.get("chart_ref") or (f"{chart.get('name')}-{chart.get('version')}" if chart else None),
        "app_version": release.get("app_version", chart.get("appVersion")),
        "images": images(release.get("manifest") or ""),
    }


def previous_good_revision(history: list[dict[str, Any]], before: int) -> int | None:
    """The newest revision below `before` that was live and completed (deployed or superseded)."""
    good = [int(r["revision"]) for r in history if int(r["revision"]) < before and r.get("status") in GOOD]
    return max(good) if good else None


def rolled_back_from(history: list[dict[str, Any]]) -> set[int]:
    """Revisions that were rolled back away from: the revision after them is a helm rollback ("Rollback to N").

    Such a revision was judged bad once (by a smoke gate or an operator); "roll back to the previous revision"
    must not return to it, or a second rollback would undo the first.
    """
    ordered = sorted(history, key=lambda r: int(r["revision"]))
    return {
        int(before["revision"])
        for before, after in zip(ordered, ordered[1:], strict=False)
        if str(after.get("description") or "").startswith("Rollback to ")
    }


def pending_plan(history: list[dict[str, Any]], action: str, release: str = "<release>") -> dict[str, Any] | None:
    """What to do about a release stuck in a pending state; None when it is not stuck."""
    if not history:
        return None
    last = history[-1]
    if last.get("status") not in PENDING:
        return None
    revision = int(last["revision"])
    target = previous_good_revision(history, revision)
    plan = {"status": last["status"], "revision": revision, "target": target, "action": action}
    if action == "fail":
        raise CheckFailed(
            f"release is stuck in {last['status']} at revision {revision} (an interrupted helm run). "
            f"Check that no deployment is running, then roll back with `helm rollback {release} {target}` "
            "or set the pending action to rollback"
            if target
            else f"release is stuck in {last['status']} at revision {revision} and has no deployed revision; "
            "check that no deployment is running, then remove it with `helm uninstall`"
        )
    if target is None:
        raise CheckFailed(
            f"release is stuck in {last['status']} at revision {revision} and has no earlier deployed revision "
            "to roll back to; check that no deployment is running, then remove it with `helm uninstall`"
        )
    return plan


# -- the live objects ---------------------------------------------------------------------
WORKLOAD_PLURALS = {"Deployment": "deployments", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


def rollout_status(kube: Any, manifest: str, namespace: str) -> list[dict[str, Any]]:
    """Whether each workload of the manifest has rolled out: updated, ready and available replicas."""
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

    out = []
    for obj in parse_manifest(manifest):
        kind = obj["kind"]
        if kind not in WORKLOAD_KINDS:
            continue
        name = obj["metadata"]["name"]
        ns = obj["metadata"].get("namespace") or namespace
        live = k8s.get(kube, f"{kind} {ns}/{name}", k8s.path("apps/v1", WORKLOAD_PLURALS[kind], ns, name))
        if live is None:
            out.append({"kind": kind, "name": name, "complete": False, "detail": "missing"})
            continue
        rollout = k8s.workload_rollout({**live, "kind": kind})
        out.append(
            {
                "kind": kind,
                "name": name,
                "complete": rollout["complete"],
                "replicas": rollout["replicas"],
                "updated": rollout["updated"],
                "ready": rollout["ready"],
                "available": rollout["available"],
                "images": rollout["images"],
            }
        )
    return out


def wait_rollout(kube: Any, manifest: str, namespace: str, timeout: float) -> list[dict[str, Any]]:
    """rollout_status until every workload is complete or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        status = rollout_status(kube, manifest, namespace)
        if all(w["complete"] for w in status) or time.monotonic() >= deadline:
            return status
        time.sleep(1.0)


def release_records(kube: Any, namespace: str, release: str) -> list[dict[str, Any]]:
    """Helm's own storage Secrets of a release (API JSON), oldest revision first: the one place checks read a
    release without the helm binary."""
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

    found = k8s.items(
        kube, f"Helm release records of {namespace}/{release}", "v1", "secrets", namespace, f"owner=helm,name={release}"
    )
    return sorted(found, key=lambda s: int(_record_labels(s).get("version", "0")))


def _record_labels(record: dict[str, Any]) -> dict[str, str]:
    return (record.get("metadata") or {}).get("labels") or {}


def decode_release(secret_data: dict[str, str]) -> dict[str, Any]:
    """A Helm 3 release from its storage Secret: base64 (Kubernetes) of base64 of gzipped JSON."""
    try:
        raw = base64.b64decode(base64.b64decode(secret_data["release"]))
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        return json.loads(raw)
    except (KeyError, ValueError, OSError) as exc:
        raise ApiError(f"cannot decode the Helm release record: {exc}") from exc


def deployed_release(kube: Any, namespace: str, release: str) -> dict[str, Any] | None:
    """The newest deployed revision of a release (the newest record when none is deployed), decoded; None when the
    release has no record."""
    records = release_records(kube, namespace, release)
    deployed = [r for r in records if _record_labels(r).get("status") == "deployed"]
    chosen = (deployed or records or [None])[-1]
    return decode_release(chosen.get("data") or {}) if chosen is not None else None


def release_installed(kube: Any, namespace: str, release: str) -> bool:
    """A revision of the Helm release is deployed in the namespace (read from helm's own release Secrets)."""
    return any(_record_labels(r).get("status") == "deployed" for r in release_records(kube, namespace, release))
