"""Render tests for the reference chart charts/sme-platform.

They run the real helm binary (lint, template) and assert on the rendered
objects. helm is looked up in $HELM, then on PATH, then in the lab build cache
(tests/lab/k8s/build.sh); a missing helm is a failure, not a skip.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
CHART = REPO / "charts" / "sme-platform"
RELEASE = "sme-platform"
NAMESPACE = "sme-platform"
ENV_FILES = ["values-prod.yaml", "values-staging.yaml", "values-lab.yaml"]
# Oldest cluster the chart supports (Chart.yaml kubeVersion); passed explicitly
# because a helm built without version ldflags assumes Kubernetes 1.20.
KUBE_VERSION = "v1.28.0"
CONFIG_KEYS = {
    "NODE_ENV",
    "LOG_LEVEL",
    "DEBUG",
    "CORS_ORIGIN",
    "ALLOWED_ORIGINS",
    "RATE_LIMIT_WINDOW_MS",
    "RATE_LIMIT_MAX",
    "JWT_EXPIRES_IN",
    "ENABLE_MILESTONE_WORKFLOWS",
    "ENABLE_INVOICE_CONCIERGE",
    "ENABLE_CREDIT_DECISIONING",
    "SMTP_HOST",
    "SMTP_PORT",
    "FRONTEND_URL",
    "API_URL",
    "DATABASE_HOST",
    "DATABASE_PORT",
    "DATABASE_NAME",
    "REDIS_HOST",
    "REDIS_PORT",
}

Manifest = list[dict[str, Any]]


def _find_helm() -> str:
    candidates = [os.environ.get("HELM", ""), shutil.which("helm") or ""]
    cache = os.environ.get("SMEPLATFORM_LAB_CACHE", str(Path.home() / ".cache" / "smeplatform-lab"))
    candidates += sorted(glob.glob(os.path.join(cache, "helm-*", "bin", "helm")), reverse=True)
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.fail(
        "helm not found: set HELM, put helm on PATH, or build it with tests/lab/k8s/build.sh helm",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def helm() -> str:
    return _find_helm()


def _run(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [helm, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={
            **os.environ,
            "HELM_CACHE_HOME": "/tmp/sme-platform-chart-test/cache",
            "HELM_CONFIG_HOME": "/tmp/sme-platform-chart-test/config",
            "HELM_DATA_HOME": "/tmp/sme-platform-chart-test/data",
        },
    )


def _values_args(values_files: tuple[str, ...], sets: tuple[str, ...]) -> list[str]:
    args: list[str] = []
    for name in values_files:
        args += ["-f", str(CHART / name)]
    for item in sets:
        args += ["--set", item]
    return args


def render(helm: str, *values_files: str, sets: tuple[str, ...] = (), expect_ok: bool = True) -> Manifest | str:
    proc = _run(
        helm,
        "template",
        RELEASE,
        str(CHART),
        "--namespace",
        NAMESPACE,
        "--kube-version",
        KUBE_VERSION,
        *_values_args(values_files, sets),
    )
    if not expect_ok:
        assert proc.returncode != 0, "helm template unexpectedly accepted the values"
        return proc.stderr
    assert proc.returncode == 0, proc.stderr
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def find(objects: Manifest, kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def image_of(objects: Manifest, deployment: str) -> str:
    return find(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]["image"]


def pod_specs(objects: Manifest) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    ]


@pytest.fixture(scope="session")
def default_objects(helm: str) -> Manifest:
    return render(helm)  # type: ignore[return-value]


@pytest.fixture(scope="session")
def lab_objects(helm: str) -> Manifest:
    return render(helm, "values-lab.yaml")  # type: ignore[return-value]


@pytest.mark.parametrize("values_file", [None, *ENV_FILES])
def test_helm_lint_passes(helm: str, values_file: str | None) -> None:
    args = ["lint", str(CHART), "--strict", "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
    if values_file:
        args += ["-f", str(CHART / values_file)]
    proc = _run(helm, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def test_deployments_names_replicas_and_images(default_objects: Manifest) -> None:
    backend = find(default_objects, "Deployment", "sme-platform-backend")
    frontend = find(default_objects, "Deployment", "sme-platform-frontend")
    assert backend["spec"]["replicas"] == 3
    assert frontend["spec"]["replicas"] == 2
    (be,) = backend["spec"]["template"]["spec"]["containers"]
    (fe,) = frontend["spec"]["template"]["spec"]["containers"]
    assert be["name"] == "backend"
    assert fe["name"] == "frontend"
    assert be["image"] == "registry.smeplatform.com/sme-platform/backend:v1.0.0"
    assert fe["image"] == "registry.smeplatform.com/sme-platform/frontend:v1.0.0"
    assert backend["metadata"]["namespace"] == NAMESPACE


def test_lab_images_come_from_lab_registry(lab_objects: Manifest) -> None:
    assert image_of(lab_objects, "sme-platform-backend") == "127.0.0.1:15450/sme-platform/backend:v1.0.0"


@pytest.mark.parametrize("values_file", [None, *ENV_FILES])
def test_every_container_is_restricted(helm: str, values_file: str | None) -> None:
    files = (values_file,) if values_file else ()
    objects = render(helm, *files, sets=("migrations.job.enabled=true",))
    specs = pod_specs(objects)  # type: ignore[arg-type]
    assert {name for name, _unused in specs} >= {
        "Deployment/sme-platform-backend",
        "Deployment/sme-platform-frontend",
        "Job/sme-platform-migrations",
    }
    for name, spec in specs:
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, name
        assert pod_sc["runAsUser"] == 1000, name
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        containers = spec["containers"] + spec.get("initContainers", [])
        for container in containers:
            where = f"{name} container {container['name']}"
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False, where
            assert sc["capabilities"]["drop"] == ["ALL"], where
            assert not sc["capabilities"].get("add"), where
            assert sc["readOnlyRootFilesystem"] is True, where
            assert sc["runAsNonRoot"] is True, where
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", where
            assert sc.get("privileged", False) is False, where
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), where
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, where
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        assert all("emptyDir" in v or "configMap" in v or "secret" in v for v in volumes.values()), name


@pytest.mark.parametrize(
    ("deployment", "path", "port"),
    [("sme-platform-backend", "/health", 3000), ("sme-platform-frontend", "/", 8080)],
)
def test_probes(default_objects: Manifest, deployment: str, path: str, port: int) -> None:
    (container,) = find(default_objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        http = container[probe]["httpGet"]
        assert http["path"] == path, probe
        assert ports[http["port"]] == port, probe


def test_probe_paths_per_probe(helm: str) -> None:
    """A probe's own path replaces probes.path for that probe only."""
    objects = render(
        helm,
        "values-lab.yaml",
        sets=("backend.probes.startupPath=/live", "backend.probes.readinessPath=/ready"),
    )
    (container,) = find(objects, "Deployment", "sme-platform-backend")["spec"]["template"]["spec"]["containers"]  # type: ignore[arg-type]
    paths = {
        probe: container[probe]["httpGet"]["path"] for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert paths == {"startupProbe": "/live", "livenessProbe": "/health", "readinessProbe": "/ready"}
    (frontend,) = find(objects, "Deployment", "sme-platform-frontend")["spec"]["template"]["spec"]["containers"]  # type: ignore[arg-type]
    assert frontend["readinessProbe"]["httpGet"]["path"] == "/"
    assert "/backend/probes/readinessPath" in render(
        helm, sets=("backend.probes.readinessPath=ready",), expect_ok=False
    )  # type: ignore[operator]


def test_chart_never_renders_a_secret(helm: str) -> None:
    expected = {
        "Deployment/sme-platform-backend": ["sme-platform-secrets"],
        "Job/sme-platform-migrations": ["sme-platform-secrets"],
        # Static file server: no credentials (least privilege).
        "Deployment/sme-platform-frontend": [],
    }
    for files in [(), *[(f,) for f in ENV_FILES]]:
        objects = render(helm, *files, sets=("migrations.job.enabled=true",))
        kinds = {o["kind"] for o in objects}  # type: ignore[union-attr]
        assert "Secret" not in kinds, files
        refs = {
            name: [e["secretRef"]["name"] for e in spec["containers"][0].get("envFrom", []) if "secretRef" in e]
            for name, spec in pod_specs(objects)  # type: ignore[arg-type]
        }
        assert refs == expected, files


def test_secret_name_comes_from_values(helm: str) -> None:
    objects = render(helm, sets=("secrets.existingSecret=receivables-credentials",))
    (container,) = find(objects, "Deployment", "sme-platform-backend")["spec"]["template"]["spec"]["containers"]  # type: ignore[arg-type]
    assert {"secretRef": {"name": "receivables-credentials"}} in container["envFrom"]


def test_chart_refuses_clusters_older_than_1_28(helm: str) -> None:
    proc = _run(helm, "template", RELEASE, str(CHART), "--kube-version", "v1.27.9")
    assert proc.returncode != 0
    assert "kubeVersion" in proc.stderr


def test_configmap_keys_and_production_values(default_objects: Manifest) -> None:
    data = find(default_objects, "ConfigMap", "sme-platform-config")["data"]
    assert set(data) >= CONFIG_KEYS
    assert all(isinstance(v, str) for v in data.values())
    assert data["NODE_ENV"] == "production"
    assert data["LOG_LEVEL"] == "info"
    assert data["DEBUG"] == "false"
    assert data["RATE_LIMIT_WINDOW_MS"] == "900000"
    assert data["RATE_LIMIT_MAX"] == "100"
    assert data["JWT_EXPIRES_IN"] == "24h"
    assert data["CORS_ORIGIN"] == "https://smeplatform.com"
    assert data["FRONTEND_URL"] == "https://smeplatform.com"
    assert data["API_URL"] == "https://api.smeplatform.com"
    for container in [
        find(default_objects, "Deployment", d)["spec"]["template"]["spec"]["containers"][0]
        for d in ("sme-platform-backend", "sme-platform-frontend")
    ]:
        assert {"configMapRef": {"name": "sme-platform-config"}} in container["envFrom"]


def test_lab_configmap(lab_objects: Manifest) -> None:
    data = find(lab_objects, "ConfigMap", "sme-platform-config")["data"]
    assert data["ALLOWED_ORIGINS"] == "https://smeplatform.test:15543,https://smeplatform.test"
    assert data["CORS_ORIGIN"] == "https://smeplatform.test:15543"
    assert data["API_URL"] == "https://api.smeplatform.test:15543"


def test_backend_tag_override_changes_only_backend_image(helm: str, default_objects: Manifest) -> None:
    objects = render(helm, "values-lab.yaml", sets=("backend.image.tag=v1.1.0",))
    assert image_of(objects, "sme-platform-backend") == "127.0.0.1:15450/sme-platform/backend:v1.1.0"  # type: ignore[arg-type]
    assert image_of(objects, "sme-platform-frontend") == "127.0.0.1:15450/sme-platform/frontend:v1.0.0"  # type: ignore[arg-type]


def test_config_change_rolls_pods(helm: str, default_objects: Manifest) -> None:
    def checksum(objects: Manifest) -> str:
        backend = find(objects, "Deployment", "sme-platform-backend")
        return backend["spec"]["template"]["metadata"]["annotations"]["checksum/config"]

    changed = render(helm, sets=("config.logLevel=warn",))
    assert len(checksum(default_objects)) == 64
    assert checksum(changed) != checksum(default_objects)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("backend.replicaCount=three", "replicaCount"),
        ("backend.image.tag=110", "tag"),  # --set types digits as an integer
        ("config.logLevel=trace", "logLevel"),
        ("backend.resources=null", "resources"),
        ("backend.replicas=3", "replicas"),  # a typo of replicaCount
    ],
)
def test_schema_rejects_bad_values(helm: str, override: str, field: str) -> None:
    stderr = render(helm, sets=(override,), expect_ok=False)
    assert "values don't meet the specifications of the schema" in stderr
    assert field in stderr  # type: ignore[operator]


