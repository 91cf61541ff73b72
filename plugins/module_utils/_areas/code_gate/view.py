# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every check of one gate run shares: the clone at the tag, the tag's commit, and the CI data read once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import MAX_LISTED, Settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.git import Clone, Tag
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry


class Memo:
    """Values computed once per gate run, shared by the checks' threads; a failure is not remembered."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._values: dict[str, Any] = {}

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._values:
                self._values[key] = make()
            return self._values[key]


def _listed(values: list[Any]) -> list[Any]:
    return values[:MAX_LISTED] + ([f"... {len(values) - MAX_LISTED} more"] if len(values) > MAX_LISTED else [])


class GateView:
    """One run of the gate: the clone at the tag, the tag's commit, and the shared CI data."""

    def __init__(self, settings: Settings, clone: Clone, tag: Tag) -> None:
        self.s = settings
        self.clone = clone
        self.tag = tag
        self.sha = tag.commit
        self.memo = Memo()
        self.runbook: dict[str, Any] | None = None

    # -- shared data ------------------------------------------------------------------------------------
    def files(self) -> dict[str, int]:
        return self.memo.get("files", lambda: self.clone.files(self.sha))

    def text(self, path: str) -> str:
        with open(os.path.join(self.clone.path, path), encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def check_runs(self) -> dict[str, dict[str, Any]]:
        """The newest check run of each name for the tag's commit."""

        def load() -> dict[str, dict[str, Any]]:
            newest: dict[str, dict[str, Any]] = {}
            for run in self.s.github.check_runs(self.sha):
                name = run.get("name", "")
                if name not in newest or (run.get("id") or 0) > (newest[name].get("id") or 0):
                    newest[name] = run
            return newest

        return self.memo.get("check_runs", load)

    def artifact(self, name: str) -> tuple[dict[str, bytes], dict[str, Any]] | None:
        """Files of the newest unexpired artifact called name on the workflow runs of the tag's commit."""

        def load() -> tuple[dict[str, bytes], dict[str, Any]] | None:
            runs = self.memo.get("workflow_runs", lambda: self.s.github.workflow_runs(self.sha))
            for run in sorted(runs, key=lambda r: (r.get("created_at") or "", r.get("id") or 0), reverse=True):
                for artifact in self.s.github.artifacts(run["id"]):
                    if artifact.get("name") == name and not artifact.get("expired"):
                        return self.s.github.artifact_files(artifact), {
                            "run": run.get("id"),
                            "workflow": run.get("path") or run.get("name"),
                            "artifact": artifact.get("id"),
                        }
            return None

        return self.memo.get(f"artifact:{name}", load)

    def no_artifact(self, item_id: str, name: str, what: str = "", **extra: Any) -> dict[str, Any]:
        """The item failed: the CI runs of the tag's commit left no artifact called name."""
        return entry(
            item_id,
            "failed",
            detail=f"no artifact {name!r}{f' ({what})' if what else ''} on the CI runs of {self.tag.name} "
            f"({self.sha[:12]})",
            where=self.s.github.where,
            **extra,
        )
