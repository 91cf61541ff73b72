#!/usr/bin/env python3
"""Generate the lab's application repository and what GitHub knows about it.

The repository is a small but real NestJS + React monorepo (package.json with the project's scripts, tsconfig,
ESLint flat config, Jest with a json-summary coverage reporter, unit and E2E tests, GitHub Actions workflows,
CHANGELOG.md, .gitignore, operational docs). Its history is fixed: authors, dates and contents never change, so
every run makes the same commit ids, and the images pushed by push_images.py carry the commit of their tag in
the OCI label org.opencontainers.image.revision.

Tags (annotated) and what each one is for:

  v0.9.0, v1.0.0, v1.1.0   good releases on main (the lab deploys v1.0.0 and v1.1.0)
  v1.0.1                   on main, from branch feature/debug-logging: a console.log in backend/src
  v1.0.2                   on main, CHANGELOG.md has no section for 1.0.2
  v1.0.3                   on main, a committed .env holding an AWS access key
  v1.1.1                   on branch hotfix/1.1.1 only, never merged into main

Beside the repository, <dest>/github/smeplatform/sme-platform.json describes the GitHub side for the GitHub API
stand-in (tests/lab/standins/github.py): workflows and their state, repository secret names, releases, and for
every tagged commit its check runs and workflow runs with artifacts (coverage summary, npm audit, image scan of
the registry's image digests for that tag).

Standard library and git only, so data's lab.sh runs it before any virtualenv exists.
Usage: app_repo.py --dest .lab/data/app-repo [--registry 127.0.0.1:15450]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import push_images  # noqa: E402 - the image digests of the scan results come from the same code that pushes them

OWNER_REPO = "smeplatform/sme-platform"
AUTHOR = ("Asha Rao", "asha.rao@smeplatform.test")
RELEASE_TAGS = ("v0.9.0", "v1.0.0", "v1.1.0")
# Release notes written on GitHub only (v1.0.2's CHANGELOG section is the one missing)
RELEASE_NOTES = {"v1.0.2": "Removed the reminder payload logging."}

PACKAGE_JSON = {
    "name": "sme-platform",
    "version": "0.0.0",
    "private": True,
    "workspaces": ["backend", "frontend"],
    "scripts": {
        "typecheck": "tsc --noEmit -p backend/tsconfig.json && tsc --noEmit -p frontend/tsconfig.json",
        "lint": "eslint .",
        "test": "jest --coverage",
        "test:e2e": "jest --config backend/test/jest-e2e.json",
        "build": "tsc -p backend/tsconfig.json --outDir dist/backend",
    },
    "dependencies": {
        "@nestjs/common": "^10.4.15",
        "@nestjs/core": "^10.4.15",
        "@nestjs/platform-express": "^10.4.15",
        "react": "^18.3.1",
        "react-dom": "^18.3.1",
        "reflect-metadata": "^0.2.2",
        "rxjs": "^7.8.1",
    },
    "devDependencies": {
        "@eslint/js": "^9.17.0",
        "@nestjs/testing": "^10.4.15",
        "@testing-library/react": "^16.1.0",
        "@types/jest": "^29.5.14",
        "@types/react": "^18.3.18",
        "@types/supertest": "^6.0.2",
        "eslint": "^9.17.0",
        "jest": "^29.7.0",
        "supertest": "^7.0.0",
        "ts-jest": "^29.2.5",
        "typescript": "^5.7.2",
        "typescript-eslint": "^8.18.2",
    },
}

BASE_FILES: dict[str, str] = {
    "README.md": "# SME Receivable Platform\n\nNestJS API (`backend/`) and React frontend (`frontend/`).\n\n"
    "```sh\nnpm ci\nnpm run typecheck && npm run lint && npm test && npm run test:e2e\n```\n",
    ".gitignore": "# dependencies\nnode_modules/\n# build output\ndist/\nbuild/\ncoverage/\n"
    "# environment\n.env\n.env.*\n!.env.example\n# keys and certificates\n*.pem\n*.key\n*.p12\nid_rsa*\n",
    ".env.example": "DATABASE_URL=postgres://sme_app@localhost:5432/sme_platform\nREDIS_URL=redis://localhost:6379/0\n"
    "JWT_EXPIRES_IN=15m\n",
    "tsconfig.json": json.dumps(
        {
            "compilerOptions": {
                "target": "ES2022",
                "module": "commonjs",
                "strict": True,
                "esModuleInterop": True,
                "experimentalDecorators": True,
                "emitDecoratorMetadata": True,
                "skipLibCheck": True,
            }
        },
        indent=2,
    )
    + "\n",
    "backend/tsconfig.json": '{\n  "extends": "../tsconfig.json",\n  "include": ["src", "test"]\n}\n',
    "frontend/tsconfig.json": '{\n  "extends": "../tsconfig.json",\n  "compilerOptions": {"jsx": "react-jsx", '
    '"lib": ["ES2022", "DOM"]},\n  "include": ["src"]\n}\n',
    "eslint.config.mjs": "import js from '@eslint/js';\nimport tseslint from 'typescript-eslint';\n\n"
    "export default tseslint.config(\n  js.configs.recommended,\n  ...tseslint.configs.recommended,\n"
    "  { ignores: ['dist/', 'build/', 'coverage/'] },\n"
    "  { rules: { 'no-console': 'error' } },\n);\n",
    "jest.config.js": "module.exports = {\n  preset: 'ts-jest',\n  roots: ['<rootDir>/backend/src', "
    "'<rootDir>/frontend/src'],\n  coverageReporters: ['json-summary', 'lcov', 'text'],\n"
    "  coverageThreshold: { global: { lines: 70 } },\n};\n",
    "backend/src/main.ts": "import { NestFactory } from '@nestjs/core';\nimport { AppModule } from './app.module';\n\n"
    "async function bootstrap(): Promise<void> {\n  const app = await NestFactory.create(AppModule);\n"
    "  await app.listen(Number(process.env.PORT ?? 3000));\n}\n\nvoid bootstrap();\n",
    "backend/src/app.module.ts": "import { Module } from '@nestjs/common';\n"
    "import { InvoicesController } from './invoices/invoices.controller';\n"
    "import { InvoicesService } from './invoices/invoices.service';\n\n"
    "@Module({ controllers: [InvoicesController], providers: [InvoicesService] })\nexport class AppModule {}\n",
    "backend/src/invoices/invoices.service.ts": "import { Injectable, NotFoundException } from '@nestjs/common';\n\n"
    "export interface Invoice {\n  id: number;\n  customer: string;\n  amount: number;\n  paid: boolean;\n}\n\n"
    "@Injectable()\nexport class InvoicesService {\n  private readonly invoices = new Map<number, Invoice>();\n"
    "  private next = 1;\n\n  create(customer: string, amount: number): Invoice {\n"
    "    const invoice = { id: this.next++, customer, amount, paid: false };\n"
    "    this.invoices.set(invoice.id, invoice);\n    return invoice;\n  }\n\n"
    "  get(id: number): Invoice {\n    const invoice = this.invoices.get(id);\n"
    "    if (!invoice) {\n      throw new NotFoundException(`invoice ${id}`);\n    }\n    return invoice;\n  }\n}\n",
    "backend/src/invoices/invoices.controller.ts": "import { Body, Controller, Get, Param, ParseIntPipe, Post } "
    "from '@nestjs/common';\nimport { Invoice, InvoicesService } from './invoices.service';\n\n"
    "@Controller('api/invoices')\nexport class InvoicesController {\n"
    "  constructor(private readonly invoices: InvoicesService) {}\n\n  @Post()\n"
    "  create(@Body() body: { customer: string; amount: number }): Invoice {\n"
    "    return this.invoices.create(body.customer, body.amount);\n  }\n\n  @Get(':id')\n"
    "  get(@Param('id', ParseIntPipe) id: number): Invoice {\n    return this.invoices.get(id);\n  }\n}\n",
    "backend/src/invoices/invoices.service.spec.ts": "import { InvoicesService } from './invoices.service';\n\n"
    "describe('InvoicesService', () => {\n  it('creates and reads an invoice', () => {\n"
    "    const service = new InvoicesService();\n    const created = service.create('Acme', 1200);\n"
    "    expect(service.get(created.id)).toEqual(created);\n  });\n\n"
    "  it('refuses an unknown invoice', () => {\n    expect(() => new InvoicesService().get(7)).toThrow('invoice 7');\n"
    "  });\n});\n",
    "backend/test/jest-e2e.json": '{\n  "preset": "ts-jest",\n  "rootDir": ".",\n  "testRegex": ".e2e-spec.ts$"\n}\n',
    "backend/test/app.e2e-spec.ts": "import { Test } from '@nestjs/testing';\nimport request from 'supertest';\n"
    "import { AppModule } from '../src/app.module';\n\ndescribe('invoices (e2e)', () => {\n"
    "  it('POST then GET /api/invoices', async () => {\n"
    "    const module = await Test.createTestingModule({ imports: [AppModule] }).compile();\n"
    "    const app = module.createNestApplication();\n    await app.init();\n"
    "    const created = await request(app.getHttpServer()).post('/api/invoices').send({ customer: 'Acme', "
    "amount: 5 });\n    expect(created.status).toBe(201);\n"
    "    await request(app.getHttpServer()).get(`/api/invoices/${created.body.id}`).expect(200);\n"
    "    await app.close();\n  });\n});\n",
    "frontend/src/main.tsx": "import { createRoot } from 'react-dom/client';\nimport { App } from './App';\n\n"
    "createRoot(document.getElementById('root') as HTMLElement).render(<App />);\n",
    "frontend/src/App.tsx": "export function App(): JSX.Element {\n  return <h1>SME Receivables</h1>;\n}\n",
    "frontend/src/App.test.tsx": "import { render, screen } from '@testing-library/react';\n"
    "import { App } from './App';\n\nit('shows the title', () => {\n  render(<App />);\n"
    "  expect(screen.getByText('SME Receivables')).toBeTruthy();\n});\n",
    ".github/workflows/ci.yml": "name: CI\non:\n  push:\n    branches: [main]\n    tags: ['v*']\n"
    "  pull_request:\njobs:\n  typecheck:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: npm ci && npm run typecheck\n"
    "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    "      - run: npm ci && npm run lint\n  unit:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: npm ci && npm test\n"
    "      - uses: actions/upload-artifact@v4\n        with: {name: coverage, path: coverage/coverage-summary.json}\n"
    "  e2e:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
    "      - run: npm ci && npm run test:e2e\n  npm-audit:\n    runs-on: ubuntu-latest\n    steps:\n"
    "      - uses: actions/checkout@v4\n      - run: npm audit --json > npm-audit.json || true\n"
    "      - uses: actions/upload-artifact@v4\n        with: {name: npm-audit, path: npm-audit.json}\n"
    "  image-scan:\n    runs-on: ubuntu-latest\n    steps:\n"
    '      - run: trivy image --format json --output trivy-backend.json "$REGISTRY/sme-platform/backend:$TAG"\n'
    "      - uses: actions/upload-artifact@v4\n        with: {name: image-scan, path: 'trivy-*.json'}\n",
    ".github/workflows/deploy-staging.yml": "name: Deploy to staging\non:\n  push:\n    tags: ['v*']\njobs:\n"
    "  deploy:\n    runs-on: ubuntu-latest\n    environment: staging\n    steps:\n"
    '      - run: echo "${{ secrets.KUBE_CONFIG_STAGING }}" > kubeconfig && helm upgrade --install sme-platform '
    "charts/sme-platform --wait\n",
    ".github/workflows/deploy-production.yml": "name: Deploy to production\non:\n  workflow_dispatch:\n"
    "    inputs:\n      tag: {required: true}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
    "    environment: production\n    steps:\n      - run: ansible-playbook playbooks/deploy.yml -i inventories/prod\n"
    "        env:\n          KUBE_CONFIG: ${{ secrets.KUBE_CONFIG_PRODUCTION }}\n",
}

DOCS = {
    "docs/runbook.md": "# Deployment runbook\n\n1. Run the pre-deployment checks.\n2. Deploy with deploy.yml.\n"
    "3. Watch the smoke gate; roll back with rollback.yml.\n",
    "docs/troubleshooting.md": "# Troubleshooting\n\n- Pods not Ready: kubectl describe pod; check the image tag.\n"
    "- 5xx after deploy: roll back, then read the backend logs.\n",
    "docs/backup-restore.md": "# Backup and restore\n\npg_dump nightly; restore with pg_restore into a scratch "
    "database, then switch. Tested quarterly.\n",
    "docs/contacts.md": "# Emergency contacts\n\n| role | name | phone |\n|---|---|---|\n"
    "| DevOps lead | Ravi Menon | +91 80 5555 0101 |\n| Engineering lead | Asha Rao | +91 80 5555 0102 |\n",
    "docs/on-call.md": "# On-call rotation\n\nWeekly, Monday 09:00 IST handover. Primary and secondary in "
    "PagerDuty schedule SME-Platform.\n",
}


def changelog(*versions: tuple[str, str, str]) -> str:
    text = "# Changelog\n\nAll notable changes, in the Keep a Changelog format.\n"
    for version, date, line in versions:
        text += f"\n## [{version}] - {date}\n\n### Added\n\n- {line}\n"
    return text


CHANGES = {
    "0.9.0": ("0.9.0", "2025-10-01", "Invoices API and the React shell."),
    "1.0.0": ("1.0.0", "2025-11-03", "Payment reminders; first production release."),
    "1.0.1": ("1.0.1", "2025-11-10", "Reminder payload diagnostics."),
    "1.0.3": ("1.0.3", "2025-11-14", "Local environment file for the reminders worker."),
    "1.1.0": ("1.1.0", "2025-11-17", "Invoice search; reminders retry with backoff."),
    "1.1.1": ("1.1.1", "2025-11-18", "Hotfix: reminder timezone."),
}

REMINDERS = (
    "import { Injectable } from '@nestjs/common';\n\n@Injectable()\nexport class RemindersService {\n"
    "  due(invoices: { id: number; paid: boolean }[]): number[] {\n"
    "    return invoices.filter((invoice) => !invoice.paid).map((invoice) => invoice.id);\n  }\n}\n"
)
REMINDERS_DEBUG = REMINDERS.replace(
    "    return invoices", "    console.log('reminders due', JSON.stringify(invoices));\n    return invoices"
)
# A real-looking AWS access key pair (AWS's documented example values): what a secret scanner must catch.
DOTENV = (
    "DATABASE_URL=postgres://sme_app@localhost:5432/sme_platform\n"
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
    "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
)


class Git:
    def __init__(self, path: Path) -> None:
        self.path = path

    def run(self, *args: str, date: str = "2025-10-01T10:00:00+05:30") -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": AUTHOR[0],
            "GIT_AUTHOR_EMAIL": AUTHOR[1],
            "GIT_COMMITTER_NAME": AUTHOR[0],
            "GIT_COMMITTER_EMAIL": AUTHOR[1],
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        proc = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.autocrlf=false", *args],
            cwd=self.path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout.strip()

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            target.chmod(0o644)

    def commit(self, message: str, date: str, files: dict[str, str], remove: tuple[str, ...] = ()) -> str:
        self.write(files)
        for name in remove:
            self.run("rm", "-q", "--", name)
        if files:
            self.run("add", "-f", "--", *files)
        self.run("commit", "-q", "-m", message, date=date)
        return self.run("rev-parse", "HEAD")

    def tag(self, name: str, date: str) -> None:
        self.run("tag", "-a", name, "-m", f"Release {name}", date=date)


def build_repository(path: Path) -> dict[str, str]:
    """Create the repository at path; return {tag: commit id}."""
    path.mkdir(parents=True)
    git = Git(path)
    git.run("init", "-q", "-b", "main")
    files = {**BASE_FILES, **DOCS, "package.json": json.dumps(PACKAGE_JSON, indent=2) + "\n"}
    files["backend/src/reminders/reminders.service.ts"] = REMINDERS
    files["CHANGELOG.md"] = changelog(CHANGES["0.9.0"])
    git.commit("Scaffold the NestJS API and the React frontend", "2025-10-01T10:00:00+05:30", files)
    git.tag("v0.9.0", "2025-10-01T11:00:00+05:30")

    docs = {name: text + "\nReviewed for 1.0.0.\n" for name, text in DOCS.items()}
    git.commit(
        "Payment reminders; operational docs reviewed",
        "2025-11-03T10:00:00+05:30",
        {**docs, "CHANGELOG.md": changelog(CHANGES["1.0.0"], CHANGES["0.9.0"])},
    )
    git.tag("v1.0.0", "2025-11-03T11:00:00+05:30")

    # feature/debug-logging: a console.log left in production code, merged (fast-forward) and released as v1.0.1
    git.run("checkout", "-q", "-b", "feature/debug-logging")
    git.commit(
        "Log reminder payloads while chasing a duplicate reminder",
        "2025-11-10T10:00:00+05:30",
        {
            "backend/src/reminders/reminders.service.ts": REMINDERS_DEBUG,
            "CHANGELOG.md": changelog(CHANGES["1.0.1"], CHANGES["1.0.0"], CHANGES["0.9.0"]),
        },
    )
    git.run("checkout", "-q", "main")
    git.run("merge", "-q", "--ff-only", "feature/debug-logging")
    git.tag("v1.0.1", "2025-11-10T11:00:00+05:30")

    # v1.0.2: released without its CHANGELOG section
    git.commit(
        "Remove the reminder payload logging",
        "2025-11-12T10:00:00+05:30",
        {"backend/src/reminders/reminders.service.ts": REMINDERS},
    )
    git.tag("v1.0.2", "2025-11-12T11:00:00+05:30")

    # v1.0.3: a .env with a cloud key, force-added past .gitignore
    git.commit(
        "Reminders worker: local environment",
        "2025-11-14T10:00:00+05:30",
        {
            ".env": DOTENV,
            "CHANGELOG.md": changelog(CHANGES["1.0.3"], CHANGES["1.0.1"], CHANGES["1.0.0"], CHANGES["0.9.0"]),
        },
    )
    git.tag("v1.0.3", "2025-11-14T11:00:00+05:30")

    docs = {name: text + "\nReviewed for 1.1.0.\n" for name, text in DOCS.items()}
    git.commit(
        "Invoice search; reminders retry with backoff; docs reviewed",
        "2025-11-17T10:00:00+05:30",
        {
            **docs,
            "CHANGELOG.md": changelog(
                CHANGES["1.1.0"], CHANGES["1.0.3"], CHANGES["1.0.1"], CHANGES["1.0.0"], CHANGES["0.9.0"]
            ),
        },
        remove=(".env",),
    )
    git.tag("v1.1.0", "2025-11-17T11:00:00+05:30")

    # hotfix/1.1.1: tagged on its branch and never merged into main
    git.run("checkout", "-q", "-b", "hotfix/1.1.1")
    git.commit(
        "Reminders: send in the customer's timezone",
        "2025-11-18T10:00:00+05:30",
        {
            "CHANGELOG.md": changelog(
                CHANGES["1.1.1"],
                CHANGES["1.1.0"],
                CHANGES["1.0.3"],
                CHANGES["1.0.1"],
                CHANGES["1.0.0"],
                CHANGES["0.9.0"],
            )
        },
    )
    git.tag("v1.1.1", "2025-11-18T11:00:00+05:30")
    git.run("checkout", "-q", "main")
    tags = git.run("for-each-ref", "--format=%(refname:short) %(*objectname)", "refs/tags").splitlines()
    return dict(line.split(" ", 1) for line in tags)


def _coverage_summary(pct: float) -> str:
    total = 1200
    covered = round(total * pct / 100)
    block = {"total": total, "covered": covered, "skipped": 0, "pct": pct}
    return json.dumps({"total": {"lines": block, "statements": block, "functions": block, "branches": block}})


def _npm_audit() -> str:
    return json.dumps(
        {
            "auditReportVersion": 2,
            "vulnerabilities": {
                "cookie": {
                    "name": "cookie",
                    "severity": "low",
                    "isDirect": False,
                    "via": [
                        {
                            "source": 1099846,
                            "name": "cookie",
                            "title": "cookie accepts cookie name, path, and domain with out of bounds characters",
                            "url": "https://github.com/advisories/GHSA-pxg6-pf52-xh8x",
                            "severity": "low",
                        }
                    ],
                    "range": "<0.7.0",
                    "fixAvailable": True,
                }
            },
            "metadata": {"vulnerabilities": {"info": 0, "low": 1, "moderate": 0, "high": 0, "critical": 0, "total": 1}},
        }
    )


def _trivy(registry: str, repository: str, tag: str, revision: str) -> str:
    layer_tar, _layer, config, manifest = push_images.image_blobs(repository, tag, revision)
    digest = push_images.sha256(manifest)
    return json.dumps(
        {
            "SchemaVersion": 2,
            "ArtifactName": f"{registry}/{repository}:{tag}",
            "ArtifactType": "container_image",
            "Metadata": {
                "ImageID": push_images.sha256(config),
                "RepoTags": [f"{registry}/{repository}:{tag}"],
                "RepoDigests": [f"{registry}/{repository}@{digest}"],
                "DiffIDs": [push_images.sha256(layer_tar)],
            },
            "Results": [
                {
                    "Target": f"{registry}/{repository}:{tag} (alpine 3.20.3)",
                    "Class": "os-pkgs",
                    "Type": "alpine",
                    "Vulnerabilities": [
                        {
                            "VulnerabilityID": "CVE-2024-9143",
                            "PkgName": "libcrypto3",
                            "InstalledVersion": "3.3.2-r0",
                            "FixedVersion": "3.3.2-r1",
                            "Severity": "LOW",
                        }
                    ],
                }
            ],
        }
    )


def github_fixture(tags: dict[str, str], registry: str) -> dict:
    """What the GitHub API stand-in serves for the repository: all green for every tagged commit."""
    commits: dict[str, dict] = {}
    run_id = 9000
    artifact_id = 7000
    for tag, sha in sorted(tags.items()):
        jobs = ("typecheck", "lint", "unit", "e2e", "npm-audit", "image-scan")
        checks = [{"name": job, "status": "completed", "conclusion": "success"} for job in jobs]
        scans = {}
        if tag in RELEASE_TAGS:
            for repository, name in (
                ("sme-platform/backend", "trivy-backend.json"),
                ("sme-platform/frontend", "trivy-frontend.json"),
            ):
                scans[name] = _trivy(registry, repository, tag, sha)
        run_id += 1
        artifacts = [
            {
                "id": (artifact_id := artifact_id + 1),
                "name": "coverage",
                "files": {"coverage-summary.json": _coverage_summary(84.3)},
            },
            {"id": (artifact_id := artifact_id + 1), "name": "npm-audit", "files": {"npm-audit.json": _npm_audit()}},
        ]
        if scans:  # only the release tags have images in the lab registry
            artifacts.append({"id": (artifact_id := artifact_id + 1), "name": "image-scan", "files": scans})
        commits[sha] = {
            "check_runs": checks,
            "workflow_runs": [
                {
                    "id": run_id,
                    "workflow": "ci.yml",
                    "event": "push",
                    "head_branch": tag,
                    "conclusion": "success",
                    "created_at": "2025-11-20T06:00:00Z",
                    "artifacts": artifacts,
                },
                {
                    "id": run_id + 500,
                    "workflow": "deploy-staging.yml",
                    "event": "push",
                    "head_branch": tag,
                    "conclusion": "success",
                    "created_at": "2025-11-20T06:30:00Z",
                    "artifacts": [],
                },
            ],
        }
    releases = [
        {
            "id": 300 + n,
            "tag_name": tag,
            "name": f"SME Platform {tag}",
            "body": f"## What's changed\n\n- {RELEASE_NOTES.get(tag) or CHANGES[tag[1:]][2]}\n",
            "draft": False,
            "prerelease": False,
            "published_at": "2025-11-20T07:00:00Z",
        }
        for n, tag in enumerate(sorted(tags))
    ]
    return {
        "full_name": OWNER_REPO,
        "default_branch": "main",
        "workflows": [
            {"id": 101, "name": "CI", "path": ".github/workflows/ci.yml", "state": "active"},
            {"id": 102, "name": "Deploy to staging", "path": ".github/workflows/deploy-staging.yml", "state": "active"},
            {
                "id": 103,
                "name": "Deploy to production",
                "path": ".github/workflows/deploy-production.yml",
                "state": "active",
            },
        ],
        "secrets": ["KUBE_CONFIG_STAGING", "KUBE_CONFIG_PRODUCTION", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"],
        "releases": releases,
        "commits": commits,
    }


def revisions(dest: Path) -> dict[str, str]:
    """{tag: commit id} of the generated repository (for push_images.py)."""
    git = Git(dest / "sme-platform")
    lines = git.run("for-each-ref", "--format=%(refname:short) %(*objectname)", "refs/tags").splitlines()
    return dict(line.split(" ", 1) for line in lines)


def generate(dest: Path, registry: str) -> dict[str, str]:
    """(Re)create dest/sme-platform and dest/github/<owner>/<repo>.json; unchanged content is left alone."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as scratch:
        fresh = Path(scratch) / "sme-platform"
        tags = build_repository(fresh)
        target = dest / "sme-platform"
        try:
            current = revisions(dest) if target.exists() else {}
        except RuntimeError:
            current = {}
        if current != tags:
            shutil.rmtree(target, ignore_errors=True)
            shutil.move(str(fresh), str(target))
    fixture = dest / "github" / f"{OWNER_REPO}.json"
    fixture.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(github_fixture(tags, registry), indent=1, sort_keys=True)
    if not fixture.exists() or fixture.read_text() != text:
        tmp = fixture.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(fixture)
    return tags


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", required=True, type=Path)
    parser.add_argument("--registry", default="127.0.0.1:15450", help="host:port the images are scanned under")
    args = parser.parse_args()
    tags = generate(args.dest, args.registry)
    print(f"[lab/data] application repository: {len(tags)} tags in {args.dest / 'sme-platform'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
