"""Role code_gate on the lab: the generated application repository, the GitHub API stand-in and the registry.

A good release passes sections 1, 8.1 and 10 with evidence and changes nothing (check mode, real run, twice); the
token appears in no output, not even at -vvv, nor in the report files. Each known defect fails its item with a
reason that names the cause: the git ones are tags of the generated repository, the CI ones are variants of the
repository's GitHub fixture served by the same stand-in under another name.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from checks_support import ROOT

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.options import ARGUMENT_SPEC
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue

pytestmark = pytest.mark.lab

# The 28 items of sections 1, 8 and 10 the issue counts.
SECTIONS = [i.id for i in Catalogue.load().items() if i.section in ("1", "8", "10")]


@pytest.fixture(scope="module")
def gate_lab(lab: dict[str, str]) -> dict[str, Any]:
    fixtures = Path(lab["SMEPLATFORM_LAB_GITHUB_FIXTURES"])
    repo = Path(lab["SMEPLATFORM_LAB_APP_REPO"])
    token = Path(lab["SMEPLATFORM_LAB_GITHUB_TOKEN_FILE"]).read_text().strip()
    registry_password = Path(lab["SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE"]).read_text().strip()
    tags = json.loads((fixtures / "smeplatform" / "sme-platform.json").read_text())
    return {"fixtures": fixtures, "repo": repo, "token": token, "registry_password": registry_password,
            "tags": {r["tag_name"] for r in tags["releases"]}, "lab": lab}  # fmt: skip


def test_a_good_release_passes_with_evidence_and_changes_nothing(run_role, gate_lab):
    runs = [run_role("code_gate", check=True, verbose=True), run_role("code_gate"), run_role("code_gate", check=True),
            run_role("code_gate")]  # fmt: skip
    for run in runs:
        assert run.proc.returncode == 0, run.output[-3000:]
        assert run.changed() == 0, run.output[-3000:]
    run = runs[0]
    automated = [i for i in SECTIONS if run.status(i) == "passed" and run.items[i]["evidence"]]
    assert len(automated) >= 22, {i: run.status(i) for i in SECTIONS}
    failed = [i for i in SECTIONS if run.status(i) == "failed"]
    assert not failed, {i: run.items[i]["evidence"] for i in failed}
    assert run.status("deploy.1") == "passed"
    assert [run.status(i) for i in ("8.2.2", "8.2.3")] == ["manual", "manual"]
    assert "OCI distribution API" in run.evidence("8.2.2")["detail"]
    assert run.evidence("1.1.5")["measured"]["files_scanned"] > 0
    provenance = [e for e in run.items["1.2.2"]["evidence"] if "images" in e["detail"] or "image(s)" in e["detail"]]
    assert provenance and provenance[0]["status"] == "passed"
    # the same statuses every time: read-only and idempotent
    assert all({i: r.status(i) for i in SECTIONS} == {i: run.status(i) for i in SECTIONS} for r in runs)
    for r in runs:  # report_text holds every file of the report folder, the runbook included
        text = r.output + r.report_text
        assert gate_lab["token"] not in text, "the GitHub token leaked"
        assert gate_lab["registry_password"] not in text, "the registry password leaked"


def test_the_runbook_is_written_beside_the_report(run_role, tmp_path):
    run = run_role("code_gate", check=True)
    assert run.proc.returncode == 0, run.output[-2000:]
    books = list(tmp_path.glob("report-*/runbook-lab.md"))
    assert books, "no runbook beside the report"
    text = books[0].read_text()
    assert "ansible-playbook playbooks/rollback.yml -i inventories/lab" in text
    assert "| 1.2.1 | All code committed to main branch | automated | role `code_gate` |" in text


def test_images_of_another_release_fail_the_role_with_the_reason_in_the_report(run_role, gate_lab):
    run = run_role("code_gate", check=True, code_gate_release_tag="v1.1.0")  # the inventory deploys v1.0.0 images
    assert run.status("1.2.2") == "failed", run.output[-2000:]
    detail = " ".join(e["detail"] for e in run.items["1.2.2"]["evidence"] if e["status"] == "failed")
    assert "images not built from v1.1.0" in detail and "sme-platform/frontend:v1.0.0" in detail
    assert run.report["verdict"]["decision"] == "NO-GO"
    assert gate_lab["token"] not in run.output + run.report_text


def _gate(gate_lab: dict[str, Any], **over: Any) -> dict[str, list[dict[str, Any]]]:
    lab = gate_lab["lab"]
    p = {k: copy.deepcopy(v.get("default")) for k, v in ARGUMENT_SPEC.items()}
    p.update(
        repository=str(gate_lab["repo"]),
        tag="v1.0.0",
        github_url=lab["SMEPLATFORM_LAB_GITHUB_URL"],
        github_repository="smeplatform/sme-platform",
        github_token=gate_lab["token"],
        ca_bundle=str(ROOT / ".lab" / "tls" / "ca.crt"),
        secrets_required=["KUBE_CONFIG_STAGING", "KUBE_CONFIG_PRODUCTION", "REGISTRY_USERNAME", "REGISTRY_PASSWORD"],
        registry_url=f"http://{lab['SMEPLATFORM_LAB_REGISTRY']}",
        registry_username=lab["SMEPLATFORM_LAB_REGISTRY_USER"],
        registry_password=gate_lab["registry_password"],
        images=[{"repository": "sme-platform/backend", "tag": "v1.0.0"},
                {"repository": "sme-platform/frontend", "tag": "v1.0.0"}],
    )  # fmt: skip
    p.update(over)
    found, _unused = checks.run_gate(checks.settings_from(p, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=10)))
    by_id: dict[str, list[dict[str, Any]]] = {}
    for one in found:
        by_id.setdefault(one["id"], []).append(one)
    return by_id


def _failed(by_id: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    return {i: " | ".join(e["detail"] for e in es if e["status"] == "failed") for i, es in by_id.items()
            if any(e["status"] == "failed" for e in es)}  # fmt: skip


def test_the_lab_release_passes_through_the_real_servers(gate_lab):
    assert _failed(_gate(gate_lab)) == {}


@pytest.mark.parametrize(
    ("tag", "item", "reason"),
    [
        ("v1.0.1", "1.1.5", "console.log in production code: backend/src/reminders/reminders.service.ts:6:"),
        ("v1.0.2", "1.2.3", "CHANGELOG.md at v1.0.2 has no section for 1.0.2"),
        ("v1.0.3", "1.3.2", "secrets committed: .env:2 (AWS Access Key)"),
        ("v1.1.1", "1.2.1", "v1.1.1 ("),
    ],
)
def test_a_tag_with_a_defect_fails_its_item(gate_lab, tag, item, reason):
    # no images of these tags are in the registry: provenance and scans are not what these cases are about
    items = [i for i in ARGUMENT_SPEC["items"]["default"] if i != "1.3.5"]
    failed = _failed(_gate(gate_lab, tag=tag, images=[], items=items))
    assert item in failed and reason in failed[item], failed
    assert set(failed) - {item, "1.3.3"} == set(), failed  # a committed .env is also an ignored file tracked
    if item == "1.2.1":
        assert "is not on main" in failed[item]


def test_an_image_built_from_another_commit_fails_provenance(gate_lab):
    failed = _gate(gate_lab, tag="v1.1.0")  # the images to deploy are still v1.0.0's
    failures = _failed(failed)
    assert "1.2.2" in failures and "org.opencontainers.image.revision=" in failures["1.2.2"], failures
    assert "sme-platform/backend:v1.0.0" in failures["1.2.2"]
    assert "was not scanned" in failures["1.3.5"]  # v1.1.0's scans cover v1.1.0's digests, not these


def _variant(gate_lab: dict[str, Any], name: str, change) -> str:
    base = gate_lab["fixtures"] / "smeplatform" / "sme-platform.json"
    data = json.loads(base.read_text())
    sha = next(iter(s for s, c in data["commits"].items()
                    if any(r["head_branch"] == "v1.0.0" for r in c["workflow_runs"])))  # fmt: skip
    change(data, sha)
    data["full_name"] = f"smeplatform/{name}"
    target = gate_lab["fixtures"] / "smeplatform" / f"{name}.json"
    target.write_text(json.dumps(data))
    return target


def _red_unit(data, sha):
    next(r for r in data["commits"][sha]["check_runs"] if r["name"] == "unit")["conclusion"] = "failure"


def _coverage_69(data, sha):
    for run in data["commits"][sha]["workflow_runs"]:
        for artifact in run["artifacts"]:
            if artifact["name"] == "coverage":
                summary = json.loads(artifact["files"]["coverage-summary.json"])
                summary["total"]["lines"]["pct"] = 69
                artifact["files"]["coverage-summary.json"] = json.dumps(summary)


def _disabled(data, _sha):
    next(w for w in data["workflows"] if w["path"].endswith("deploy-production.yml"))["state"] = "disabled_manually"


def _no_secret(data, _sha):
    data["secrets"].remove("KUBE_CONFIG_PRODUCTION")


@pytest.mark.parametrize(
    ("case", "change", "item", "reason"),
    [
        ("case-red-unit", _red_unit, "1.1.3", "unit: failure"),
        ("case-coverage-69", _coverage_69, "1.1.4", "lines coverage 69 % (minimum 70 %)"),
        ("case-disabled-workflow", _disabled, "8.1.1", ".github/workflows/deploy-production.yml: disabled_manually"),
        ("case-missing-secret", _no_secret, "8.1.2", "missing secret(s): KUBE_CONFIG_PRODUCTION"),
    ],
)
def test_a_ci_defect_fails_its_item(gate_lab, case, change, item, reason):
    target = _variant(gate_lab, case, change)
    try:
        failed = _failed(_gate(gate_lab, github_repository=f"smeplatform/{case}"))
    finally:
        os.unlink(target)
    assert item in failed and reason in failed[item], failed
    assert set(failed) - {item, "deploy.1"} == set(), failed
