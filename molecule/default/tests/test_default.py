"""Verify the lab after converge and the rollback side effect: the platform runs and answers."""

from __future__ import annotations

import json
import os
from pathlib import Path

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
LAB = Path(os.environ.get("SMEPLATFORM_LAB_DIR", PROJECT / ".lab"))
KUBECONFIG = str(LAB / "k8s" / "kubeconfig")
NAMESPACE = "sme-platform"


def _k8s_info(host, **kwargs):
    result = host.ansible(
        "kubernetes.core.k8s_info",
        " ".join(f"{k}={v}" for k, v in {"kubeconfig": KUBECONFIG, **kwargs}.items()),
        check=False,
    )
    assert not result.get("failed"), result
    return result["resources"]


def test_rollback_returned_to_the_converged_tags_and_all_replicas_are_available(host):
    for name in ("sme-platform-backend", "sme-platform-frontend"):
        (deployment,) = _k8s_info(host, kind="Deployment", namespace=NAMESPACE, name=name)
        wanted = deployment["spec"]["replicas"]
        assert deployment["status"].get("availableReplicas") == wanted, name
        image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        assert image.endswith(":v1.0.0"), image


def test_release_is_deployed_and_no_lock_is_left(host):
    secrets = _k8s_info(host, kind="Secret", namespace=NAMESPACE, label_selectors="owner=helm")
    statuses = {s["metadata"]["labels"]["version"]: s["metadata"]["labels"]["status"] for s in secrets}
    newest = max(statuses, key=int)
    assert statuses[newest] == "deployed", statuses
    leases = _k8s_info(host, kind="Lease", namespace=NAMESPACE)
    held = [lease for lease in leases if lease["spec"].get("holderIdentity")]
    assert held == [], [lease["metadata"]["name"] for lease in held]


def test_platform_answers_healthy_through_its_name(host):
    cmd = host.run(
        "curl -sS --fail --cacert %s --resolve api.smeplatform.test:15543:127.0.0.1 https://api.smeplatform.test:15543/health",
        str(LAB / "tls" / "ca.crt"),
    )
    assert cmd.rc == 0, cmd.stderr
    assert json.loads(cmd.stdout)["status"] == "ok"


def test_the_rollback_run_is_go_with_its_scope_proven(host):
    reports = sorted((PROJECT / "reports").glob("lab-*.json"))
    assert reports, "no report written"
    newest = json.loads(reports[-1].read_text())  # the side effect: deploy v1.1.0, then rollback.yml
    assert newest["scope"]["name"] == "rollback"
    assert set(newest["scope"]["items"]) == {"rollback.1", "rollback.4", "8.1.4"}
    assert newest["verdict"] == {"decision": "GO", "reasons": []}
    status = {item["id"]: item["status"] for item in newest["items"]}
    assert [i for i in ("deploy.3", "rollback.1", "rollback.4", "8.1.4") if status[i] != "passed"] == []
