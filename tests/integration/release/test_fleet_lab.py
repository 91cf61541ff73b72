"""A fleet: three environments (namespaces of the lab cluster) deployed by one run with forks=3.

One environment whose new image never becomes Ready is rolled back alone; the others keep their new release;
the report gives each host its own verdict and names the failing one's cause.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from release_lab_support import ROOT

FLEET = {"fleet-a": ("bench-fleet-a", "sme-fleet-a"), "fleet-b": ("bench-fleet-b", "sme-fleet-b"),
         "fleet-c": ("bench-fleet-c", "sme-fleet-c")}  # fmt: skip


def deploy(env: dict[str, str], backend_tag: str, reports: Path) -> subprocess.CompletedProcess[str]:
    cmd = [
        "ansible-playbook", str(ROOT / "playbooks/deploy.yml"), "--skip-tags", "pre_deploy",
        "-i", str(ROOT / "inventories/lab"), "-i", str(ROOT / "inventories/lab-fleet"),
        "--limit", "fleet", "--forks", "3",
        "-e", f"smeplatform_backend_image_tag={backend_tag}", "-e", "smeplatform_frontend_image_tag=v1.1.0",
        "-e", '{"release_required_secrets": [], "release_migration_env_from": []}',
        "-e", '{"release_prepare_roles": [], "release_verify_roles": []}',
        # the lab cannot prove the verification items per environment (one platform stand-in): the run's verdict
        # is not the subject here, each host's is
        "-e", "report_gate=false",
    ]  # fmt: skip
    return subprocess.run(
        cmd, cwd=ROOT, env={**env, "SMEPLATFORM_REPORT_DIR": str(reports)}, capture_output=True, text=True, check=False
    )


def backend_image(env: dict[str, str], release: str, namespace: str) -> str:
    out = subprocess.run(
        ["kubectl", "-n", namespace, "get", "deployment", f"{release}-sme-platform-backend", "-o",
         "jsonpath={.spec.template.spec.containers[0].image}"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


def newest_report(folder: Path) -> dict:
    return json.loads(sorted(folder.glob("lab-*.json"))[-1].read_text())


def test_one_failing_environment_is_rolled_back_alone_and_named_in_its_own_verdict(release_env, tmp_path):
    first = deploy(release_env, "v1.0.0", tmp_path / "install")
    assert first.returncode == 0, first.stdout[-3000:]
    for release, namespace in FLEET.values():
        assert backend_image(release_env, release, namespace).endswith(":v1.0.0")

    mixed = "{{ 'v1.1.0-unready' if inventory_hostname == 'fleet-b' else 'v1.1.0' }}"
    run = deploy(release_env, mixed, tmp_path / "upgrade")
    assert run.returncode != 0, "a failed environment fails the run"
    recap = {line.split()[0]: line for line in run.stdout.splitlines() if line.startswith("fleet-")}
    assert "rescued=1" in recap["fleet-b"]

    # the others went on and keep their new release; the failing one runs its old one again
    assert backend_image(release_env, *FLEET["fleet-a"]).endswith(":v1.1.0")
    assert backend_image(release_env, *FLEET["fleet-c"]).endswith(":v1.1.0")
    assert backend_image(release_env, *FLEET["fleet-b"]).endswith(":v1.0.0")

    report = newest_report(tmp_path / "upgrade")
    hosts = report["hosts"]
    assert set(hosts) == set(FLEET)
    assert report["verdict"]["decision"] == "NO-GO"
    failing = " ".join(hosts["fleet-b"]["reasons"])
    assert "deploy.3" in failing and "rolled back" in failing
    for healthy in ("fleet-a", "fleet-c"):
        assert hosts[healthy]["summary"]["failed"] == 0, hosts[healthy]["reasons"]
        assert not any("failed on" in reason for reason in hosts[healthy]["reasons"])
    assert "host fleet-b: NO-GO" in run.stdout
