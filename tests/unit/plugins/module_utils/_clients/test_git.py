"""The git client reads a private clone; the repository the user names is never written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import git
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

sys.path.insert(0, str(Path(__file__).resolve().parents[5] / "tests" / "lab" / "data"))
import app_repo  # noqa: E402


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    path = tmp_path_factory.mktemp("git") / "app"
    tags = app_repo.build_repository(path)
    return path, tags


def test_tags_branches_and_ancestry(repo):
    path, tags = repo
    with git.Clone(str(path)) as clone:
        tag = clone.tag("v1.0.0")
        assert tag.commit == tags["v1.0.0"] and tag.annotated
        assert clone.tag("v7.7.7") is None
        main = clone.branch_head("main")
        assert clone.is_ancestor(tags["v1.0.0"], main)
        assert not clone.is_ancestor(tags["v1.1.1"], main)
        assert clone.branch_head("nope") is None
        files = clone.files(tag.commit)
        assert "package.json" in files and files["CHANGELOG.md"] > 0
        assert clone.read(tag.commit, "nope.txt") is None
        assert clone.last_change(tag.commit, "docs/runbook.md").isoformat().startswith("2025-11-03")
    assert not Path(clone.path).exists()  # the clone is gone afterwards


def test_gitignore_coverage_and_tracked_ignored_files(repo):
    path, tags = repo
    with git.Clone(str(path)) as clone:
        clone.checkout(tags["v1.0.3"])
        assert clone.not_ignored([".env", "node_modules/x/y.js", "dist/a.js", "k.pem", "src/main.ts"]) == [
            "src/main.ts"
        ]
        assert clone.tracked_but_ignored() == [".env"]
        clone.checkout(tags["v1.1.0"])
        assert clone.tracked_but_ignored() == []


def test_a_missing_folder_is_bad_input(tmp_path):
    with pytest.raises(ConfigurationError, match="does not exist"):
        git.Clone(str(tmp_path / "none"))
    with pytest.raises(ConfigurationError, match="not a valid git reference"):
        git.valid_ref("v1..0", "tag")


def test_a_failed_clone_names_the_source_without_its_credentials(tmp_path):
    source = "http://deployer:s3cr3tvalue@127.0.0.1:9/app.git"
    with pytest.raises(git.GitError) as caught, git.Clone(source, timeout=20):
        pass
    assert "s3cr3tvalue" not in str(caught.value)
    assert "http://127.0.0.1:9/app.git" in str(caught.value)


def test_safe_source():
    assert git.safe_source("https://x:tok@github.com/o/r.git") == "https://github.com/o/r.git"
    assert git.safe_source("git@github.com:o/r.git") == "git@github.com:o/r.git"


def test_the_source_repository_is_untouched(repo):
    path, _unused = repo
    before = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--branch"], capture_output=True,
                            text=True, check=True).stdout  # fmt: skip
    with git.Clone(str(path)) as clone:
        clone.checkout(clone.tag("v1.0.1").commit)
    after = subprocess.run(["git", "-C", str(path), "status", "--porcelain", "--branch"], capture_output=True,
                           text=True, check=True).stdout  # fmt: skip
    assert before == after
