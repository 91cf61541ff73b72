# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's settings: the module parameters, checked and normalised before anything is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import scans
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.options import DOC_ITEMS, ITEMS
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight.registry import (
    Image,
    Registry,
    parse_images,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.github import GitHub
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

REVISION_LABEL = "org.opencontainers.image.revision"
MAX_LISTED = 20
MAX_SCAN_BYTES = 1 << 20
JOB_GROUPS = ("typecheck", "lint", "unit", "e2e", "security")


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


AS_GIVEN = (
    "repository", "tag", "main_branch", "tag_pattern", "coverage_artifact", "coverage_metric", "console_globs",
    "test_globs", "critical_globs", "todo_markers", "changelog_path", "gitignore_must_ignore", "secret_scan_exclude",
    "audit_artifact", "scan_artifact", "workflows_required", "secrets_required", "secret_environments",
    "staging_workflow", "staging_same_commit", "docs_max_age_days", "run_local", "local_install", "local_timeout",
    "npm", "timeout",
)  # fmt: skip


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
    images = parse_images(params["images"] or [])
    registry = None
    if images:
        if not params.get("registry_url"):
            raise ConfigurationError("images are given but no registry_url to read them from")
        registry = Registry(
            params["registry_url"], params.get("registry_username"), params.get("registry_password"), session
        )
    scans.version_of(params["tag"], params["tag_pattern"])  # a bad pattern fails here
    local_scripts = {k: str(v or "") for k, v in (params["local_scripts"] or {}).items()}
    # the parameters the gate takes as the module completed them; the others are checked or built above
    taken_as_given = {name: params[name] for name in AS_GIVEN}
    return Settings(
        **taken_as_given,
        github=GitHub(params["github_url"], params["github_repository"], params["github_token"], session),
        ci_jobs=jobs,
        coverage_min=float(params["coverage_min"]),
        audit_fail_levels=levels,
        audit_allowlist=scans.parse_allowlist(params["audit_allowlist"]),
        scan_fail_severities=[s.lower() for s in params["scan_fail_severities"]],
        docs=docs,
        registry=registry,
        images=images,
        runbook_collection_root=params.get("runbook_collection_root"),
        runbook_environment=params.get("runbook_environment") or "",
        local_scripts=local_scripts,
        items=list(params["items"]),
    )
