# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's checks on the repository at the release tag (1.1.5, 1.1.6, 1.2.1-1.2.3, 1.3.2, 1.3.3, 10)."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import runbook, scans
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import MAX_SCAN_BYTES
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.view import GateView, _listed
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if


class RepositoryChecks(GateView):
    """Items proven from the clone at the tag: its files, history and documentation."""

    def _scan(self, item_id: str, globs: list[str], find: Any, key: str, threshold: str, what: str, ok: str) -> dict:
        """Scan the files matching globs (tests excluded) at the tag with find(path, text) -> findings."""
        paths = scans.matching(sorted(self.files()), globs, self.s.test_globs)
        found = [str(f) for p in paths for f in find(p, self.text(p))]
        nothing = f"no file matches {globs} at {self.tag.name}: nothing was scanned"
        return passed_if(
            item_id,
            bool(paths) and not found,
            measured={"files_scanned": len(paths), key: _listed(found)},
            threshold=threshold,
            detail=(f"{what}: " + "; ".join(found[:5])) if found else (ok.format(n=len(paths)) if paths else nothing),
            where=f"{self.clone.where}@{self.tag.name}",
        )

    def console_logs(self) -> dict[str, Any]:
        return self._scan(
            "1.1.5",
            self.s.console_globs,
            scans.console_logs,
            "console_log",
            threshold=f"no console.log( in {', '.join(self.s.console_globs)} (tests excluded)",
            what="console.log in production code",
            ok=f"{{n}} production file(s) scanned at {self.tag.name}, none calls console.log",
        )

    def todos(self) -> dict[str, Any]:
        return self._scan(
            "1.1.6",
            self.s.critical_globs,
            lambda path, text: scans.todo_markers(path, text, self.s.todo_markers),
            "markers",
            threshold=f"no {'/'.join(self.s.todo_markers)} comment in {', '.join(self.s.critical_globs)}",
            what="marker comments in critical paths",
            ok="{n} critical-path file(s) scanned, no marker comment",
        )

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
