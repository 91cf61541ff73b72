"""The platform's chart on the kind lab, with the platform stand-in's images.

charts/sme-platform is installed with inventories/kind/sme-platform-values.yaml
(the only kind-specific input), images loaded by ``tests/lab/kind/lab.sh up``.
What is measured on running pods: the backend and frontend answer through
their Services (health, version, login JWT, security headers, CORS, rate
limit); the chart's default-deny NetworkPolicy refuses a client outside the
ingress controller's namespace; an ``-unready`` build fails its readiness
probe, so ``helm upgrade --wait`` fails while the previous pods keep serving;
a ``-faulty`` build is Ready but answers /health 503 and login 500.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kind_support import REPO, Kube, eventually, kind_env

pytestmark = pytest.mark.kind

CHART = REPO / "charts" / "sme-platform"
VALUES = REPO / "inventories" / "kind" / "sme-platform-values.yaml"
RELEASE = "sme-platform"
INGRESS_NS = "ingress-nginx"  # the chart's default ingress controller namespace
ORIGIN = "https://smeplatform.test:15543"

# Runs inside a pod of the stand-in image (python3 there): one HTTP request, the answer as JSON.
CLIENT = r"""
import json, sys, urllib.request, urllib.error
method, url, body, headers = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
req = urllib.request.Request(url, data=body.encode() if body else None, method=method, headers=headers)
try:
    with urllib.request.urlopen(req, timeout=5) as r:
        out = {"status": r.status, "headers": dict(r.headers), "body": r.read().decode()}
except urllib.error.HTTPError as e:
    out = {"status": e.code, "headers": dict(e.headers), "body": e.read().decode()}
except OSError as e:
    out = {"status": 0, "error": str(e)}
print(json.dumps(out))
"""


class Platform:
    def __init__(self, kube: Kube, helm: str, env: dict[str, str]) -> None:
        self.kube = kube
        self.helm_cmd = [helm, "--kubeconfig", env["KUBECONFIG"], "--kube-context", env["SMEPLATFORM_LAB_KIND_CONTEXT"]]
        self.helm_env = {**os.environ, "HELM_CONFIG_HOME": str(REPO / ".lab" / "kind" / "helm")}
        self.admin_password = secrets.token_urlsafe(18)
        self.jwt_secret = secrets.token_urlsafe(32)

    def helm(self, *args: str, timeout: int = 300, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [*self.helm_cmd, "--namespace", self.kube.namespace, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False, env=self.helm_env)
        if check and proc.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc

    def deploy(self, tag: str, wait: str = "180s", check: bool = True) -> subprocess.CompletedProcess:
        return self.helm(
            "upgrade",
            "--install",
            RELEASE,
            str(CHART),
            "-f",
            str(VALUES),
            "--set",
            f"backend.image.tag={tag}",
            "--set",
            f"frontend.image.tag={tag}",
            "--wait",
            "--timeout",
            wait,
            check=check,
        )

    def request(self, client: Kube, pod: str, method: str, url: str, body: str = "", headers: dict | None = None):
        out = client.exec(pod, "python3", "-c", CLIENT, method, url, body, json.dumps(headers or {}), timeout=30)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    def backend_url(self, path: str) -> str:
        return f"http://{RELEASE}-backend.{self.kube.namespace}.svc.cluster.local:3000{path}"

    def frontend_url(self) -> str:
        return f"http://{RELEASE}-frontend.{self.kube.namespace}.svc.cluster.local/"


def client_pod(name: str, labels: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "main",
                    "image": "smeplatform.lab/sme-platform/backend:v1.0.0",
                    "imagePullPolicy": "Never",
                    "command": ["python3", "-c", "import time; time.sleep(3600)"],
                }
            ],
        },
    }


@pytest.fixture(scope="module")
def platform(kind_kube: Kube) -> Iterator[Platform]:
    env = kind_env()
    helm = [Path(p) / "helm" for p in env["PATH"].split(":") if (Path(p) / "helm").exists()][0]
    name = f"kind-platform-{uuid.uuid4().hex[:6]}"
    kind_kube.run("create", "namespace", name, ns=False)
    kube = Kube(kind_kube.base[0], kind_kube.base[2], kind_kube.base[4], name)
    p = Platform(kube, str(helm), env)
    kube.run(
        "create",
        "secret",
        "generic",
        "sme-platform-secrets",
        "--from-env-file=/dev/stdin",
        stdin=f"JWT_SECRET={p.jwt_secret}\n",
    )
    kube.run(
        "create",
        "secret",
        "generic",
        "sme-platform-lab-admin",
        "--from-env-file=/dev/stdin",
        stdin=f"password={p.admin_password}\n",
    )
    try:
        yield p
    finally:
        p.helm("uninstall", RELEASE, "--wait", check=False)
        kind_kube.run("delete", "namespace", name, "--wait=false", ns=False, check=False)


@pytest.fixture(scope="module")
def ingress_client(kind_kube: Kube) -> Iterator[Kube]:
    """A pod where the chart's NetworkPolicies let the ingress controller in."""
    kind_kube.run("create", "namespace", INGRESS_NS, ns=False, check=False)
    kube = Kube(kind_kube.base[0], kind_kube.base[2], kind_kube.base[4], INGRESS_NS)
    kube.apply(client_pod("client", {"app.kubernetes.io/name": "ingress-nginx"}))
    kube.wait("condition=Ready", "pod/client", timeout=90)
    try:
        yield kube
    finally:
        kind_kube.run("delete", "namespace", INGRESS_NS, "--wait=false", ns=False, check=False)


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_release_serves_through_its_services(platform: Platform, ingress_client: Kube) -> None:
    platform.deploy("v1.0.0")
    answers: list[dict] = []

    def answered() -> bool:
        # helm's --wait ends when the pods are Ready; the client's node programs the Service's endpoints a moment
        # later (until then its kube-proxy refuses the connection), so only the first answer is waited for
        answers.append(platform.request(ingress_client, "client", "GET", platform.backend_url("/health")))
        return answers[-1]["status"] != 0

    assert eventually(answered, timeout=30, interval=2), answers[-1]
    health = answers[-1]
    assert health["status"] == 200, health
    assert json.loads(health["body"])["version"] == "v1.0.0"
    assert health["headers"]["X-Frame-Options"] == "DENY"
    assert "max-age=31536000" in health["headers"]["Strict-Transport-Security"]

    login = platform.request(
        ingress_client,
        "client",
        "POST",
        platform.backend_url("/api/auth/login"),
        json.dumps({"email": "admin@smeplatform.test", "password": platform.admin_password}),
        {"Content-Type": "application/json", "Origin": ORIGIN},
    )
    assert login["status"] == 200, login
    claims = jwt_claims(json.loads(login["body"])["access_token"])
    assert claims["exp"] - claims["iat"] == 86400  # JWT_EXPIRES_IN 24h from the chart's ConfigMap
    assert login["headers"]["Access-Control-Allow-Origin"] == ORIGIN
    assert login["headers"]["X-RateLimit-Limit"] == "100"

    wrong = platform.request(
        ingress_client,
        "client",
        "POST",
        platform.backend_url("/api/auth/login"),
        json.dumps({"email": "admin@smeplatform.test", "password": "not-it"}),
        {"Content-Type": "application/json", "Origin": "https://evil.example"},
    )
    assert wrong["status"] == 401
    assert "Access-Control-Allow-Origin" not in wrong["headers"]

    page = platform.request(ingress_client, "client", "GET", platform.frontend_url())
    assert page["status"] == 200
    assert "v1.0.0" in page["body"]


