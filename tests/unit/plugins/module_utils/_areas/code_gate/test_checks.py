"""run_gate against a real repository (the lab's generator) and the lab's GitHub stand-in, in-process.

Each tag of the generated repository carries one defect; a GitHub fixture variant carries the others. Every
failing case must fail its item with a reason that names the cause, and leave the other items passed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from .gate_support import gate_params

ROOT = Path(__file__).resolve().parents[6]
TOKEN_VALUE = "github_pat_unitTESTtoken_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
NO_IMAGES = ("1.3.5",)  # without the lab registry there are no image digests to match scans against


def params(lab_repo, github_api, **over: Any) -> dict[str, Any]:
    p = gate_params(lab_repo, github_api, TOKEN_VALUE, runbook_collection_root=str(ROOT), runbook_environment="lab")
    p["items"] = [i for i in p["items"] if i not in NO_IMAGES]
    p.update(over)
    return p


def gate(p: dict[str, Any]) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    found, extra = checks.run_gate(checks.settings_from(p, lambda: HttpSession(timeout=5)))
    by_id: dict[str, list[dict[str, Any]]] = {}
    for one in found:
        by_id.setdefault(one["id"], []).append(one)
    return by_id, extra


def status(by_id, item: str) -> str:
    states = [e["status"] for e in by_id[item]]
    return "failed" if "failed" in states else states[0]


def variant(lab_repo, name: str, change) -> str:
    """A copy of the lab repository's GitHub fixture under another name, changed by change(data, tags)."""
    fixtures: Path = lab_repo["fixtures"]
    data = json.loads((fixtures / "smeplatform" / "sme-platform.json").read_text())
    change(data, lab_repo["tags"])
    data["full_name"] = f"smeplatform/{name}"
    (fixtures / "smeplatform" / f"{name}.json").write_text(json.dumps(data))
    return f"smeplatform/{name}"


def test_a_good_release_passes_every_item(lab_repo, github_api):
    by_id, extra = gate(params(lab_repo, github_api))
    assert extra["commit"] == lab_repo["tags"]["v1.0.0"]
    not_passed = {i: e for i, e in by_id.items() if status(by_id, i) != "passed" and i not in ("8.2.2", "8.2.3")}
    assert not not_passed
    assert {status(by_id, "8.2.2"), status(by_id, "8.2.3")} == {"manual"}
    assert len(by_id["10.1.2"]) == 2 and "runbook generated" in by_id["10.1.2"][1]["detail"]
    assert extra["runbook"].startswith("# Deployment runbook")
    assert by_id["1.1.4"][0]["measured"]["pct"] == 84.3


@pytest.mark.parametrize(
    ("tag", "item", "reason"),
    [
        ("v1.0.1", "1.1.5", "backend/src/reminders/reminders.service.ts:6: console.log('reminders due'"),
        ("v1.0.2", "1.2.3", "CHANGELOG.md at v1.0.2 has no section for 1.0.2"),
        ("v1.0.3", "1.3.2", ".env:2 (AWS Access Key)"),
        ("v1.1.1", "1.2.1", "is not on main"),
    ],
)
def test_a_tag_with_one_defect_fails_that_item_only(lab_repo, github_api, tag, item, reason):
    by_id, _unused = gate(params(lab_repo, github_api, tag=tag))
    assert status(by_id, item) == "failed"
    assert reason in " ".join(e["detail"] for e in by_id[item])
    also = {"1.3.2": {"1.3.3"}}.get(item, set())  # a committed .env is also a tracked, ignored file
    others = {i for i in by_id if status(by_id, i) == "failed"} - {item} - also
    assert not others, {i: by_id[i] for i in others}
    assert "AKIA" not in json.dumps(by_id)  # the key itself never reaches the evidence


def _red_e2e(data, tags):
    for run in data["commits"][tags["v1.0.0"]]["check_runs"]:
        if run["name"] == "e2e":
            run["conclusion"] = "failure"


def _coverage_69(data, tags):
    for run in data["commits"][tags["v1.0.0"]]["workflow_runs"]:
        for artifact in run["artifacts"]:
            if artifact["name"] == "coverage":
                summary = json.loads(artifact["files"]["coverage-summary.json"])
                summary["total"]["lines"]["pct"] = 69
                artifact["files"]["coverage-summary.json"] = json.dumps(summary)


def _disabled(data, _tags):
    data["workflows"][1]["state"] = "disabled_manually"


def _no_secret(data, _tags):
    data["secrets"].remove("REGISTRY_PASSWORD")


@pytest.mark.parametrize(
    ("name", "change", "item", "reason"),
    [
        ("case-red-e2e", _red_e2e, "1.1.3", "e2e: failure"),
        ("case-coverage-69", _coverage_69, "1.1.4", "lines coverage 69 % (minimum 70 %)"),
        ("case-disabled-workflow", _disabled, "8.1.1", ".github/workflows/deploy-staging.yml: disabled_manually"),
        ("case-missing-secret", _no_secret, "8.1.2", "missing secret(s): REGISTRY_PASSWORD"),
    ],
)
def test_a_ci_defect_fails_that_item(lab_repo, github_api, name, change, item, reason):
    repository = variant(lab_repo, name, change)
    by_id, _unused = gate(params(lab_repo, github_api, github_repository=repository))
    assert status(by_id, item) == "failed"
    assert reason in by_id[item][0]["detail"]
    failed = {i for i in by_id if status(by_id, i) == "failed"}
    assert failed - {item} <= {"deploy.1"}  # step 1 sums up tests and coverage