def test_schema_rejects_string_replicas_from_values_file(helm: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text('backend:\n  replicaCount: "three"\n')
    proc = _run(helm, "lint", str(CHART), "-f", str(bad))
    assert proc.returncode != 0
    assert "replicaCount" in proc.stdout + proc.stderr


def test_autoscaling_and_disruption_budget(default_objects: Manifest) -> None:
    hpa = find(default_objects, "HorizontalPodAutoscaler", "sme-platform-backend")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "sme-platform-backend",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 10)
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["averageUtilization"] == 70
    pdb = find(default_objects, "PodDisruptionBudget", "sme-platform-backend")
    assert pdb["spec"]["minAvailable"] == 2
    backend = find(default_objects, "Deployment", "sme-platform-backend")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= backend["spec"]["template"]["metadata"]["labels"].items()


def test_scheduling_spread(default_objects: Manifest, lab_objects: Manifest) -> None:
    spec = find(default_objects, "Deployment", "sme-platform-backend")["spec"]["template"]["spec"]
    (spread,) = spec["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["whenUnsatisfiable"] == "ScheduleAnyway"
    assert spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    assert "tolerations" not in spec
    for name, lab_spec in pod_specs(lab_objects):
        assert {"key": "kwok.x-k8s.io/node", "operator": "Equal", "value": "fake", "effect": "NoSchedule"} in lab_spec[
            "tolerations"
        ], name
        assert lab_spec["nodeSelector"] == {"type": "kwok"}, name


def test_service_account_does_not_mount_token(default_objects: Manifest) -> None:
    sa = find(default_objects, "ServiceAccount", "sme-platform")
    assert sa["automountServiceAccountToken"] is False
    for name, spec in pod_specs(default_objects):
        assert spec["serviceAccountName"] == "sme-platform", name


def test_ingress_hosts_tls_and_class(helm: str, default_objects: Manifest) -> None:
    ingress = find(default_objects, "Ingress", "sme-platform")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    rules = {r["host"]: r["http"]["paths"][0]["backend"]["service"]["name"] for r in ingress["spec"]["rules"]}
    assert rules == {"smeplatform.com": "sme-platform-frontend", "api.smeplatform.com": "sme-platform-backend"}
    (tls,) = ingress["spec"]["tls"]
    assert tls["secretName"] == "sme-platform-tls"
    assert set(tls["hosts"]) == set(rules)
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"

    prod = render(helm, "values-prod.yaml")
    prod_ingress = find(prod, "Ingress", "sme-platform")  # type: ignore[arg-type]
    assert {r["host"] for r in prod_ingress["spec"]["rules"]} == {
        "smeplatform.com",
        "www.smeplatform.com",
        "api.smeplatform.com",
    }


def test_network_policies(default_objects: Manifest) -> None:
    policies = {o["metadata"]["name"]: o["spec"] for o in default_objects if o["kind"] == "NetworkPolicy"}
    deny = policies["sme-platform-default-deny-ingress"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress"]}
    for component, port in (("frontend", 8080), ("backend", 3000)):
        spec = policies[f"sme-platform-{component}-ingress"]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
        from_controller = spec["ingress"][0]
        assert from_controller["ports"] == [{"port": port, "protocol": "TCP"}]
        assert from_controller["from"][0]["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "ingress-nginx",
        }
    egress = policies["sme-platform-backend-egress"]
    ports = {(p["port"], p["protocol"]) for rule in egress["egress"] for p in rule["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (6379, "TCP"), (587, "TCP"), (443, "TCP")}


def test_migration_job_is_optional_hook(helm: str, default_objects: Manifest) -> None:
    assert not [o for o in default_objects if o["kind"] == "Job"]
    objects = render(helm, sets=("migrations.job.enabled=true",))
    job = find(objects, "Job", "sme-platform-migrations")  # type: ignore[arg-type]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["npm", "run", "migration:run"]
    assert container["image"] == "registry.smeplatform.com/sme-platform/backend:v1.0.0"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert set(env) >= CONFIG_KEYS


def test_name_overrides(helm: str) -> None:
    objects = render(helm, sets=("fullnameOverride=receivables",))
    find(objects, "Deployment", "receivables-backend")  # type: ignore[arg-type]
    find(objects, "ConfigMap", "receivables-config")  # type: ignore[arg-type]
    proc = _run(helm, "template", "blue", str(CHART), "--kube-version", KUBE_VERSION)
    assert proc.returncode == 0, proc.stderr
    names = {d["metadata"]["name"] for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] == "Deployment"}
    assert names == {"blue-sme-platform-backend", "blue-sme-platform-frontend"}
