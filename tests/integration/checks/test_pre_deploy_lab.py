"""playbooks/pre_deploy.yml --check on the lab: every pre-deployment item is measured, nothing changes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from checks_support import ROOT, Run

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

pytestmark = pytest.mark.lab

ROLES = {
    "code_gate",
    "preflight",
    "cluster",
    "database",
    "app_config",
    "monitoring",
    "hardening",
    "backup",
    "operations",
}


def test_pre_deploy_check_measures_every_item_and_changes_nothing(lab, tmp_path, platform_release):
    report_dir = tmp_path / "reports"
    env = {**lab, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "SMEPLATFORM_REPORT_DIR": str(report_dir)}
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(ROOT / "playbooks" / "pre_deploy.yml"),
         "--check", "-v"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    run = Run(proc, report_dir)
    assert run.changed() == 0, run.output
    scope = Catalogue.load().scope("pre_deploy")
    # the automated items of the scope (the monitoring role's deploy.6, deploy.7.4 and success.9 judge the running
    # release after the deployment: deploy.yml measures them, not this run)
    mine = [
        i.id for i in Catalogue.load().items() if i.proof == "automated" and i.role in ROLES and i.id in scope.items
    ]
    not_measured = [i for i in mine if run.status(i) not in ("passed", "failed", "skipped")]
    assert not not_measured, f"items without evidence: {not_measured}"
    secrets = [i.id for i in Catalogue.load().items() if i.role == "secrets"]
    assert all(run.status(i) != "not run" for i in secrets), "the secrets role's verify entry point did not run"
    failed = {i for i in mine if run.status(i) == "failed"}
    # The run declared its scope and proved every item of it: NO-GO exactly when an item failed.
    assert run.report["scope"]["name"] == "pre_deploy"
    unproven = [i for i in scope.items if run.status(i) == "not run"]
    assert not unproven, f"in-scope items not proven: {unproven}"
    assert run.report["verdict"]["decision"] == ("NO-GO" if failed else "GO"), run.report["verdict"]
    assert (proc.returncode != 0) == bool(failed)
    for name in ("SMEPLATFORM_LAB_PG_PASSWORD_FILE", "SMEPLATFORM_LAB_PG_APP_PASSWORD_FILE",
                 "SMEPLATFORM_LAB_SMTP_PASSWORD_FILE", "SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE"):  # fmt: skip
        secret = Path(lab[name]).read_text().strip()
        assert secret not in run.output and secret not in run.report_text, f"{name} leaked"
    for name in ("grafana_token", "s3_secret_access_key", "sentry_token", "newrelic_api_key", "statuspage_api_key",
                 "logsink_api_key", "pagerduty_api_key"):  # fmt: skip
        secret = (Path(lab["SMEPLATFORM_LAB_SECRETS_DIR"]) / name).read_text().strip()
        assert secret not in run.output and secret not in run.report_text, f"{name} leaked"
    (tmp_path / "failed.json").write_text(json.dumps(sorted(failed)))
