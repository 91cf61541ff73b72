"""The installed tarball alone deploys a chart on the lab and reports on it.

The collection is built from this checkout and installed into an empty path; the plays run from a folder of
their own, with the only configuration a user writes (docs/awx.md: the evidence_report callback enabled,
where reports go) and no repository file, inventory or ``smeplatform_*`` variable. The release role deploys
the collection's own chart (from the installed copy) with release_* inputs alone, then the report role decides
go / no-go on what the run proved.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging_support import isolated_env, tool

RELEASE = "sme-tarball"
NAMESPACE = "sme-tarball"

DEPLOY = [
    {
        "name": "Deploy the collection's chart with the release role alone",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": [
            {
                "name": "Deploy",
                "ansible.builtin.include_role": {"name": "smeplatform.deploy.release"},
                "vars": {
                    "release_name": RELEASE,
                    "release_namespace": NAMESPACE,
                    "release_chart": "{{ chart }}",
                    "release_values_files": ["{{ chart }}/values-lab.yaml"],
                    "release_image_tags": {"backend.image.tag": "v1.0.0", "frontend.image.tag": "v1.0.0"},
                    "release_kubeconfig": "{{ kubeconfig }}",
                    "release_timeout": 120,
                    "release_lock_duration": 600,
                },
            },
            {
                "name": "Report",
                "ansible.builtin.include_role": {"name": "smeplatform.deploy.report"},
                "vars": {"report_scope_items": ["deploy.2", "deploy.3"]},
            },
        ],
    }
]


def playbook(work: Path, plays: list[dict], env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    path = work / "play.yml"
    path.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    cmd = [tool("ansible-playbook"), "-i", "localhost,", str(path), *args]
    proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, check=False, timeout=600)
    (work / "play.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return proc


def reports(work: Path) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((work / "reports").glob("tarball-*.json"))]


@pytest.fixture
def user_env(installed: Path, tmp_path: Path) -> dict[str, str]:
    if not os.environ.get("KUBECONFIG"):
        pytest.fail('the Kubernetes lab is not up: eval "$(tests/lab/lab.sh env)" after tests/lab/lab.sh up')
    env = isolated_env(installed, tmp_path)
    # the configuration a user writes beside their playbooks (docs/awx.md): the callback, the reports' folder
    (tmp_path / "ansible.cfg").write_text(
        "[defaults]\n"
        "callbacks_enabled = smeplatform.deploy.evidence_report\n"
        f"interpreter_python = {sys.executable}\n"
        "[smeplatform_evidence_report]\n"
        "report_dir = reports\n"
        "environment = tarball\n",
        encoding="utf-8",
    )
    return env


def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["kubectl", *args], capture_output=True, text=True, check=False, timeout=120)


def test_installed_tarball_deploys_its_chart_and_reports_go(installed: Path, user_env: dict[str, str], tmp_path: Path):
    kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=120s")
    chart = installed / "ansible_collections/smeplatform/deploy/charts/sme-platform"
    try:
        proc = playbook(
            tmp_path, DEPLOY, user_env, "-e", f"chart={chart}", "-e", f"kubeconfig={os.environ['KUBECONFIG']}"
        )
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        # the play ran the installed copy, not this checkout
        assert str(Path(__file__).resolve().parents[3]) not in proc.stdout

        (report,) = reports(tmp_path)
        assert {p.suffix for p in (tmp_path / "reports").glob("tarball-*")} >= {".md", ".json", ".xml", ".html"}
        statuses = {i["id"]: i["status"] for i in report["items"] if i["id"] in ("deploy.2", "deploy.3")}
        assert statuses == {"deploy.2": "passed", "deploy.3": "passed"}, statuses
        assert report["verdict"]["decision"] == "GO", report["verdict"]

        # what the report says was measured on the cluster
        status = kubectl("get", "deployment", "-n", NAMESPACE, "-o", "json")
        assert status.returncode == 0, status.stderr
        deployments = {d["metadata"]["name"]: d for d in json.loads(status.stdout)["items"]}
        backend = deployments[f"{RELEASE}-sme-platform-backend"]
        assert backend["spec"]["template"]["spec"]["containers"][0]["image"].endswith("/backend:v1.0.0")
        assert backend["status"].get("readyReplicas") == backend["spec"]["replicas"]

        # a run that proves nothing of its scope is NO-GO, and the gate fails it
        again = playbook(tmp_path, [{**DEPLOY[0], "tasks": DEPLOY[0]["tasks"][1:]}], user_env)
        assert again.returncode != 0
        latest = reports(tmp_path)[-1]
        assert latest["verdict"]["decision"] == "NO-GO"
        assert any("deploy.3" in reason for reason in latest["verdict"]["reasons"]), latest["verdict"]
    finally:
        subprocess.run(
            [tool("helm"), "uninstall", RELEASE, "-n", NAMESPACE, "--wait"], capture_output=True, check=False
        )
        kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=false")
