#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: code_gate_check
short_description: Prove the code, version control, security, CI and documentation items from the release tag
version_added: 0.2.0
description:
  - Checks the application's own git repository at the release tag, the GitHub REST API's results for that exact
    commit, and the registry's metadata of the images to deploy, in one call, and returns one evidence entry per
    checklist item (several for C(1.2.2) and C(10.1.2)).
  - C(1.1.1)-C(1.1.3) the CI jobs (check runs) for typecheck, lint, unit and E2E concluded success (or, with
    O(run_local), the project's own package.json scripts pass in a checkout of the tag); C(1.1.4) line coverage from
    the coverage artifact (Istanbul json-summary or lcov) is at least O(coverage_min); C(1.1.5) no C(console.log)
    in O(console_globs) and C(1.1.6) no TODO/FIXME comment in O(critical_globs), with file and line.
  - C(1.2.1) the tag's commit is on O(main_branch); C(1.2.2) the tag exists, names a version, and every image in
    O(images) carries the tag's commit as its C(org.opencontainers.image.revision) label; C(1.2.3) the changelog
    has a section for the version; C(1.2.4) a published GitHub release with notes exists for the tag.
  - C(1.3.1) the security CI jobs are green; C(1.3.2) detect-secrets finds no secret in the tracked tree at the
    tag; C(1.3.3) .gitignore ignores env files, dependencies, build output and keys, and no ignored file is
    tracked; C(1.3.4) the npm audit artifact has no high/critical finding outside an unexpired allow-list;
    C(1.3.5) the container scan artifact (Trivy JSON or SARIF) covers the exact digests to deploy with no critical
    finding.
  - C(8.1.1) every workflow of the tag is active on GitHub and the required ones exist; C(8.1.2) the required
    secret names are configured; C(8.1.3) the last completed run of the staging deployment workflow (for the tag's
    commit) succeeded. C(8.2.2) and C(8.2.3) are reported as manual with the reason (the OCI distribution API
    exposes no scanning or retention policy).
  - C(10.1.1)-C(10.1.5) the documents in O(docs) exist at the tag, are not empty and changed at most
    O(docs_max_age_days) days before the release; with O(runbook_collection_root), C(10.1.2) also records the
    deployment runbook generated from the collection (returned in RV(runbook)). C(deploy.1) sums up tests,
    coverage, E2E and the security audit.
  - Read-only. The repository is cloned into a temporary folder that is removed afterwards; the original is never
    written. The token goes only into the API's Authorization header.
options:
  repository:
    description: The application's repository, a local checkout path or a git URL the controller can clone.
    type: str
    required: true
  tag:
    description: The release tag, for example C(v1.0.0).
    type: str
    required: true
  main_branch:
    description: The branch releases are cut from.
    type: str
    default: main
  tag_pattern:
    description: Regular expression a release tag matches; the named group C(version) is the changelog's version.
    type: str
    default: 'v(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)'
  github_url:
    description: Base URL of the GitHub REST API (C(https://<host>/api/v3) for GitHub Enterprise Server).
    type: str
    default: https://api.github.com
  github_repository:
    description: The repository on GitHub, as C(owner/name).
    type: str
    required: true
  github_token:
    description:
      - Token with read access to Actions (runs, artifacts, workflows), secrets (names only) and contents.
    type: str
    required: true
  ca_bundle:
    description: CA bundle (PEM) to verify the GitHub API and the registry; the system trust store when not set.
    type: path
  timeout:
    description: Seconds to wait for each request.
    type: float
    default: 20
  ci_jobs:
    description:
      - Check run (job) names by group; each group needs at least one name. A name also matches its matrix
        variants (C(unit) matches C(unit (20.x))).
      - Groups C(typecheck) (1.1.1), C(lint) (1.1.2), C(unit) and C(e2e) (1.1.3), C(security) (1.3.1).
    type: dict
    default: {typecheck: [typecheck], lint: [lint], unit: [unit], e2e: [e2e], security: [npm-audit, image-scan]}
  coverage_artifact:
    description: Name of the CI artifact holding the coverage summary (json-summary or lcov).
    type: str
    default: coverage
  coverage_metric:
    description: Which coverage total of a json-summary counts (lcov gives lines).
    type: str
    default: lines
    choices: [lines, statements, functions, branches]
  coverage_min:
    description: Minimum coverage in percent (the checklist's 70 %).
    type: float
    default: 70
  console_globs:
    description: Production code scanned for C(console.log) (1.1.5).
    type: list
    elements: str
    default: ["backend/src/**/*.ts", "frontend/src/**/*.ts", "frontend/src/**/*.tsx"]
  test_globs:
    description: Test code left out of the C(console.log) and TODO scans.
    type: list
    elements: str
    default: ["**/*.spec.ts", "**/*.test.ts", "**/*.test.tsx", "**/__tests__/**", "**/test/**"]
  critical_globs:
    description: The critical paths scanned for TODO comments (1.1.6).
    type: list
    elements: str
    default: ["backend/src/**/*.ts"]
  todo_markers:
    description: Comment markers that count as TODO.
    type: list
    elements: str
    default: [TODO, FIXME, XXX, HACK]
  changelog_path:
    description: The changelog, relative to the repository root.
    type: str
    default: CHANGELOG.md
  gitignore_must_ignore:
    description: Sample paths the repository's .gitignore files must ignore (1.3.3).
    type: list
    elements: str
    default: [.env, .env.production, backend/.env.local, node_modules/left-pad/index.js,
              frontend/node_modules/react/index.js, dist/main.js, build/index.html, server.key, certs/tls.pem]
  secret_scan_exclude:
    description: Tracked files the secret scan leaves out (lock files are hashes, not secrets).
    type: list
    elements: str
    default: ["**/package-lock.json", "**/yarn.lock", "**/pnpm-lock.yaml"]
  audit_artifact:
    description: Name of the CI artifact holding C(npm audit --json) output.
    type: str
    default: npm-audit
  audit_fail_levels:
    description: npm audit severities that fail 1.3.4.
    type: list
    elements: str
    default: [high, critical]
  audit_allowlist:
    description: Accepted findings, each until its expiry date.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: GHSA id, npm advisory number, or package name.
        type: str
        required: true
      expires:
        description: Last day the acceptance holds, C(YYYY-MM-DD).
        type: str
        required: true
      reason:
        description: Why it is accepted.
        type: str
        default: ""
  scan_artifact:
    description: Name of the CI artifact holding the container scan results (Trivy JSON or SARIF).
    type: str
    default: image-scan
  scan_fail_severities:
    description: Scan severities that fail 1.3.5.
    type: list
    elements: str
    default: [critical]
  workflows_required:
    description: Workflow files (names under C(.github/workflows/) or paths) that must exist and be active.
    type: list
    elements: str
    default: [ci.yml, deploy-staging.yml, deploy-production.yml]
  secrets_required:
    description: Secret names the workflows need (8.1.2); the item fails when none is given.
    type: list
    elements: str
    default: []
  secret_environments:
    description: Deployment environments whose secret names count besides the repository's.
    type: list
    elements: str
    default: []
  staging_workflow:
    description: The staging deployment workflow (file name or id) whose last run proves 8.1.3.
    type: str
    default: deploy-staging.yml
  staging_same_commit:
    description: Only a run for the tag's commit counts for 8.1.3.
    type: bool
    default: true
  docs:
    description: Section 10 item id -> document path in the repository.
    type: dict
    default: {"10.1.1": docs/runbook.md, "10.1.2": docs/troubleshooting.md, "10.1.3": docs/backup-restore.md,
              "10.1.4": docs/contacts.md, "10.1.5": docs/on-call.md}
  docs_max_age_days:
    description: A document must have changed at most this many days before the tag's commit.
    type: int
    default: 90
  registry_url:
    description: Base URL of the registry holding O(images); required with O(images).
    type: str
  registry_username:
    description: Registry account.
    type: str
  registry_password:
    description: Password or token of O(registry_username).
    type: str
  images:
    description: The images to deploy (1.2.2 provenance, 1.3.5 scanned digests).
    type: list
    elements: dict
    default: []
    suboptions:
      repository:
        description: Repository inside the registry.
        type: str
        required: true
      tag:
        description: Tag to deploy.
        type: str
        required: true
  runbook_collection_root:
    description: Root of this collection (its C(playbooks/) and C(checklist/catalogue.yml)) to generate the runbook.
    type: path
  runbook_environment:
    description: Inventory name the runbook's commands use.
    type: str
    default: ""
  run_local:
    description: Run the project's package.json scripts in a checkout of the tag instead of reading CI's jobs.
    type: bool
    default: false
  local_scripts:
    description: package.json script per job group for O(run_local); an empty script leaves that group to CI.
    type: dict
    default: {typecheck: typecheck, lint: lint, unit: test, e2e: ""}
  local_install:
    description: Run C(npm ci --ignore-scripts) first when the tag has a package-lock.json.
    type: bool
    default: true
  local_timeout:
    description: Seconds each npm command may take.
    type: float
    default: 900
  npm:
    description: The npm executable.
    type: str
    default: npm
  items:
    description: The checklist items to check (all by default).
    type: list
    elements: str
    default: ["1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.3.1",
              "1.3.2", "1.3.3", "1.3.4", "1.3.5", "8.1.1", "8.1.2", "8.1.3", "8.2.2", "8.2.3", "10.1.1", "10.1.2",
              "10.1.3", "10.1.4", "10.1.5", "deploy.1"]
requirements:
  - git on the controller
  - the Python package detect-secrets (1.5.0) on the controller
  - npm on the controller for O(run_local)
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.read_only_check
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Prove sections 1, 8.1 and 10 from the release tag
  smeplatform.deploy.code_gate_check:
    repository: git@github.com:smeplatform/sme-platform.git
    tag: v1.0.0
    github_repository: smeplatform/sme-platform
    github_token: "{{ vault_github_token }}"
    secrets_required: [KUBE_CONFIG_STAGING, KUBE_CONFIG_PRODUCTION]
    registry_url: https://registry.smeplatform.com
    registry_username: deployer
    registry_password: "{{ vault_registry_password }}"
    images:
      - {repository: sme-platform/backend, tag: v1.0.0}
      - {repository: sme-platform/frontend, tag: v1.0.0}
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked (two for 1.2.2 with images, two for 10.1.2 with the runbook).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "1.1.5", "status": "failed", "measured": {"files_scanned": 8,
            "console_log": ["backend/src/reminders/reminders.service.ts:6: console.log('reminders due')"]},
            "threshold": "no console.log( in backend/src/**/*.ts (tests excluded)",
            "detail": "console.log in production code: backend/src/reminders/reminders.service.ts:6: ...",
            "where": "/srv/sme-platform@v1.0.1", "duration": 0.01}]
commit:
  description: The commit the tag names; null when the tag does not exist.
  returned: success
  type: str
  sample: 145d62c82ae4e477e490d892efbe495e8bc15e5e
tag_date:
  description: The committer date of the tag's commit (UTC).
  returned: when the tag exists
  type: str
  sample: "2025-11-03T04:30:00+00:00"
runbook:
  description: The deployment runbook generated from the collection (Markdown).
  returned: when O(runbook_collection_root) is set and 10.1.2 is checked
  type: str
  sample: "# Deployment runbook: SME Receivable Platform (prod)\n..."
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import entry, options


def main() -> None:
    entry.run_code_gate_check(AnsibleModule(**options.code_gate_check()))


if __name__ == "__main__":
    main()
