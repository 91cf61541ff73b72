"""The items proven from the clone at the tag: console.log and marker scans, the main branch, the changelog."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.repository import RepositoryChecks

from .gate_support import gate_params, view


def test_a_clean_tag_passes_the_scans_and_names_what_it_scanned(lab_repo, github_api, token):
    with view(RepositoryChecks, gate_params(lab_repo, github_api, token)) as gate:
        logs, todos = gate.console_logs(), gate.todos()
    assert (logs["id"], logs["status"]) == ("1.1.5", "passed")
    assert logs["measured"]["files_scanned"] > 0 and logs["measured"]["console_log"] == []
    assert todos["status"] == "passed" and "no marker comment" in todos["detail"]


def test_a_console_log_in_production_code_fails_naming_the_line(lab_repo, github_api, token):
    with view(RepositoryChecks, gate_params(lab_repo, github_api, token, tag="v1.0.1")) as gate:
        logs = gate.console_logs()
    assert logs["status"] == "failed"
    assert "backend/src/reminders/reminders.service.ts:6" in logs["detail"]


def test_no_file_matching_the_globs_is_not_a_pass(lab_repo, github_api, token):
    params = gate_params(lab_repo, github_api, token, console_globs=["nowhere/**/*.ts"])
    with view(RepositoryChecks, params) as gate:
        logs = gate.console_logs()
    assert logs["status"] == "failed" and "nothing was scanned" in logs["detail"]


def test_a_missing_main_branch_fails_1_2_1(lab_repo, github_api, token):
    with view(RepositoryChecks, gate_params(lab_repo, github_api, token, main_branch="trunk")) as gate:
        found = gate.on_main()
    assert (found["id"], found["status"]) == ("1.2.1", "failed")
    assert found["detail"] == "the repository has no branch trunk"
