# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only git client: a private clone of the application's repository, checked out at a release tag.

The repository the user names (a local checkout or a URL the controller can clone) is never written to: the
checks work in a throw-away clone in a temporary folder, removed when the client is closed. Everything else is
plain ``git`` plumbing with fixed output formats.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit, urlunsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

_URL_RE = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_REF_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]{0,199}$")


def safe_source(source: str) -> str:
    """The repository's location for messages: credentials in a URL's user part are dropped."""
    if "://" not in source:
        return source
    parts = urlsplit(source)
    if parts.username or parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return source


def is_url(source: str) -> bool:
    return bool(_URL_RE.match(source))


def valid_ref(name: str, what: str) -> str:
    if not _REF_RE.match(name or "") or ".." in name or name.endswith((".lock", "/")):
        raise ConfigurationError(f"{what} {name!r} is not a valid git reference name")
    return name


@dataclass(frozen=True)
class Tag:
    name: str
    commit: str
    annotated: bool
    date: datetime  # the commit's committer date


class GitError(ConnectionFailure):
    """git could not read or clone the repository."""


class Clone:
    """A private clone of ``source``; use as a context manager, the clone is removed on exit."""

    def __init__(self, source: str, timeout: float = 300.0, git: str = "git") -> None:
        if not source:
            raise ConfigurationError("no application repository given: set a local checkout path or a git URL")
        if not is_url(source):
            path = os.path.abspath(os.path.expanduser(source))
            if not os.path.isdir(path):
                raise ConfigurationError(f"application repository {source} does not exist or is not a folder")
            source = path
        if shutil.which(git) is None:
            raise ConfigurationError(f"{git} is not installed on the controller: install git to check the repository")
        self.source = source
        self.where = safe_source(source)
        self.timeout = timeout
        self.git = git
        self._tmp: str | None = None
        self.path = ""

    def __enter__(self) -> Clone:
        self._tmp = tempfile.mkdtemp(prefix="smeplatform-code-gate-")
        self.path = os.path.join(self._tmp, "repo")
        # --no-checkout: the tag is checked out afterwards; the user's repository is only read.
        self._run("clone", "--quiet", "--no-checkout", self.source, self.path, cwd=self._tmp)
        return self

    def __exit__(self, *_: object) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _run(self, *args: str, cwd: str | None = None, ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C", "GIT_CONFIG_NOSYSTEM": "1"}
        try:
            proc = subprocess.run(
                [self.git, "-c", "core.quotepath=off", "-c", f"core.excludesFile={os.devnull}", *args],
                cwd=cwd or self.path,
                env=env,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} on {self.where} took longer than {self.timeout:.0f}s") from exc
        if proc.returncode not in ok_codes:
            message = (proc.stderr or proc.stdout).strip().replace(self.source, self.where)
            raise GitError(f"git {args[0]} on {self.where} failed: {message[-400:]}")
        return proc

    def out(self, *args: str) -> str:
        return self._run(*args).stdout.strip()

    # -- refs -------------------------------------------------------------------------------------------
    def tag(self, name: str) -> Tag | None:
        """The tag, or None when the repository has no such tag."""
        valid_ref(name, "tag")
        found = self._run("rev-parse", "--verify", "--quiet", f"refs/tags/{name}^{{commit}}", ok_codes=(0, 1))
        if found.returncode != 0:
            return None
        commit = found.stdout.strip()
        kind = self.out("cat-file", "-t", f"refs/tags/{name}")
        return Tag(name, commit, kind == "tag", self.commit_date(commit))

    def branch_head(self, branch: str) -> str | None:
        """The commit of the cloned repository's branch (origin/<branch>), None when it has none."""
        valid_ref(branch, "branch")
        found = self._run(
            "rev-parse", "--verify", "--quiet", f"refs/remotes/origin/{branch}^{{commit}}", ok_codes=(0, 1)
        )
        return found.stdout.strip() if found.returncode == 0 else None

    def is_ancestor(self, commit: str, of: str) -> bool:
        return self._run("merge-base", "--is-ancestor", commit, of, ok_codes=(0, 1)).returncode == 0

    def commit_date(self, rev: str) -> datetime:
        return datetime.fromisoformat(self.out("log", "-1", "--format=%cI", rev))

    def checkout(self, commit: str) -> None:
        self._run("checkout", "--quiet", "--detach", commit)

    # -- the tree at a commit -------------------------------------------------------------------------
    def files(self, rev: str) -> dict[str, int]:
        """Tracked files at rev: path -> size in bytes (links and submodules left out)."""
        out = self._run("ls-tree", "-r", "-l", "-z", rev).stdout
        found: dict[str, int] = {}
        for record in out.split("\0"):
            if not record:
                continue
            meta, _tab, path = record.partition("\t")
            mode, kind, _obj, size = meta.split()
            if kind == "blob" and mode in ("100644", "100755"):
                found[path] = int(size)
        return found

    def read(self, rev: str, path: str) -> str | None:
        proc = self._run("show", f"{rev}:{path}", ok_codes=(0, 128))
        return proc.stdout if proc.returncode == 0 else None

    def last_change(self, rev: str, path: str) -> datetime | None:
        """When path last changed in rev's history (committer date), None when it never existed."""
        stamp = self.out("log", "-1", "--format=%cI", rev, "--", path)
        return datetime.fromisoformat(stamp) if stamp else None

    def not_ignored(self, paths: list[str]) -> list[str]:
        """Of paths (need not exist), those the checked-out tree's .gitignore files do not ignore."""
        if not paths:
            return []
        proc = subprocess.run(
            # only the repository's own .gitignore files count, never this controller's global excludes
            [
                self.git,
                "-c",
                f"core.excludesFile={os.devnull}",
                "check-ignore",
                "--no-index",
                "--stdin",
                "-z",
                "-n",
                "-v",
            ],
            cwd=self.path,
            input="\0".join(paths) + "\0",
            capture_output=True,
            text=True,
            timeout=self.timeout,
            check=False,
        )
        if proc.returncode not in (0, 1):
            raise GitError(f"git check-ignore on {self.where} failed: {proc.stderr.strip()[-300:]}")
        fields = proc.stdout.split("\0")
        # -v -n -z: source, line, pattern, path for every path; an empty pattern means "not ignored".
        missed = []
        for i in range(0, len(fields) - 3, 4):
            _source, _line, pattern, path = fields[i : i + 4]
            if not pattern or pattern.startswith("!"):
                missed.append(path)
        return missed

    def tracked_but_ignored(self) -> list[str]:
        """Tracked files of the checkout that its .gitignore files say should not be tracked."""
        out = self.out("ls-files", "-z", "--cached", "--ignored", "--exclude-per-directory=.gitignore")
        return [p for p in out.split("\0") if p]
