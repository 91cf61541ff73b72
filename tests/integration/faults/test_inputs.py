"""Bad input stops every playbook in its first play, before anything runs, with every invalid input named; the lab
database's row counts are unchanged."""

from __future__ import annotations

import json

import pytest

from tests.integration.conftest import ROOT, run_playbook

pytestmark = pytest.mark.lab

BAD = ["-e", "smoke_error_rate_max=5", "-e", "release_timeout=abc", "-e", "smeplatform_namespace=Bad_NS"]
# an option of the release role's rollback entry point only: checked up front too, since no include checks it again
BAD += ["-e", "release_rollback_method=git"]


@pytest.mark.parametrize("playbook", ["deploy.yml", "pre_deploy.yml", "rollback.yml"])
def test_bad_inputs_stop_the_first_play_with_every_cause(playbook, tmp_path, rows_unchanged):
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "SMEPLATFORM_REPORT_DIR": str(tmp_path)}
    with rows_unchanged():
        proc = run_playbook(ROOT / "playbooks" / playbook, *BAD, env=env, inventory=str(ROOT / "inventories/lab"))
    assert proc.returncode != 0
    result, _end = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{") :])
    plays = result["plays"]
    assert len(plays) == 1, "a play after the input check ran"
    tasks = plays[0]["tasks"]
    assert [t["task"]["name"] for t in tasks] == ["Types, ranges and names of the roles' inputs, all at once"]
    outcome = next(iter(tasks[0]["hosts"].values()))
    msg = outcome["msg"]
    assert "nothing was changed" in msg
    assert "release_namespace='Bad_NS': not a valid namespace name" in msg or playbook == "pre_deploy.yml"
    assert "'Bad_NS': not a valid namespace name" in msg
    if playbook != "pre_deploy.yml":
        assert "release_timeout" in msg and "cannot be converted to an int" in msg
    if playbook != "pre_deploy.yml":
        assert "smoke_error_rate_max='5': a ratio in [0, 1]" in msg
        assert "release_rollback_method" in msg and "helm, redeploy" in msg
    print(f"{playbook}: input validation took {outcome['duration']}s for {outcome['checked']} inputs")
    assert outcome["duration"] <= 3


def test_an_empty_namespace_is_refused_before_any_check(tmp_path, rows_unchanged):
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "SMEPLATFORM_REPORT_DIR": str(tmp_path)}
    with rows_unchanged():
        proc = run_playbook(
            ROOT / "playbooks/pre_deploy.yml",
            "--check",
            "-e",
            "smeplatform_namespace=",
            env=env,
            inventory=str(ROOT / "inventories/lab"),
        )
    assert proc.returncode != 0
    result, _end = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{") :])
    assert len(result["plays"]) == 1, "a play after the input check ran"
    msg = next(iter(result["plays"][0]["tasks"][0]["hosts"].values()))["msg"]
    assert "cluster: cluster_namespace='': a namespace is required (set smeplatform_namespace" in msg, msg
    assert "405" not in msg


def test_good_inputs_of_the_lab_pass(tmp_path):
    play = tmp_path / "inputs.yml"
    play.write_text(
        "- hosts: targets\n  gather_facts: false\n  tasks:\n    - smeplatform.deploy.inputs:\n"
        "        roles: [code_gate, preflight, cluster, secrets, database, app_config, monitoring, hardening, backup,"
        " release, smoke, report]\n"
    )
    for inventory in ("lab", "staging", "prod"):
        proc = run_playbook(
            play, env={"SMEPLATFORM_REPORT_DIR": str(tmp_path)}, inventory=str(ROOT / "inventories" / inventory)
        )
        assert proc.returncode == 0, proc.stdout[-3000:]
