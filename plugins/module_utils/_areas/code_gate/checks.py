# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate: sections 1, 8.1, 10 and deployment step 1 from the application's repository at the release tag,
the CI provider's results for that exact commit, and the registry's image metadata.

``run_gate`` clones the repository (never touching the original), checks the tag's commit out, and runs every
check concurrently on one shared view of the CI data (each GitHub list read once). Each check returns evidence
entries; a server that cannot be reached fails the items of that check only.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import runbook, scans
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.options import DOC_ITEMS, ITEMS
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight.registry import (
    MANIFEST_TYPES,
    Registry,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.git import Clone, Tag
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.github import GitHub
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks

REVISION_LABEL = "org.opencontainers.image.revision"
MAX_LISTED = 20
MAX_SCAN_BYTES = 1 << 20
JOB_GROUPS = ("typecheck", "lint", "unit", "e2e", "security")


@dataclass(frozen=True)
class Image:
    repository: str
    tag: str

    @property
    def ref(self) -> str:
        return f"{self.repository}:{self.tag}"


@dataclass
class Settings:
    """The module's parameters, checked and normalised before anything is read."""

    repository: str
    tag: str
    main_branch: str
    tag_pattern: str
    github: GitHub
    ci_jobs: dict[str, list[str]]
    coverage_artifact: str
    coverage_metric: str
    coverage_min: float
    console_globs: list[str]
    test_globs: list[str]
    critical_globs: list[str]
    todo_markers: list[str]
    changelog_path: str
    gitignore_must_ignore: list[str]
    secret_scan_exclude: list[str]
    audit_artifact: str
    audit_fail_levels: list[str]
    audit_allowlist: list[dict[str, Any]]
    scan_artifact: str
    scan_fail_severities: list[str]
    workflows_required: list[str]
    secrets_required: list[str]
    secret_environments: list[str]
    staging_workflow: str
    staging_same_commit: bool
    docs: dict[str, str]
    docs_max_age_days: int
    registry: Registry | None
    images: list[Image]
    runbook_collection_root: str | None
    runbook_environment: str
    run_local: bool
    local_scripts: dict[str, str]
    local_install: bool
    local_timeout: float
    npm: str
    items: list[str]
    timeout: float = 20.0
    today: datetime = field(default_factory=lambda: datetime.now(UTC))


def settings_from(params: dict[str, Any], session: Callable[[], Any]) -> Settings:
    """Validate the module parameters; ConfigurationError names the first bad one."""
    unknown = sorted(set(params["items"]) - set(ITEMS))
    if unknown:
        raise ConfigurationError(
            f"items {', '.join(unknown)} are not proven by the code gate (it proves {', '.join(ITEMS)})"
        )
    jobs: dict[str, list[str]] = {}
    for group, names in (params["ci_jobs"] or {}).items():
        if group not in JOB_GROUPS:
            raise ConfigurationError(f"ci_jobs.{group}: not a job group (use {', '.join(JOB_GROUPS)})")
        names = [names] if isinstance(names, str) else list(names or [])
        if not all(isinstance(n, str) and n for n in names):
            raise ConfigurationError(f"ci_jobs.{group}: give a list of check run (job) names")
        jobs[group] = names
    for group in JOB_GROUPS:
        if not jobs.get(group):
            raise ConfigurationError(f"ci_jobs.{group}: name at least one CI job (check run) for it")
    docs = {str(k): str(v) for k, v in (params["docs"] or {}).items()}
    bad_docs = sorted(set(docs) - set(DOC_ITEMS))
    if bad_docs:
        raise ConfigurationError(f"docs: {', '.join(bad_docs)} are not section 10 items (use {', '.join(DOC_ITEMS)})")
    for globs in ("console_globs", "test_globs", "critical_globs", "secret_scan_exclude"):
        for pattern in params[globs]:
            scans.glob_regex(pattern)
    levels = [s.lower() for s in params["audit_fail_levels"]]
    if not set(levels) <= set(scans.SEVERITIES):
        raise ConfigurationError(f"audit_fail_levels {levels}: use npm audit's levels {', '.join(scans.SEVERITIES)}")
    if not 0 <= params["coverage_min"] <= 100:
        raise ConfigurationError(f"coverage_min {params['coverage_min']}: a percentage between 0 and 100")
    if params["docs_max_age_days"] < 0:
        raise ConfigurationError("docs_max_age_days: must be 0 or more")
    images = []
    for raw in params["images"] or []:
        if not raw.get("repository") or not raw.get("tag"):
            raise ConfigurationError(f"image {raw!r}: needs a repository and a tag")
        images.append(Image(raw["repository"].strip("/"), raw["tag"]))
    registry = None
    if images:
        if not params.get("registry_url"):
            raise ConfigurationError("images are given but no registry_url to read them from")
        registry = Registry(
            params["registry_url"], params.get("registry_username"), params.get("registry_password"), session
        )
    scans.version_of(params["tag"], params["tag_pattern"])  # a bad pattern fails here
    local_scripts = {k: str(v or "") for k, v in (params["local_scripts"] or {}).items()}
    return Settings(
        repository=params["repository"],
        tag=params["tag"],
        main_branch=params["main_branch"],
        tag_pattern=params["tag_pattern"],
        github=GitHub(params["github_url"], params["github_repository"], params["github_token"], session),
        ci_jobs=jobs,
        coverage_artifact=params["coverage_artifact"],
        coverage_metric=params["coverage_metric"],
        coverage_min=float(params["coverage_min"]),
        console_globs=params["console_globs"],
        test_globs=params["test_globs"],
        critical_globs=params["critical_globs"],
        todo_markers=params["todo_markers"],
        changelog_path=params["changelog_path"],
        gitignore_must_ignore=params["gitignore_must_ignore"],
        secret_scan_exclude=params["secret_scan_exclude"],
        audit_artifact=params["audit_artifact"],
        audit_fail_levels=levels,
        audit_allowlist=scans.parse_allowlist(params["audit_allowlist"]),
        scan_artifact=params["scan_artifact"],
        scan_fail_severities=[s.lower() for s in params["scan_fail_severities"]],
        workflows_required=params["workflows_required"],
        secrets_required=params["secrets_required"],
        secret_environments=params["secret_environments"],
        staging_workflow=params["staging_workflow"],
        staging_same_commit=params["staging_same_commit"],
        docs=docs,
        docs_max_age_days=params["docs_max_age_days"],
        registry=registry,
        images=images,
        runbook_collection_root=params.get("runbook_collection_root"),
        runbook_environment=params.get("runbook_environment") or "",
        run_local=params["run_local"],
        local_scripts=local_scripts,
        local_install=params["local_install"],
        local_timeout=params["local_timeout"],
        npm=params["npm"],
        items=list(params["items"]),
        timeout=params["timeout"],
    )


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


class Gate:
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

    def image_meta(self) -> dict[str, dict[str, Any]]:
        """Per image to deploy: its manifest digest and the labels of its config."""
        return self.memo.get("images", lambda: {i.ref: read_image(self.s.registry, i) for i in self.s.images})

    # -- 1.1: CI jobs, coverage, code scans ---------------------------------------------------------------
    def jobs(self, item_id: str, groups: tuple[str, ...]) -> dict[str, Any]:
        runs = self.check_runs()
        measured: dict[str, str] = {}
        bad = []
        for group in groups:
            for name in self.s.ci_jobs[group]:
                # the job itself, or every variant of a matrix job ("unit (18.x)", "unit (20.x)")
                found = {n: r for n, r in runs.items() if n == name or n.startswith(name + " (")}
                if not found:
                    measured[name] = "missing"
                    bad.append(f"{name}: no check run for commit {self.sha[:12]}")
                    continue
                for run_name, run in sorted(found.items()):
                    state = run.get("conclusion") or run.get("status") or "unknown"
                    measured[run_name] = state
                    if state != "success":
                        bad.append(f"{run_name}: {state}" + (f" ({run['html_url']})" if run.get("html_url") else ""))
        return passed_if(
            item_id,
            not bad,
            measured=measured,
            threshold=f"check runs {', '.join(n for g in groups for n in self.s.ci_jobs[g])} concluded success",
            detail="; ".join(bad) if bad else f"all {len(measured)} job(s) green for {self.tag.name} ({self.sha[:12]})",
            where=self.s.github.where,
        )

    def coverage(self) -> dict[str, Any]:
        local = os.path.join(self.clone.path, "coverage", "coverage-summary.json")
        if self.s.run_local and os.path.exists(local):
            with open(local, "rb") as handle:
                files, source = {"coverage/coverage-summary.json": handle.read()}, {"local": local}
        else:
            found = self.artifact(self.s.coverage_artifact)
            if found is None:
                return entry(
                    "1.1.4",
                    "failed",
                    measured=None,
                    threshold=f">= {self.s.coverage_min:g} %",
                    detail=f"no artifact {self.s.coverage_artifact!r} on the CI runs of {self.tag.name} "
                    f"({self.sha[:12]})",
                    where=self.s.github.where,
                )
            files, source = found
        try:
            pct, name = scans.coverage_pct(files, self.s.coverage_metric)
        except ValueError as exc:
            raise ApiError(f"artifact {self.s.coverage_artifact}: {exc}") from exc
        return passed_if(
            "1.1.4",
            pct >= self.s.coverage_min,
            measured={"pct": pct, "metric": self.s.coverage_metric, "file": name, **source},
            threshold=f">= {self.s.coverage_min:g} % {self.s.coverage_metric}",
            detail=f"{self.s.coverage_metric} coverage {pct:g} % (minimum {self.s.coverage_min:g} %)",
            where=self.s.github.where,
        )

    def console_logs(self) -> dict[str, Any]:
        paths = scans.matching(sorted(self.files()), self.s.console_globs, self.s.test_globs)
        found = [str(f) for p in paths for f in scans.console_logs(p, self.text(p))]
        return passed_if(
            "1.1.5",
            bool(paths) and not found,
            measured={"files_scanned": len(paths), "console_log": _listed(found)},
            threshold=f"no console.log( in {', '.join(self.s.console_globs)} (tests excluded)",
            detail=("console.log in production code: " + "; ".join(found[:5]))
            if found
            else (
                f"{len(paths)} production file(s) scanned at {self.tag.name}, none calls console.log"
                if paths
                else f"no file matches {self.s.console_globs} at {self.tag.name}: nothing was scanned"
            ),
            where=f"{self.clone.where}@{self.tag.name}",
        )

    def todos(self) -> dict[str, Any]:
        paths = scans.matching(sorted(self.files()), self.s.critical_globs, self.s.test_globs)
        found = [str(f) for p in paths for f in scans.todo_markers(p, self.text(p), self.s.todo_markers)]
        return passed_if(
            "1.1.6",
            bool(paths) and not found,
            measured={"files_scanned": len(paths), "markers": _listed(found)},
            threshold=f"no {'/'.join(self.s.todo_markers)} comment in {', '.join(self.s.critical_globs)}",
            detail=("marker comments in critical paths: " + "; ".join(found[:5]))
            if found
            else (
                f"{len(paths)} critical-path file(s) scanned, no marker comment"
                if paths
                else f"no file matches {self.s.critical_globs} at {self.tag.name}: nothing was scanned"
            ),
            where=f"{self.clone.where}@{self.tag.name}",
        )

    def local(self) -> Entries:
        """1.1.1-1.1.3 from the project's own package.json scripts, run in the checkout."""
        cwd = self.clone.path
        try:
            scripts = json.loads(self.text("package.json")).get("scripts") or {}
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"run_local: no readable package.json at {self.tag.name}: {exc}") from exc
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("GITHUB_", "CODE_GATE_"))}
        env.update({"CI": "true", "NO_UPDATE_NOTIFIER": "1", "npm_config_audit": "false", "npm_config_fund": "false"})
        outcomes: dict[str, tuple[int, str, float]] = {}

        def npm(*args: str) -> tuple[int, str, float]:
            started = time.monotonic()
            try:
                proc = subprocess.run(
                    [self.s.npm, *args],
                    cwd=cwd,
                    env=env,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    timeout=self.s.local_timeout,
                    check=False,
                )
            except FileNotFoundError as exc:
                raise ConfigurationError(f"run_local: {self.s.npm} is not installed on the controller") from exc
            except subprocess.TimeoutExpired:
                return 124, f"timed out after {self.s.local_timeout:g}s", time.monotonic() - started
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-6:])
            return proc.returncode, tail, time.monotonic() - started

        if self.s.local_install and os.path.exists(os.path.join(cwd, "package-lock.json")):
            code, tail, took = npm("ci", "--ignore-scripts", "--no-audit", "--no-fund")
            if code != 0:
                return [
                    entry(
                        i,
                        "failed",
                        measured={"npm ci": code},
                        detail=f"npm ci failed: {tail}",
                        where=f"{self.clone.where}@{self.tag.name}",
                    )
                    for i in ("1.1.1", "1.1.2", "1.1.3")
                ]
        for group in ("typecheck", "lint", "unit", "e2e"):
            script = self.s.local_scripts.get(group) or ""
            if script:
                if script not in scripts:
                    outcomes[group] = (127, f"package.json has no script {script!r}", 0.0)
                else:
                    outcomes[group] = npm("run", script)
        out = []
        for item_id, groups in (("1.1.1", ("typecheck",)), ("1.1.2", ("lint",)), ("1.1.3", ("unit", "e2e"))):
            local = [g for g in groups if g in outcomes]
            if not local:
                out.append(self.jobs(item_id, groups))
                continue
            bad = [
                f"npm run {self.s.local_scripts[g]} exited {outcomes[g][0]}: {outcomes[g][1]}"
                for g in local
                if outcomes[g][0] != 0
            ]
            one = passed_if(
                item_id,
                not bad,
                measured={self.s.local_scripts[g]: outcomes[g][0] for g in local},
                threshold="exit code 0",
                duration=sum(outcomes[g][2] for g in local),
                detail="; ".join(bad)
                if bad
                else f"{', '.join('npm run ' + self.s.local_scripts[g] for g in local)} passed at {self.tag.name}",
                where=f"{self.clone.where}@{self.tag.name}",
            )
            out.append(one)
            remote = [g for g in groups if g not in outcomes]
            if remote:
                out.append(self.jobs(item_id, tuple(remote)))
        return out

    # -- 1.2: version control ---------------------------------------------------------------------------
    def on_main(self) -> dict[str, Any]:
        head = self.clone.branch_head(self.s.main_branch)
        if head is None:
            return entry(
                "1.2.1", "failed", detail=f"the repository has no branch {self.s.main_branch}", where=self.clone.where
            )
        ok = self.clone.is_ancestor(self.sha, head)
        return passed_if(
            "1.2.1",
            ok,
            measured={"tag": self.tag.name, "commit": self.sha, f"{self.s.main_branch}": head},
            threshold=f"the tag's commit is on {self.s.main_branch}",
            detail=f"{self.tag.name} ({self.sha[:12]}) is "
            + ("" if ok else "not ")
            + f"on {self.s.main_branch} ({head[:12]})"
            + ("" if ok else ": the release was cut from another branch"),
            where=self.clone.where,
        )

    def tagged(self) -> dict[str, Any]:
        version = scans.version_of(self.tag.name, self.s.tag_pattern)
        return passed_if(
            "1.2.2",
            version is not None,
            measured={"tag": self.tag.name, "commit": self.sha, "annotated": self.tag.annotated, "version": version},
            threshold=f"tag exists and matches {self.s.tag_pattern}",
            detail=f"{self.tag.name} -> {self.sha[:12]} ({'annotated' if self.tag.annotated else 'lightweight'})"
            + ("" if version else f"; the name does not match {self.s.tag_pattern}"),
            where=self.clone.where,
        )

    def provenance(self) -> dict[str, Any]:
        meta = self.image_meta()
        wrong = []
        measured = {}
        for ref, one in meta.items():
            revision = one["labels"].get(REVISION_LABEL)
            measured[ref] = {"digest": one["digest"], "revision": revision}
            if revision != self.sha:
                wrong.append(f"{ref} ({one['digest'][:19]}) has {REVISION_LABEL}={revision or '(none)'}")
        return passed_if(
            "1.2.2",
            bool(meta) and not wrong,
            measured=measured,
            threshold=f"every image to deploy carries {REVISION_LABEL}={self.sha}",
            detail=("images not built from " + f"{self.tag.name} ({self.sha[:12]}): " + "; ".join(wrong))
            if wrong
            else f"{len(meta)} image(s) built from {self.tag.name} ({self.sha[:12]})",
            where=self.s.registry.url if self.s.registry else "",
        )

    def changelog(self) -> dict[str, Any]:
        version = scans.version_of(self.tag.name, self.s.tag_pattern) or self.tag.name.lstrip("v")
        path = self.s.changelog_path
        if path not in self.files():
            return entry(
                "1.2.3",
                "failed",
                detail=f"{path} is not in the repository at {self.tag.name}",
                where=f"{self.clone.where}@{self.tag.name}",
            )
        found = scans.changelog_section(self.text(path), version)
        return passed_if(
            "1.2.3",
            found is not None,
            measured={"file": path, "line": found[0], "heading": found[1]}
            if found
            else {"file": path, "heading": None},
            threshold=f"a section for {version} in {path}",
            detail=f"{path}:{found[0]}: {found[1]}"
            if found
            else f"{path} at {self.tag.name} has no section for {version}",
            where=f"{self.clone.where}@{self.tag.name}",
        )

    def release(self) -> dict[str, Any]:
        found = self.s.github.release(self.tag.name)
        if found is None:
            return entry(
                "1.2.4", "failed", detail=f"no GitHub release for tag {self.tag.name}", where=self.s.github.where
            )
        notes = (found.get("body") or "").strip()
        bad = ["it is a draft"] if found.get("draft") else []
        bad += [] if notes else ["its notes are empty"]
        return passed_if(
            "1.2.4",
            not bad,
            measured={
                "name": found.get("name"),
                "draft": bool(found.get("draft")),
                "notes_chars": len(notes),
                "url": found.get("html_url"),
            },
            threshold="a published release with notes",
            detail=f"release {found.get('name')!r} of {self.tag.name}: "
            + ("; ".join(bad) if bad else f"{len(notes)} characters of notes"),
            where=self.s.github.where,
        )

    # -- 1.3: security ------------------------------------------------------------------------------------
    def secrets(self) -> dict[str, Any]:
        sizes = self.files()
        paths = scans.matching(sorted(sizes), ["**"], self.s.secret_scan_exclude)
        big = [p for p in paths if sizes[p] > MAX_SCAN_BYTES]
        scanned = [p for p in paths if sizes[p] <= MAX_SCAN_BYTES]
        found = scans.secrets_in(self.clone.path, scanned)
        listed = [f"{f['file']}:{f['line']} ({f['type']})" for f in found]
        return passed_if(
            "1.3.2",
            not found,
            measured={"files_scanned": len(scanned), "findings": _listed(listed), "skipped_large": _listed(big)},
            threshold="detect-secrets finds nothing in the tracked tree",
            detail=("secrets committed: " + "; ".join(listed[:5]))
            if found
            else f"{len(scanned)} tracked file(s) at {self.tag.name} scanned with detect-secrets, no secret found",
            where=f"{self.clone.where}@{self.tag.name}",
        )

    def gitignore(self) -> dict[str, Any]:
        missed = self.clone.not_ignored(self.s.gitignore_must_ignore)
        tracked = self.clone.tracked_but_ignored()
        bad = ([f"not ignored: {', '.join(missed)}"] if missed else []) + (
            [f"tracked although ignored: {', '.join(_listed(tracked))}"] if tracked else []
        )
        return passed_if(
            "1.3.3",
            ".gitignore" in self.files() and not bad,
            measured={"not_ignored": missed, "tracked_ignored": _listed(tracked)},
            threshold=f".gitignore ignores {', '.join(self.s.gitignore_must_ignore)}; no ignored file is tracked",
            detail="; ".join(bad)
            if bad
            else (
                f".gitignore covers all {len(self.s.gitignore_must_ignore)} sample paths"
                if ".gitignore" in self.files()
                else "no .gitignore"
            ),
            where=f"{self.clone.where}@{self.tag.name}",
        )

    def audit(self) -> dict[str, Any]:
        found = self.artifact(self.s.audit_artifact)
        if found is None:
            return entry(
                "1.3.4",
                "failed",
                detail=f"no artifact {self.s.audit_artifact!r} (npm audit --json) on the "
                f"CI runs of {self.tag.name} ({self.sha[:12]})",
                where=self.s.github.where,
            )
        files, source = found
        findings = []
        for name, body in sorted(files.items()):
            if name.endswith(".json"):
                try:
                    findings += scans.audit_findings(json.loads(body))
                except ValueError as exc:
                    raise ApiError(f"artifact {self.s.audit_artifact}/{name}: {exc}") from exc
        today = self.s.today.date()
        blocking, waived = [], []
        for one in findings:
            if one["severity"] not in self.s.audit_fail_levels:
                continue
            allow = scans.allowed(one, self.s.audit_allowlist, today)
            label = f"{one['package']} ({one['severity']}: {', '.join(one['ids']) or 'no id'})"
            (waived if allow else blocking).append(label + (f" allowed until {allow['expires']}" if allow else ""))
        expired = [f"{a['id']} expired {a['expires']}" for a in self.s.audit_allowlist if a["expires"] < today]
        counts: dict[str, int] = {}
        for one in findings:
            counts[one["severity"]] = counts.get(one["severity"], 0) + 1
        return passed_if(
            "1.3.4",
            not blocking,
            measured={
                "by_severity": counts,
                "blocking": blocking,
                "allowed": waived,
                "expired_allowances": expired,
                **source,
            },
            threshold=f"no {'/'.join(self.s.audit_fail_levels)} vulnerability unless allow-listed and unexpired",
            detail=("unresolved: " + "; ".join(blocking[:5]))
            if blocking
            else f"npm audit: {sum(counts.values())} finding(s), none {'/'.join(self.s.audit_fail_levels)}"
            + (f" outside the allow-list ({len(waived)} allowed)" if waived else ""),
            where=self.s.github.where,
        )

    def image_scans(self) -> dict[str, Any]:
        if not self.s.images:
            return entry(
                "1.3.5",
                "failed",
                detail="no images to deploy were given: nothing to match scans against",
                where=self.s.github.where,
            )
        found = self.artifact(self.s.scan_artifact)
        if found is None:
            return entry(
                "1.3.5",
                "failed",
                detail=f"no artifact {self.s.scan_artifact!r} (Trivy JSON or SARIF) on the "
                f"CI runs of {self.tag.name} ({self.sha[:12]})",
                where=self.s.github.where,
            )
        files, source = found
        results = scans.image_scans(files)
        by_digest = {d: r for r in results for d in r["digests"]}
        bad, measured = [], {}
        for ref, one in self.image_meta().items():
            scan = by_digest.get(one["digest"])
            if scan is None:
                bad.append(f"{ref}: digest {one['digest']} was not scanned")
                measured[ref] = {"digest": one["digest"], "scanned": False}
                continue
            blocking = {s: n for s, n in scan["counts"].items() if s in self.s.scan_fail_severities and n}
            measured[ref] = {"digest": one["digest"], "scanned": True, "file": scan["file"], "counts": scan["counts"]}
            if blocking:
                bad.append(f"{ref}: {', '.join(f'{n} {s}' for s, n in blocking.items())} finding(s)")
        return passed_if(
            "1.3.5",
            not bad,
            measured={**measured, **source},
            threshold=f"every image digest to deploy scanned, no {'/'.join(self.s.scan_fail_severities)} finding",
            detail="; ".join(bad)
            if bad
            else f"{len(measured)} image digest(s) scanned, no {'/'.join(self.s.scan_fail_severities)} finding",
            where=self.s.github.where,
        )

    # -- 8.1: GitHub Actions ------------------------------------------------------------------------------
    def workflows(self) -> dict[str, Any]:
        at_tag = {p for p in self.files() if p.startswith(".github/workflows/") and p.endswith((".yml", ".yaml"))}
        api = {w.get("path", ""): w for w in self.s.github.workflows()}
        bad = []
        for name in self.s.workflows_required:
            path = name if "/" in name else f".github/workflows/{name}"
            if path not in at_tag:
                bad.append(f"{path}: not in the repository at {self.tag.name}")
            elif path not in api:
                bad.append(f"{path}: unknown to GitHub Actions")
        for path in sorted(at_tag):
            state = api.get(path, {}).get("state")
            if path in api and state != "active":
                bad.append(f"{path}: {state}")
        return passed_if(
            "8.1.1",
            bool(at_tag) and not bad,
            measured={p: api.get(p, {}).get("state", "unknown") for p in sorted(at_tag)},
            threshold=f"every workflow active; required: {', '.join(self.s.workflows_required)}",
            detail="; ".join(bad) if bad else f"{len(at_tag)} workflow(s) present and active",
            where=self.s.github.where,
        )

    def secret_names(self) -> dict[str, Any]:
        names = set(self.s.github.secret_names())
        for environment in self.s.secret_environments:
            names |= set(self.s.github.secret_names(environment))
        missing = [n for n in self.s.secrets_required if n not in names]
        return passed_if(
            "8.1.2",
            bool(self.s.secrets_required) and not missing,
            measured={"configured": len(names), "required": self.s.secrets_required, "missing": missing},
            threshold="every required secret name is configured (repository"
            + (f" and environments {', '.join(self.s.secret_environments)})" if self.s.secret_environments else ")"),
            detail=("missing secret(s): " + ", ".join(missing))
            if missing
            else (
                f"all {len(self.s.secrets_required)} required secret name(s) configured"
                if self.s.secrets_required
                else "no required secret names are configured to check (set secrets_required)"
            ),
            where=self.s.github.where,
        )

    def staging(self) -> dict[str, Any]:
        params = {"status": "completed"}
        if self.s.staging_same_commit:
            params["head_sha"] = self.sha
        runs = self.s.github.runs_of_workflow(self.s.staging_workflow, params, limit=1)
        if not runs:
            what = f" for {self.tag.name} ({self.sha[:12]})" if self.s.staging_same_commit else ""
            return entry(
                "8.1.3",
                "failed",
                detail=f"no completed run of {self.s.staging_workflow}{what}",
                where=self.s.github.where,
            )
        run = runs[0]
        return passed_if(
            "8.1.3",
            run.get("conclusion") == "success",
            measured={
                "run": run.get("id"),
                "conclusion": run.get("conclusion"),
                "head_sha": run.get("head_sha"),
                "created_at": run.get("created_at"),
                "url": run.get("html_url"),
            },
            threshold=f"the last completed run of {self.s.staging_workflow}"
            + (" for the tag's commit" if self.s.staging_same_commit else "")
            + " succeeded",
            detail=f"{self.s.staging_workflow} run {run.get('id')} ({run.get('created_at')}): {run.get('conclusion')}",
            where=self.s.github.where,
        )

    def registry_policies(self) -> Entries:
        where = self.s.registry.url if self.s.registry else ""
        why = (
            "the registry is read over the OCI distribution API, which exposes no {what}; its owner signs this item off"
        )
        return [
            entry("8.2.2", "manual", detail=why.format(what="scan-on-push policy"), where=where),
            entry("8.2.3", "manual", detail=why.format(what="retention (cleanup) policy"), where=where),
        ]

    # -- 10: documentation ---------------------------------------------------------------------------------
    def doc(self, item_id: str, path: str) -> dict[str, Any]:
        where = f"{self.clone.where}@{self.tag.name}"
        if path not in self.files():
            return entry(
                item_id,
                "failed",
                measured={"file": path},
                detail=f"{path} is not in the repository at {self.tag.name}",
                where=where,
            )
        text = self.text(path).strip()
        changed = self.clone.last_change(self.sha, path)
        age = (self.tag.date - changed).total_seconds() / 86400 if changed else None
        bad = [] if text else ["it is empty"]
        if age is None or age > self.s.docs_max_age_days:
            bad.append(f"last changed {age:.0f} days before the release" if age is not None else "no history")
        return passed_if(
            item_id,
            not bad,
            measured={
                "file": path,
                "chars": len(text),
                "changed": changed.isoformat() if changed else None,
                "days_before_release": round(age, 1) if age is not None else None,
            },
            threshold=f"present, not empty, changed at most {self.s.docs_max_age_days} days before the release",
            detail=f"{path}: "
            + ("; ".join(bad) if bad else f"{len(text)} characters, changed {age:.0f} day(s) before {self.tag.name}"),
            where=where,
        )

    def runbook_entry(self) -> dict[str, Any]:
        root = self.s.runbook_collection_root or ""
        book = runbook.generate(root, self.s.runbook_environment or "prod")
        self.runbook = book
        ok = book["items"] > 0 and bool(book["playbooks"]) and bool(book["rollback_commands"])
        return passed_if(
            "10.1.2",
            ok,
            measured={
                "sha256": book["sha256"],
                "playbooks": book["playbooks"],
                "items": book["items"],
                "rollback_commands": book["rollback_commands"],
            },
            threshold="a runbook generated from the collection: playbooks, items with owners, rollback commands",
            detail=f"runbook generated: {len(book['playbooks'])} playbook(s), {book['items']} item(s), "
            f"{len(book['rollback_commands'])} rollback command(s)",
            where=root,
        )


