"""When the automatic rollback fails too, the run ends with both causes in one line.

The release role's failure path (roles/release/tasks/failure.yml) is run as the role runs it, after an
upgrade that failed with a multi-line message; the rollback runs the real helm_release module with a helm
that answers as helm does when the API server is down, so the rollback fails too. The lab database's row counts
are unchanged."""

from __future__ import annotations

import json
import re

import pytest

from tests.integration.conftest import ROOT, run_playbook

pytestmark = pytest.mark.lab

PLAYBOOK = """
- name: Failure path of the release role
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{{{ ansible_playbook_python }}}}"
    release_namespace: sme-faults
    release_name: sme-platform
    release_timeout: 5
    release_history_max: 3
    release_auto_rollback: true
  module_defaults:
    smeplatform.deploy.helm_release:
      kubeconfig: {kubeconfig}
      helm_binary: {helm}
  tasks:
    - name: Deploy
      block:
        - name: Record the stage and the revision before
          ansible.builtin.set_fact:
            __release_stage: upgrade
            __release_upgrade: {{previous: {{revision: 3}}}}
        - name: Install or upgrade the release
          ansible.builtin.fail:
            msg: "helm upgrade sme-platform: timed out waiting for the condition\\nsecond line of helm's stderr"
      rescue:
        - name: Describe the failure, roll back and stop
          ansible.builtin.import_tasks: {failure}
"""


def test_failed_rollback_reports_both_causes_in_one_line(tmp_path, rows_unchanged):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    helm = tmp_path / "helm"
    helm.write_text(
        '#!/bin/sh\necho \'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": '
        "dial tcp 127.0.0.1:6443: connect: connection refused' >&2\nexit 1\n"
    )
    helm.chmod(0o755)
    play = tmp_path / "failure.yml"
    play.write_text(PLAYBOOK.format(kubeconfig=kubeconfig, helm=helm, failure=ROOT / "roles/release/tasks/failure.yml"))
    env = {"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "SMEPLATFORM_REPORT_DIR": str(tmp_path)}
    with rows_unchanged():
        proc = run_playbook(play, env=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "has no attribute" not in proc.stdout
    result, _end = json.JSONDecoder().raw_decode(proc.stdout[proc.stdout.index("{") :])
    last = result["plays"][0]["tasks"][-1]
    assert last["task"]["name"] == "Stop the run with the cause"
    msg = last["hosts"]["localhost"]["msg"]
    assert "\n" not in msg
    assert re.search(
        r"failed during upgrade: Install or upgrade the release: helm upgrade sme-platform: timed out waiting for "
        r"the condition second line of helm's stderr ROLLBACK FAILED as well: "
        r".*Kubernetes cluster unreachable.*connection refused.*\.$",
        msg,
    ), msg
