# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helm releases: the helm binary, the decision to upgrade, pending-release recovery and rollback.

The helm binary does the work (``upgrade --install --wait --atomic``, ``rollback``); this module decides
whether a run changes anything by rendering the chart with ``--dry-run=server`` and comparing the
result with the live release (manifest, hooks, user values, chart), so a second identical run is a no-op
and check mode can report the change without making it. The release as data (its fingerprint, history, manifest,
rollout and the records helm stores in the cluster) is in ``helm_release``.
"""

from __future__ import annotations

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
    ConfigurationError,
)


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
        self,
        spec: ReleaseSpec,
        dry_run: bool = False,
        watch: Callable[[], str | None] | None = None,
        validated: bool = False,
    ) -> dict[str, Any]:
        """helm upgrade --install; the release (JSON) helm reports. dry_run renders against the server (its
        warnings, e.g. Pod Security's, are in self.stderr afterwards); watch stops the upgrade early.

        validated: a dry run of this same spec has just checked the manifests against the API's OpenAPI schema, so
        the upgrade does not fetch and parse the schema again (half a second of CPU and of waiting per upgrade)."""
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
            if validated:
                args += ["--disable-openapi-validation"]
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
