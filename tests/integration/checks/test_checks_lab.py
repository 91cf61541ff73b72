"""The read-only check roles against the lab: what the lab has passes, what it lacks fails, and why."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
import yaml
from checks_support import ROOT, kubectl

pytestmark = pytest.mark.lab


def _secret(path: str) -> str:
    return Path(path).read_text().strip()


# ---------------------------------------------------------------- preflight (8.2.1, 8.2.4)
def test_preflight_passes_for_the_lab_images_and_changes_nothing(run_role):
    run = run_role("preflight", check=True)
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0
    assert run.status("8.2.1") == "passed"
    assert set(run.evidence("8.2.1")["measured"]) == {"sme-platform/backend:v1.0.0", "sme-platform/frontend:v1.0.0"}
    assert run.status("8.2.4") == "passed"
    assert run.evidence("8.2.4")["measured"]["anonymous"] == 401


def test_preflight_names_a_missing_tag(run_role, lab):
    images = [
        {"repository": "sme-platform/backend", "tag": "v1.0.0"},
        {"repository": "sme-platform/frontend", "tag": "v9.9.9-absent"},
    ]
    run = run_role("preflight", verbose=True, preflight_images=images)
    assert run.status("8.2.1") == "failed"
    assert "sme-platform/frontend:v9.9.9-absent (no such tag)" in run.evidence("8.2.1")["detail"]
    password = _secret(lab["SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE"])
    assert password not in run.output and password not in run.report_text


def test_preflight_fails_when_the_credentials_are_wrong(run_role):
    run = run_role("preflight", preflight_registry_password="Wrong-registry-pw-7c1d")
    assert run.status("8.2.1") == "failed"
    assert "access refused: 401" in run.evidence("8.2.1")["detail"]
    assert run.status("8.2.4") == "failed"
    assert "Wrong-registry-pw-7c1d" not in run.output + run.report_text


# ---------------------------------------------------------------- cluster (2.x)
def test_cluster_measures_the_lab(run_role, lab, platform_release):
    run = run_role("cluster", check=True)
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0
    version = json.loads(kubectl(lab, "version", "-o", "json"))["serverVersion"]["gitVersion"]
    assert run.evidence("2.1.1")["measured"] == version
    assert run.status("2.1.2") == "passed"
    nodes = kubectl(lab, "get", "nodes", "--no-headers").splitlines()
    assert run.evidence("2.1.3")["measured"]["ready_schedulable"] == len(nodes) >= 3
    assert run.status("2.1.3") == "passed"
    assert run.evidence("2.1.5")["measured"] == ["lab-zone-a", "lab-zone-b", "lab-zone-c"]
    assert run.status("2.1.4") == "passed"  # the chart's HPA scales the backend
    assert run.evidence("2.3.2")["measured"]["default"] == "standard"
    assert run.status("2.3.1") == "passed"
    # The lab's ingress controller (the platform stand-in) publishes 127.0.0.1 on nginx Ingresses.
    assert run.evidence("2.2.3")["measured"]["ingress_class"] == "k8s.io/ingress-nginx"
    assert run.status("2.2.3") == "passed"
    assert run.evidence("2.2.3")["measured"]["ingress_addresses"] == ["127.0.0.1"]


def test_cluster_thresholds_are_enforced(run_role):
    run = run_role("cluster", cluster_min_nodes=9, cluster_min_zones=4, cluster_min_version="1.99")
    assert run.status("2.1.3") == "failed"
    assert run.status("2.1.5") == "failed"
    assert run.status("2.1.2") == "failed"
    run = run_role("cluster", cluster_volume_claims=["no-such-claim"])
    assert run.status("2.3.1") == "failed"
    assert "no-such-claim missing" in run.evidence("2.3.1")["detail"]


# ---------------------------------------------------------------- hardening (7.1.x, 7.3.1)
HARDENED = """
apiVersion: v1
kind: ServiceAccount
metadata: {{name: app, namespace: {ns}}}
automountServiceAccountToken: false
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: default-deny-ingress, namespace: {ns}}}
spec: {{podSelector: {{}}, policyTypes: [Ingress]}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: {ns}}}
spec:
  ingressClassName: nginx
  tls: [{{hosts: [checks.smeplatform.test], secretName: web-tls}}]
  rules:
    - host: checks.smeplatform.test
      http:
        paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}]
