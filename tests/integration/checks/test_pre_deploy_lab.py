"""playbooks/pre_deploy.yml --check on the lab, as deploy.yml runs it: every pre-deployment item gets the status
the lab must give it, the verdict is the expected one, nothing changes and no secret shows.

The lab is first brought where deploy.yml's first play leaves it before its pre-deployment checks (the namespace's
Pod Security labels, the platform's Secret, the daily backup CronJob with a backup, the configuration exported),
the reference chart deployed (the platform's ConfigMap: its database and Redis settings), and the lab's database
and Redis take the Secret's passwords (tests/lab/data/lab.sh app-secret), as the operator sets them."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from checks_support import ROOT, Run, kubectl

from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

pytestmark = pytest.mark.lab

ROLES = {
    "code_gate",
    "preflight",
    "cluster",
    "secrets",
    "database",
    "app_config",
    "monitoring",
    "hardening",
    "backup",
    "operations",
}

# deploy.yml's first play without the deployment window and the lock (the lab's clock and traffic decide those)
BEFORE = """
- name: As deploy.yml leaves the lab before its pre-deployment checks
  hosts: targets
  gather_facts: false
  tasks:
    - name: Namespace labelled for Pod Security Admission
      ansible.builtin.include_role:
        name: smeplatform.deploy.release
        tasks_from: namespace
    - name: Production secrets, generated once and kept
      ansible.builtin.include_role:
        name: smeplatform.deploy.secrets
    - name: Daily backup CronJob, and a backup now when none is fresh
      ansible.builtin.include_role:
        name: smeplatform.deploy.backup
        tasks_from: cronjob
    - name: Export the release's configuration
      ansible.builtin.include_role:
        name: smeplatform.deploy.backup
        tasks_from: export
