# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate: sections 1, 8.1, 10 and deployment step 1 from the application's repository at the release tag,
the CI provider's results for that exact commit, and the registry's image metadata.

``run_gate`` clones the repository (never touching the original), checks the tag's commit out, and runs every
check concurrently on one shared view of the CI data (each GitHub list read once). Each check returns evidence
entries; a server that cannot be reached fails the items of that check only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.ci import CiChecks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.images import ImageChecks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.repository import RepositoryChecks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import (
    Settings,
    settings_from,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.git import Clone
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks

__all__ = ["Gate", "Settings", "final_verification", "run_gate", "settings_from"]


class Gate(CiChecks, RepositoryChecks, ImageChecks):
    """One run of the gate: every check of the code gate on one shared view (view.GateView)."""


def _not_checked(items: list[str], why: str, where: str) -> Entries:
    return [entry(i, "failed", detail=why, where=where) for i in items if i not in ("8.2.2", "8.2.3")]


def final_verification(found: Entries) -> dict[str, Any]:
    """deploy.1: tests, coverage, E2E and the security audit, as the items that proved them say."""
    parts = ("1.1.3", "1.1.4", "1.3.1", "1.3.4")
    status = {i: [e["status"] for e in found if e["id"] == i] for i in parts}
    bad = [i for i, s in status.items() if not s or "failed" in s or "passed" not in s]
    return passed_if(
        "deploy.1",
        not bad,
        measured={i: ("failed" if "failed" in s else "passed" if s else "not checked") for i, s in status.items()},
        threshold="tests (1.1.3), coverage (1.1.4), security scans (1.3.1) and audit (1.3.4) passed",
        detail=("not passed: " + ", ".join(bad)) if bad else "tests, coverage, E2E and security audit passed",
    )


def run_gate(settings: Settings) -> tuple[Entries, dict[str, Any]]:
    """Every selected item's evidence, and the result's extra keys (commit, runbook)."""
    wanted = set(settings.items)
    with Clone(settings.repository, timeout=max(settings.timeout * 10, 120)) as clone:
        tag = clone.tag(settings.tag)
        if tag is None:
            found = (
                [
                    entry(
                        "1.2.2",
                        "failed",
                        measured={"tag": settings.tag},
                        detail=f"tag {settings.tag} does not exist in {clone.where}",
                        where=clone.where,
                    )
                ]
                if "1.2.2" in wanted
                else []
            )
            found += _not_checked(
                sorted(wanted - {"1.2.2"}),
                f"not checked: tag {settings.tag} does not exist in {clone.where}",
                clone.where,
            )
            return found, {"commit": None}
        clone.checkout(tag.commit)
        gate = Gate(settings, clone, tag)
        gh = settings.github.where
        repo = f"{clone.where}@{tag.name}"
        plan: list[Check] = []

        def add(ids: tuple[str, ...], run: Callable[[], Any], where: str) -> None:
            if wanted & set(ids):
                plan.append(Check(ids, lambda: [e for e in _as_list(run()) if e["id"] in wanted], where))

        if not settings.run_local:
            add(("1.1.1",), lambda: gate.jobs("1.1.1", ("typecheck",)), gh)
            add(("1.1.2",), lambda: gate.jobs("1.1.2", ("lint",)), gh)
            add(("1.1.3",), lambda: gate.jobs("1.1.3", ("unit", "e2e")), gh)
        add(("1.1.4",), gate.coverage, gh)
        add(("1.1.5",), gate.console_logs, repo)
        add(("1.1.6",), gate.todos, repo)
        add(("1.2.1",), gate.on_main, clone.where)
        add(("1.2.2",), gate.tagged, clone.where)
        if settings.images:
            add(("1.2.2",), gate.provenance, settings.registry.url if settings.registry else "")
        add(("1.2.3",), gate.changelog, repo)
        add(("1.2.4",), gate.release, gh)
        add(("1.3.1",), lambda: gate.jobs("1.3.1", ("security",)), gh)
        add(("1.3.2",), gate.secrets, repo)
        add(("1.3.3",), gate.gitignore, repo)
        add(("1.3.4",), gate.audit, gh)
        add(("1.3.5",), gate.image_scans, gh)
        add(("8.1.1",), gate.workflows, gh)
        add(("8.1.2",), gate.secret_names, gh)
        add(("8.1.3",), gate.staging, gh)
        add(("8.2.2", "8.2.3"), gate.registry_policies, settings.registry.url if settings.registry else "")
        for item_id, path in sorted(settings.docs.items()):
            add((item_id,), lambda i=item_id, p=path: gate.doc(i, p), repo)
        if settings.runbook_collection_root:
            add(("10.1.2",), gate.runbook_entry, settings.runbook_collection_root)
        found: Entries = []
        if settings.run_local and wanted & {"1.1.1", "1.1.2", "1.1.3"}:
            # the project's own scripts first and alone: they load the CPU, the other checks wait on the network
            found += [
                e for e in run_checks([Check(("1.1.1", "1.1.2", "1.1.3"), gate.local, repo)]) if e["id"] in wanted
            ]
        found += run_checks(plan)
        if "deploy.1" in wanted:
            found.append(final_verification(found))
        extra = {"commit": tag.commit, "tag_date": tag.date.astimezone(UTC).isoformat()}
        if gate.runbook is not None:
            extra["runbook"] = gate.runbook["text"]
        return found, extra


def _as_list(value: Any) -> Entries:
    return value if isinstance(value, list) else [value]