"""


def test_hardening_passes_a_hardened_namespace(run_role, lab, namespace):
    kubectl(lab, "label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    kubectl(lab, "apply", "-f", "-", stdin=HARDENED.format(ns=namespace))
    # hardening_release "": the scratch namespace holds no Helm release, check its objects as they are
    run = run_role(
        "hardening", check=True, hardening_namespace=namespace, hardening_service_account="app", hardening_release=""
    )
    assert run.changed() == 0
    for item in ("7.1.1", "7.1.2", "7.1.3", "7.3.1"):
        assert run.status(item) == "passed", run.evidence(item)
    assert run.evidence("7.1.1")["measured"]["default_deny"] == ["default-deny-ingress"]


def test_hardening_fails_a_bare_namespace_and_an_over_privileged_account(run_role, lab, namespace):
    kubectl(lab, "create", "serviceaccount", "app", "-n", namespace)
    kubectl(lab, "create", "service", "nodeport", "debug", "--tcp=8080:8080", "-n", namespace)
    binding = f"{namespace}-too-much"
    kubectl(lab, "create", "clusterrolebinding", binding, "--clusterrole=view", f"--serviceaccount={namespace}:app")
    kubectl(lab, "create", "clusterrole", binding, "--verb=list", "--resource=secrets")
    kubectl(lab, "create", "clusterrolebinding", binding + "-s", f"--clusterrole={binding}",
            f"--serviceaccount={namespace}:app")  # fmt: skip
    try:
        run = run_role(
            "hardening", hardening_namespace=namespace, hardening_service_account="app", hardening_release=""
        )
    finally:
        kubectl(lab, "delete", "clusterrolebinding", binding, binding + "-s", check=False)
        kubectl(lab, "delete", "clusterrole", binding, check=False)
    assert run.status("7.1.1") == "failed"
    assert run.status("7.1.2") == "failed"
    assert "Service debug is NodePort on [8080]" in run.evidence("7.1.2")["detail"]
    assert run.status("7.1.3") == "failed"
    assert run.evidence("7.1.3")["detail"] == "no Pod Security Admission enforce label"
    assert run.status("7.3.1") == "failed"
    assert "may list secrets cluster-wide" in run.evidence("7.3.1")["detail"]


def test_hardening_before_a_first_install_skips_the_release_objects(run_role, lab, namespace):
    kubectl(lab, "label", "namespace", namespace, "pod-security.kubernetes.io/enforce=restricted")
    run = run_role("hardening", check=True, hardening_namespace=namespace, hardening_release="not-installed-yet")
    assert run.proc.returncode == 0, run.output
    assert run.status("7.1.3") == "passed"  # the namespace itself is checked
    for item in ("7.1.1", "7.1.2", "7.3.1"):
        assert run.status(item) == "skipped", run.evidence(item)
        assert "not installed" in run.evidence(item)["detail"]


# database (4.1.x, 4.2.3, 4.2.4, and Redis for 3.2.3): tests/integration/database/test_database_lab.py


# ---------------------------------------------------------------- app_config (5.x)
def test_app_config_planned_values_of_the_lab_chart_pass(run_role, lab):
    run = run_role("app_config", check=True, app_config_source="planned")
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0
    for item in ("5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.2.1", "5.2.2", "5.2.3", "5.3.1", "5.3.3", "5.4.1"):
        assert run.status(item) == "passed", run.evidence(item)
    assert run.evidence("5.1.1")["where"] == "planned values"
    assert run.evidence("5.3.1")["measured"] == {"starttls": "TLSv1.3", "auth": "accepted"}
    assert run.evidence("5.3.3")["measured"]["dkim"] == {"s1": True}


def test_app_config_live_configmap_is_preferred(run_role, platform_release):
    run = run_role("app_config")
    assert run.evidence("5.1.1")["where"] == "configmap sme-platform/sme-platform-config"


def test_app_config_bad_settings_fail_each_item(run_role, lab):
    # A values file that breaks the policy, rendered through the real chart.
    bad = ROOT / ".lab" / "checks-bad-values.yaml"
    bad.parent.mkdir(exist_ok=True)
    bad.write_text(
        yaml.safe_dump(
            {
                "config": {
                    "nodeEnv": "development",
                    "logLevel": "debug",
                    "debug": True,
                    "corsOrigin": "https://evil.example",
                    "allowedOrigins": ["http://smeplatform.test", "https://elsewhere.example"],
                    "rateLimit": {"windowMs": 60000, "max": 1000},
                    "features": {"creditDecisioning": True},
                }
            }
        )
    )
    values = [str(ROOT / "charts/sme-platform/values-lab.yaml"), str(bad)]
    wrong_smtp = "Wrong-smtp-pw-9a1c"
    run = run_role(
        "app_config",
        verbose=True,
        app_config_source="planned",
        app_config_chart_values_files=values,
        app_config_smtp_password=wrong_smtp,
        app_config_dkim_selectors=["s1", "s2"],
    )
    bad.unlink()
    for item in ("5.1.1", "5.1.2", "5.1.3", "5.1.4", "5.1.5", "5.2.3", "5.4.1", "5.3.1", "5.3.3"):
        assert run.status(item) == "failed", run.evidence(item)
    # the flag is a valid "true", but not the inventory's expected value
    assert "expected false" in run.evidence("5.2.3")["detail"]
    assert run.status("5.2.1") == "passed", run.evidence("5.2.1")
    assert "http://smeplatform.test" in run.evidence("5.1.3")["detail"]
    assert "refused AUTH for apikey: 535" in run.evidence("5.3.1")["detail"]
    assert "no DKIM key at s2._domainkey.smeplatform.test" in run.evidence("5.3.3")["detail"]
    assert wrong_smtp not in run.output + run.report_text
    real = _secret(lab["SMEPLATFORM_LAB_SMTP_PASSWORD_FILE"])
    assert real not in run.output + run.report_text


# ---------------------------------------------------------------- monitoring (6.x, deploy.6, deploy.7.4, success.9)
def _alertmanager_notifies(lab) -> bool:
    with urllib.request.urlopen(lab["ALERTMANAGER_URL"] + "/api/v2/status", timeout=5) as answer:  # noqa: S310
        config = yaml.safe_load(json.load(answer)["config"]["original"])
    return any(r.get("email_configs") or r.get("slack_configs") for r in config.get("receivers") or [])


def _running_backend_tag(lab):
    image = kubectl(
        lab, "-n", "sme-platform", "get", "deployment", "sme-platform-backend",
        "-o", "jsonpath={.spec.template.spec.containers[0].image}",
    )  # fmt: skip
    return image.rsplit(":", 1)[-1]


def test_monitoring_measures_the_lab(run_role, lab, platform_release):
    # before a release (no version given) the items that judge a running release are not measured
    before = run_role("monitoring", check=True)
    for item in ("deploy.6", "deploy.7.4", "success.9"):
        assert before.status(item) == "not run", before.evidence(item)
    # after it: a version nobody runs has no fresh samples, so deploy.7.4, deploy.6 and success.9 fail
    stale = run_role("monitoring", check=True, monitoring_release_version="v0.0.0-not-running")
    assert stale.status("deploy.7.4") == "failed" and "not scraped" in stale.evidence("deploy.7.4")["detail"]
    assert stale.status("deploy.6") == stale.status("success.9") == "failed"
    run = run_role("monitoring", check=True, monitoring_release_version=_running_backend_tag(lab))
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 0
    for item in ("6.1.1", "6.1.2", "6.1.3", "6.1.4", "deploy.6", "deploy.7.4", "success.9"):
        assert run.status(item) == "passed", run.evidence(item)
    assert run.evidence("6.1.3")["measured"]["loaded"] == run.evidence("6.1.3")["measured"]["expected"] == 14
    assert "SUCCESS" in run.evidence("6.1.3")["detail"]  # promtool validated the file
    assert run.evidence("6.1.4")["measured"] == "30d"
    # The lab Alertmanager mails the lab relay (6.2.4); a blackbox probe covers /health (6.4.2).
    assert run.status("6.2.4") == ("passed" if _alertmanager_notifies(lab) else "failed")
    assert _alertmanager_notifies(lab)
    assert run.status("6.4.2") == "passed"
    assert "target=https%3A%2F%2F127.0.0.1%3A15543%2Fhealth" in run.evidence("6.4.2")["measured"][0]
    # a /health probe of another URL than the platform's does not count
    other = run_role("monitoring", check=True, monitoring_health_url="https://api.smeplatform.test:15999/health")
    assert other.status("6.4.2") == "failed", other.evidence("6.4.2")


def test_monitoring_thresholds_and_missing_rules(run_role, tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text(
        yaml.safe_dump({"groups": [{"name": "not-deployed", "rules": [{"alert": "Nope", "expr": "vector(1) > 2"}]}]})
    )
    run = run_role(
        "monitoring",
        monitoring_min_retention="60d",
        monitoring_backend_job="no-such-job",
        monitoring_rules_file=str(rules),
        monitoring_release_version="v1",
    )
    assert run.status("6.1.4") == "failed"
    assert run.status("6.1.2") == "failed"
    assert run.evidence("6.1.2")["detail"] == "no active target of job no-such-job"
    assert run.status("6.1.3") == "failed"
    assert "not-deployed/Nope" in run.evidence("6.1.3")["detail"]
    assert run.status("deploy.7.4") == "failed"
    assert run.status("success.9") == "failed"


def test_monitoring_ships_the_rules_in_four_steps(run_role, tmp_path):
    dest = tmp_path / "rules" / "sme-platform-alerts.yml"
    dest.parent.mkdir()
    shipped = {"monitoring_rules_dest": str(dest)}
    run = run_role("monitoring", check=True, **shipped)
    assert run.changed() == 1 and not dest.exists()
    run = run_role("monitoring", **shipped)
    assert run.proc.returncode == 0, run.output
    assert run.changed() == 1
    assert dest.read_text() == (ROOT / "roles/monitoring/files/sme-platform-alerts.yml").read_text()
    assert "RUNNING HANDLER [smeplatform.deploy.monitoring : Reload Prometheus]" in run.proc.stdout
    assert run.status("6.1.3") == "passed"
    assert run_role("monitoring", check=True, **shipped).changed() == 0
    assert run_role("monitoring", **shipped).changed() == 0
