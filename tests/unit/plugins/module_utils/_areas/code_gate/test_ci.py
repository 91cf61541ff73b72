"""The items proven from CI: every named job (each variant of a matrix job) green, the required secret names set."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.ci import CiChecks

from .gate_support import gate_params, view


def test_green_jobs_pass_and_a_job_without_a_check_run_fails_naming_it(lab_repo, github_api, token):
    params = gate_params(lab_repo, github_api, token)
    with view(CiChecks, params) as gate:
        green = gate.jobs("1.1.1", ("typecheck",))
    assert (green["id"], green["status"]) == ("1.1.1", "passed")
    assert all(state == "success" for state in green["measured"].values())
    params["ci_jobs"] = {**params["ci_jobs"], "typecheck": ["no-such-job"]}
    with view(CiChecks, params) as gate:
        missing = gate.jobs("1.1.1", ("typecheck",))
    assert missing["status"] == "failed" and missing["measured"] == {"no-such-job": "missing"}
    assert missing["detail"].startswith("no-such-job: no check run for commit ")


def test_a_required_secret_name_not_configured_fails_8_1_2(lab_repo, github_api, token):
    params = gate_params(lab_repo, github_api, token, secrets_required=["KUBE_CONFIG_STAGING", "NOT_SET_ANYWHERE"])
    with view(CiChecks, params) as gate:
        found = gate.secret_names()
    assert (found["id"], found["status"]) == ("8.1.2", "failed")
    assert found["detail"] == "missing secret(s): NOT_SET_ANYWHERE"


def test_no_required_secret_name_is_not_a_pass(lab_repo, github_api, token):
    with view(CiChecks, gate_params(lab_repo, github_api, token, secrets_required=[])) as gate:
        found = gate.secret_names()
    assert found["status"] == "failed" and "set secrets_required" in found["detail"]
