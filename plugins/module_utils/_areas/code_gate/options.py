# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's options: the module's arguments (argument spec and all), its defaults, and the items it proves.

The defaults here are the module's; the role code_gate documents the same values in its defaults/main.yml with the
code_gate_ prefix and passes every one of them.
"""

from __future__ import annotations

from typing import Any

# Every item the gate proves, in the checklist's order. 8.2.2 and 8.2.3 are reported as manual with the reason
# (a registry that exposes neither a scanning nor a retention policy over its API).
ITEMS = (
    "1.1.1",
    "1.1.2",
    "1.1.3",
    "1.1.4",
    "1.1.5",
    "1.1.6",
    "1.2.1",
    "1.2.2",
    "1.2.3",
    "1.2.4",
    "1.3.1",
    "1.3.2",
    "1.3.3",
    "1.3.4",
    "1.3.5",
    "8.1.1",
    "8.1.2",
    "8.1.3",
    "8.2.2",
    "8.2.3",
    "10.1.1",
    "10.1.2",
    "10.1.3",
    "10.1.4",
    "10.1.5",
    "deploy.1",
)
DOC_ITEMS = ("10.1.1", "10.1.2", "10.1.3", "10.1.4", "10.1.5")

DEFAULT_CI_JOBS = {
    "typecheck": ["typecheck"],
    "lint": ["lint"],
    "unit": ["unit"],
    "e2e": ["e2e"],
    "security": ["npm-audit", "image-scan"],
}
DEFAULT_LOCAL_SCRIPTS = {"typecheck": "typecheck", "lint": "lint", "unit": "test", "e2e": ""}
DEFAULT_DOCS = {
    "10.1.1": "docs/runbook.md",
    "10.1.2": "docs/troubleshooting.md",
    "10.1.3": "docs/backup-restore.md",
    "10.1.4": "docs/contacts.md",
    "10.1.5": "docs/on-call.md",
}
DEFAULT_MUST_IGNORE = [
    ".env",
    ".env.production",
    "backend/.env.local",
    "node_modules/left-pad/index.js",
    "frontend/node_modules/react/index.js",
    "dist/main.js",
    "build/index.html",
    "server.key",
    "certs/tls.pem",
]

ARGUMENT_SPEC: dict[str, Any] = {
    "repository": {"type": "str", "required": True},
    "tag": {"type": "str", "required": True},
    "main_branch": {"type": "str", "default": "main"},
    "tag_pattern": {"type": "str", "default": r"v(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)"},
    "github_url": {"type": "str", "default": "https://api.github.com"},
    "github_repository": {"type": "str", "required": True},
    "github_token": {"type": "str", "required": True, "no_log": True},
    "ca_bundle": {"type": "path"},
    "timeout": {"type": "float", "default": 20.0},
    "ci_jobs": {"type": "dict", "default": DEFAULT_CI_JOBS},
    "coverage_artifact": {"type": "str", "default": "coverage"},
    "coverage_metric": {"type": "str", "default": "lines", "choices": ["lines", "statements", "functions", "branches"]},
    "coverage_min": {"type": "float", "default": 70.0},
    "console_globs": {
        "type": "list",
        "elements": "str",
        "default": ["backend/src/**/*.ts", "frontend/src/**/*.ts", "frontend/src/**/*.tsx"],
    },
    "test_globs": {
        "type": "list",
        "elements": "str",
        "default": ["**/*.spec.ts", "**/*.test.ts", "**/*.test.tsx", "**/__tests__/**", "**/test/**"],
    },
    "critical_globs": {"type": "list", "elements": "str", "default": ["backend/src/**/*.ts"]},
    "todo_markers": {"type": "list", "elements": "str", "default": ["TODO", "FIXME", "XXX", "HACK"]},
    "changelog_path": {"type": "str", "default": "CHANGELOG.md"},
    "gitignore_must_ignore": {"type": "list", "elements": "str", "default": DEFAULT_MUST_IGNORE},
    "secret_scan_exclude": {
        "no_log": False,  # path globs
        "type": "list",
        "elements": "str",
        "default": ["**/package-lock.json", "**/yarn.lock", "**/pnpm-lock.yaml"],
    },
    "audit_artifact": {"type": "str", "default": "npm-audit"},
    "audit_fail_levels": {"type": "list", "elements": "str", "default": ["high", "critical"]},
    "audit_allowlist": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "id": {"type": "str", "required": True},
            "expires": {"type": "str", "required": True},
            "reason": {"type": "str", "default": ""},
        },
    },
    "scan_artifact": {"type": "str", "default": "image-scan"},
    "scan_fail_severities": {"type": "list", "elements": "str", "default": ["critical"]},
    "workflows_required": {
        "type": "list",
        "elements": "str",
        "default": ["ci.yml", "deploy-staging.yml", "deploy-production.yml"],
    },
    "secrets_required": {"type": "list", "elements": "str", "default": [], "no_log": False},  # names, never values
    "secret_environments": {"type": "list", "elements": "str", "default": [], "no_log": False},  # names, never values
    "staging_workflow": {"type": "str", "default": "deploy-staging.yml"},
    "staging_same_commit": {"type": "bool", "default": True},
    "docs": {"type": "dict", "default": DEFAULT_DOCS},
    "docs_max_age_days": {"type": "int", "default": 90},
    "registry_url": {"type": "str"},
    "registry_username": {"type": "str"},
    "registry_password": {"type": "str", "no_log": True},
    "images": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"repository": {"type": "str", "required": True}, "tag": {"type": "str", "required": True}},
    },
    "runbook_collection_root": {"type": "path"},
    "runbook_environment": {"type": "str", "default": ""},
    "run_local": {"type": "bool", "default": False},
    "local_scripts": {"type": "dict", "default": DEFAULT_LOCAL_SCRIPTS},
    "local_install": {"type": "bool", "default": True},
    "local_timeout": {"type": "float", "default": 900.0},
    "npm": {"type": "str", "default": "npm"},
    "items": {"type": "list", "elements": "str", "default": list(ITEMS)},
}


def code_gate_check() -> dict[str, Any]:
    """The AnsibleModule arguments of code_gate_check."""
    return dict(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