def test_default_deny_refuses_other_namespaces(platform: Platform, ingress_client: Kube, namespace: Kube) -> None:
    namespace.apply(client_pod("outsider", {"app": "outsider"}))
    namespace.wait("condition=Ready", "pod/outsider", timeout=90)
    url = platform.backend_url("/health")
    assert platform.request(ingress_client, "client", "GET", url)["status"] == 200
    refused = platform.request(namespace, "outsider", "GET", url)
    assert refused["status"] == 0, f"a pod outside the ingress namespace reached the backend: {refused}"


def test_unready_build_fails_its_readiness_probe(platform: Platform, ingress_client: Kube) -> None:
    failed = platform.deploy("v1.1.0-unready", wait="40s", check=False)
    assert failed.returncode != 0, "helm --wait must fail when the new pods never get Ready"
    pods = platform.kube.get("pods", "-l", "app.kubernetes.io/component=backend")["items"]
    new = [p for p in pods if p["spec"]["containers"][0]["image"].endswith(":v1.1.0-unready")]
    assert new, "the unready build's pods were created"
    for p in new:
        assert p["status"]["phase"] == "Running"
        ready = {c["type"]: c["status"] for c in p["status"].get("conditions", [])}
        assert ready.get("Ready") == "False"

    def probe_503() -> bool:
        events = platform.kube.get("events", "--field-selector", f"involvedObject.name={new[0]['metadata']['name']}")
        return any(
            "Readiness probe failed" in (e.get("message") or "") and "503" in e["message"] for e in events["items"]
        )

    assert eventually(probe_503, timeout=20), "the kubelet's readiness probe saw the 503"
    # maxUnavailable 0: the previous pods keep serving
    health = platform.request(ingress_client, "client", "GET", platform.backend_url("/health"))
    assert json.loads(health["body"])["version"] == "v1.0.0"
    platform.helm("rollback", RELEASE, "--wait", "--timeout", "120s")
    history = json.loads(platform.helm("history", RELEASE, "-o", "json").stdout)
    assert history[-1]["status"] == "deployed"
    assert history[-1]["description"].startswith("Rollback to")


def test_faulty_build_is_ready_but_unhealthy(platform: Platform, ingress_client: Kube) -> None:
    platform.deploy("v1.1.0-faulty", wait="120s")
    answers: list[dict] = []

    def faulty_answers() -> bool:
        # for a moment after the rollout, Service endpoints and kube-proxy rules may still name old pods
        answers.append(platform.request(ingress_client, "client", "GET", platform.backend_url("/health")))
        return answers[-1]["status"] == 503

    assert eventually(faulty_answers, timeout=30, interval=2), answers[-3:]
    assert json.loads(answers[-1]["body"])["version"] == "v1.1.0-faulty"
    logins: list[dict] = []

    def login_answers() -> bool:
        # status 0: no connection (an old pod still terminating behind the Service): ask again
        logins.append(
            platform.request(
                ingress_client,
                "client",
                "POST",
                platform.backend_url("/api/auth/login"),
                json.dumps({"email": "admin@smeplatform.test", "password": platform.admin_password}),
                {"Content-Type": "application/json"},
            )
        )
        return logins[-1]["status"] != 0

    assert eventually(login_answers, timeout=30, interval=2), logins[-3:]
    assert logins[-1]["status"] == 500, logins[-1]