def test_a_missing_tag_fails_every_item_naming_the_tag(lab_repo, github_api):
    by_id, extra = gate(params(lab_repo, github_api, tag="v9.9.9"))
    assert extra["commit"] is None
    assert by_id["1.2.2"][0]["detail"].startswith("tag v9.9.9 does not exist")
    assert all(status(by_id, i) == "failed" for i in by_id)


def test_a_wrong_token_fails_the_github_items_without_showing_it(lab_repo, github_api):
    by_id, _unused = gate(params(lab_repo, github_api, github_token="github_pat_wrongwrongwrong"))
    assert status(by_id, "8.1.1") == "failed" and "refused the token" in by_id["8.1.1"][0]["detail"]
    assert status(by_id, "1.1.5") == "passed"  # the repository's own checks still ran
    assert "wrongwrong" not in json.dumps(by_id)


def test_the_repository_is_only_read(lab_repo, github_api):
    git_dir = Path(lab_repo["path"]) / ".git"
    before = sorted((p.relative_to(git_dir), p.stat().st_mtime_ns) for p in git_dir.rglob("*") if p.is_file())
    gate(params(lab_repo, github_api, items=["1.2.1", "1.3.3"]))
    after = sorted((p.relative_to(git_dir), p.stat().st_mtime_ns) for p in git_dir.rglob("*") if p.is_file())
    assert before == after


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"items": ["1.1.1", "4.1.1"]}, "items 4.1.1 are not proven by the code gate"),
        ({"ci_jobs": {"typecheck": ["tsc"]}}, "ci_jobs.lint: name at least one CI job"),
        ({"ci_jobs": {"build": ["b"]}}, "ci_jobs.build: not a job group"),
        ({"console_globs": ["/abs/**"]}, "path glob '/abs/**'"),
        ({"images": [{"repository": "a", "tag": "v1"}]}, "no registry_url"),
        ({"github_repository": "just-a-name"}, "give it as owner/name"),
        ({"docs": {"9.1.1": "x.md"}}, "9.1.1 are not section 10 items"),
        ({"audit_fail_levels": ["severe"]}, "audit_fail_levels"),
        ({"coverage_min": 170}, "coverage_min 170"),
        ({"tag_pattern": "v(("}, "is not a regular expression"),
    ],
)
def test_bad_input_fails_before_anything_is_read(lab_repo, over, message):
    with pytest.raises(ConfigurationError, match=None) as caught:
        checks.settings_from(params(lab_repo, "http://127.0.0.1:9", **over), lambda: HttpSession(timeout=1))
    assert message in str(caught.value)


def test_run_local_runs_the_projects_own_scripts(tmp_path, github_api, lab_repo):
    import subprocess

    repo = tmp_path / "app"
    repo.mkdir()
    scripts = {
        "typecheck": 'node -e "process.exit(0)"',
        "lint": "node -e \"console.error('src/a.ts 3:1 error no-console'); process.exit(1)\"",
        "test": 'node -e "process.exit(0)"',
        "test:e2e": 'node -e "process.exit(0)"',
    }
    (repo / "package.json").write_text(json.dumps({"name": "app", "scripts": scripts}))
    env = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b",
           "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin"}  # fmt: skip
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "app"], ["tag", "v1.0.0"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    p = params(lab_repo, github_api, repository=str(repo), run_local=True, items=["1.1.1", "1.1.2", "1.1.3"],
               local_scripts={"typecheck": "typecheck", "lint": "lint", "unit": "test", "e2e": "test:e2e"})  # fmt: skip
    by_id, _unused = gate(p)
    assert status(by_id, "1.1.1") == "passed"
    assert status(by_id, "1.1.2") == "failed"
    assert "npm run lint exited 1" in by_id["1.1.2"][0]["detail"] and "no-console" in by_id["1.1.2"][0]["detail"]
    assert status(by_id, "1.1.3") == "passed" and by_id["1.1.3"][0]["measured"] == {"test": 0, "test:e2e": 0}


def _matrix(data, tags):
    runs = data["commits"][tags["v1.0.0"]]["check_runs"]
    runs[:] = [r for r in runs if r["name"] != "unit"]
    runs += [
        {"name": "unit (18.x)", "status": "completed", "conclusion": "success"},
        {"name": "unit (20.x)", "status": "completed", "conclusion": "failure"},
    ]


def test_every_variant_of_a_matrix_job_must_be_green(lab_repo, github_api):
    repository = variant(lab_repo, "case-matrix", _matrix)
    by_id, _unused = gate(params(lab_repo, github_api, github_repository=repository, items=["1.1.3"]))
    assert status(by_id, "1.1.3") == "failed"
    assert by_id["1.1.3"][0]["measured"] == {"unit (18.x)": "success", "unit (20.x)": "failure", "e2e": "success"}
    assert by_id["1.1.3"][0]["detail"].startswith("unit (20.x): failure")