"""

# Every item the run records (the pre_deploy scope's automated items, and those its roles record besides, such as the
# backup role's post.week1.4 and success.10), with the status the lab must give it.
PASSED = (
    "1.1.1", "1.1.2", "1.1.3", "1.1.4", "1.1.5", "1.1.6", "1.2.1", "1.2.2", "1.2.3", "1.2.4", "1.3.1", "1.3.2",
    "1.3.3", "1.3.4", "1.3.5", "2.1.1", "2.1.2", "2.1.3", "2.1.4", "2.1.5", "2.2.3", "2.3.1", "2.3.2", "3.1.1",
    "3.2.1", "3.2.2", "3.2.3", "3.2.4", "3.3.1", "3.3.2", "3.3.3", "4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5",
    "4.1.6", "4.2.3", "4.2.4", "5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.2.1", "5.2.2", "5.2.3", "5.3.1",
    "5.3.2", "5.3.3", "5.3.4", "5.4.1", "5.4.2", "6.1.1", "6.1.2", "6.1.3", "6.1.4", "6.2.1", "6.2.2", "6.2.3",
    "6.2.4", "6.3.2", "6.4.1", "6.4.2", "7.1.1", "7.1.2", "7.1.3", "7.3.1", "7.3.2", "7.3.3", "8.1.1", "8.1.2",
    "8.1.3", "8.2.1", "8.2.4", "9.1.1", "9.1.2", "9.1.3", "9.2.3", "10.1.1", "10.1.2", "10.1.3", "10.1.4", "10.1.5",
    "deploy.1", "post.week1.4", "post.month1.3", "success.10",
)  # fmt: skip
# Every other item the run records: its status and why it is not passed.
NOT_PASSED: dict[str, tuple[str, str]] = {
    "3.3.4": (
        "manual",
        "the lab has no AWS STS stand-in (smeplatform_aws_sts_url is empty): the keys are checked for format only and "
        "an engineer signs them off",
    ),
    "6.3.1": (
        "skipped",
        "check mode sends no test event to Sentry (a write): the DSN and its active key are proven; a real run sends "
        "one",
    ),
    "7.1.4": ("skipped", "the lab requires no service mesh (operations_mesh_required is false): nothing to check"),
    "2.2.1": (
        "manual",
        "signed off by the Cloud engineer; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "2.2.2": (
        "manual",
        "signed off by the Cloud engineer; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "4.2.1": (
        "manual",
        "signed off by the Engineering lead; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "5.2.4": (
        "manual",
        "signed off by the Product owner; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "8.2.2": (
        "manual",
        "signed off by the Security lead; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "8.2.3": ("manual", "signed off by the DevOps lead; the lab requires no sign-off (report_require_signoffs: false)"),
    "9.1.4": ("manual", "signed off by the DevOps lead; the lab requires no sign-off (report_require_signoffs: false)"),
    "9.2.1": ("manual", "signed off by the CTO; the lab requires no sign-off (report_require_signoffs: false)"),
    "9.2.2": ("manual", "signed off by the CTO; the lab requires no sign-off (report_require_signoffs: false)"),
    "9.2.4": ("manual", "signed off by the CTO; the lab requires no sign-off (report_require_signoffs: false)"),
    "post.day1.1": (
        "manual",
        "signed off by the Product owner; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "post.day1.3": (
        "manual",
        "signed off by the Product owner; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "post.week1.3": (
        "manual",
        "signed off by the Product owner; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "post.month1.2": (
        "manual",
        "signed off by the Security lead; the lab requires no sign-off (report_require_signoffs: false)",
    ),
    "post.month1.5": (
        "manual",
        "signed off by the Product owner; the lab requires no sign-off (report_require_signoffs: false)",
    ),
}
EXPECTED = {**dict.fromkeys(PASSED, "passed"), **{item: status for item, (status, _why) in NOT_PASSED.items()}}
# Every automated item of the scope proven, the manual ones needing no sign-off in the lab: GO.
VERDICT = "GO"


@pytest.fixture(scope="module")
def before_pre_deploy(lab, platform_release, tmp_path_factory) -> None:
    tmp = tmp_path_factory.mktemp("before")
    play = tmp / "before.yml"
    play.write_text(BEFORE)
    env = {**lab, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "SMEPLATFORM_REPORT_DIR": str(tmp / "reports")}
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(play)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:]
    align = subprocess.run(
        ["bash", str(ROOT / "tests" / "lab" / "data" / "lab.sh"), "app-secret"],
        env=lab, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert align.returncode == 0, align.stderr[-3000:]


def _secret_values(lab) -> list[str]:
    obj = json.loads(kubectl(lab, "-n", "sme-platform", "get", "secret", "sme-platform-secrets", "-o", "json"))
    return [base64.b64decode(v).decode() for v in (obj.get("data") or {}).values()]


def test_pre_deploy_check_gives_every_item_its_expected_status_and_changes_nothing(lab, tmp_path, before_pre_deploy):
    report_dir = tmp_path / "reports"
    env = {**lab, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "SMEPLATFORM_REPORT_DIR": str(report_dir)}
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(ROOT / "playbooks" / "pre_deploy.yml"),
         "--check", "-vvv"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    run = Run(proc, report_dir)
    assert run.changed() == 0, run.output[-4000:]
    catalogue = Catalogue.load()
    scope = catalogue.scope("pre_deploy")
    assert run.report["scope"]["name"] == "pre_deploy"
    measured = {i: run.items[i]["status"] for i in run.items if run.items[i]["status"] != "not run"}
    (tmp_path / "statuses.json").write_text(json.dumps(measured, indent=1, sort_keys=True))
    mine = sorted(i.id for i in catalogue.items() if i.proof == "automated" and i.role in ROLES and i.id in scope.items)
    assert set(mine) <= set(EXPECTED), f"items of the scope without an expected status: {set(mine) - set(EXPECTED)}"
    assert set(measured) == set(EXPECTED), (
        f"recorded but not expected: {sorted(set(measured) - set(EXPECTED))}; "
        f"expected but not recorded: {sorted(set(EXPECTED) - set(measured))}"
    )
    wrong = {
        i: f"{measured[i]} (expected {want}): {[e.get('detail') for e in run.items[i]['evidence']]}"
        for i, want in EXPECTED.items()
        if measured[i] != want
    }
    assert not wrong, json.dumps(wrong, indent=1)
    assert run.report["verdict"]["decision"] == VERDICT, run.report["verdict"]
    assert (proc.returncode == 0) == (VERDICT == "GO")
    secrets = _secret_values(lab)
    for name in ("SMEPLATFORM_LAB_PG_PASSWORD_FILE", "SMEPLATFORM_LAB_PG_APP_PASSWORD_FILE",
                 "SMEPLATFORM_LAB_SMTP_PASSWORD_FILE", "SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE",
                 "SMEPLATFORM_LAB_REDIS_PASSWORD_FILE"):  # fmt: skip
        secrets.append(Path(lab[name]).read_text().strip())
    for name in ("grafana_token", "s3_secret_access_key", "sentry_token", "newrelic_api_key", "statuspage_api_key",
                 "logsink_api_key", "pagerduty_api_key"):  # fmt: skip
        secrets.append((Path(lab["SMEPLATFORM_LAB_SECRETS_DIR"]) / name).read_text().strip())
    for value in (s for s in secrets if len(s) >= 6):
        for form in (value, base64.b64encode(value.encode()).decode(), value.encode().hex()):
            assert form not in run.output and form not in run.report_text, "a secret value leaked (-vvv or report)"
