# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's checks on the CI provider's results for the tag's commit (1.1, 1.2.4, 1.3.4, 8.1), and the
project's own scripts run in the checkout (1.1.1-1.1.3 with run_local)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import scans
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.view import GateView
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Entries


class CiChecks(GateView):
    """Items proven from the CI provider (GitHub) and the project's own scripts."""

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
                return self.no_artifact(
                    "1.1.4", self.s.coverage_artifact, measured=None, threshold=f">= {self.s.coverage_min:g} %"
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

    def audit(self) -> dict[str, Any]:
        found = self.artifact(self.s.audit_artifact)
        if found is None:
            return self.no_artifact("1.3.4", self.s.audit_artifact, "npm audit --json")
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