def read_image(registry: Registry | None, image: Image) -> dict[str, Any]:
    """The manifest digest of image and the labels of its config (an index resolves to its linux/amd64 image)."""
    try:
        return _read_image(registry, image)
    except (ValueError, AttributeError, TypeError) as exc:
        raise ApiError(f"registry: {image.ref} has a malformed manifest or config ({exc})") from exc


def _read_image(registry: Registry | None, image: Image) -> dict[str, Any]:
    if registry is None:
        raise ConfigurationError("no registry to read the images from")
    scope = f"repository:{image.repository}:pull"
    answer = registry.authenticated(
        "GET", f"/v2/{image.repository}/manifests/{image.tag}", scope=scope, headers={"Accept": MANIFEST_TYPES}
    )
    if answer.status != 200:
        raise ApiError(f"registry {registry.url}: manifest of {image.ref} answered {answer.status}")
    digest = answer.header("docker-content-digest") or "sha256:" + sha256(answer.body).hexdigest()
    manifest = answer.json()
    if "manifests" in manifest:
        pick = next(
            (m for m in manifest["manifests"] if (m.get("platform") or {}).get("architecture") == "amd64"),
            (manifest["manifests"] or [None])[0],
        )
        if not pick:
            raise ApiError(f"registry {registry.url}: {image.ref} is an empty image index")
        answer = registry.authenticated(
            "GET", f"/v2/{image.repository}/manifests/{pick['digest']}", scope=scope, headers={"Accept": MANIFEST_TYPES}
        )
        manifest = answer.json()
    config_digest = (manifest.get("config") or {}).get("digest")
    if not config_digest:
        raise ApiError(f"registry {registry.url}: {image.ref} has no image config")
    blob = registry.authenticated("GET", f"/v2/{image.repository}/blobs/{config_digest}", scope=scope)
    if blob.status in (301, 302, 303, 307, 308):
        with registry._session() as session:  # the storage's signed URL: no registry credentials
            blob = session.request("GET", blob.header("location") or "")
    if blob.status != 200:
        raise ApiError(f"registry {registry.url}: config of {image.ref} answered {blob.status}")
    labels = ((blob.json().get("config") or {}).get("Labels")) or {}
    return {"digest": digest, "labels": labels}


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
