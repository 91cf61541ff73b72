"""Kubernetes credentials without the kubernetes package: kubeconfigs as kubectl writes them, served by a real
HTTPS server on 127.0.0.1 that checks the client certificate or the bearer token the session presents."""

from __future__ import annotations

import base64
import datetime
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kube_config
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

from ..smoke_servers import JsonHandler, make_pki
from ..smoke_servers import https_server as _https_server

ROOT = Path(__file__).resolve().parents[5]
NODES = {"kind": "NodeList", "items": [{"metadata": {"name": "node-1"}}]}


def _client_cert(directory: Path) -> tuple[Path, Path]:
    """A self-signed client certificate (the server trusts it as its own CA) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit-admin")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "admin.crt", directory / "admin.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class Seen:
    """What the server saw of each request: the Authorization header and the client certificate's subject."""

    def __init__(self) -> None:
        self.auth: list[str | None] = []
        self.peers: list[str | None] = []

    def route(self, answer: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
        def serve(handler: Any, _body: bytes) -> tuple[int, dict[str, str], Any]:
            self.auth.append(handler.headers.get("Authorization"))
            peer = handler.request.getpeercert()
            self.peers.append(dict(x[0] for x in peer["subject"]).get("commonName") if peer else None)
            return status, headers or {}, answer

        return serve


class PatchHandler(JsonHandler):
    do_PATCH = do_PUT = JsonHandler._answer


@pytest.fixture
def pki(tmp_path):
    (tmp_path / "pki").mkdir()
    return make_pki(tmp_path / "pki")


class Api:
    """An HTTPS API server on 127.0.0.1 that asks for a client certificate signed by `client_ca`, if given."""

    def __init__(self, pki: Any, routes: dict, client_ca: Path | None = None):
        self.pki, self.routes, self.client_ca = pki, routes, client_ca

    def __enter__(self) -> Any:
        self._cm = _https_server(self.pki, self.routes)
        server = self._cm.__enter__()
        server.RequestHandlerClass = type("Handler", (PatchHandler,), {"routes": self.routes})
        if self.client_ca:
            server.tls.verify_mode = ssl.CERT_OPTIONAL
            server.tls.load_verify_locations(self.client_ca)
        self.port = server.server_address[1]
        return self

    def __exit__(self, *exc: Any) -> None:
        self._cm.__exit__(*exc)


def kubeconfig(path: Path, server: str, cluster: dict, user: dict, extra_contexts: list | None = None) -> Path:
    data = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "unit", "cluster": {"server": server, **cluster}}],
        "users": [{"name": "unit-admin", "user": user}],
        "contexts": [{"name": "unit", "context": {"cluster": "unit", "user": "unit-admin", "namespace": "shop"}}]
        + (extra_contexts or []),
        "current-context": "unit",
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def test_embedded_ca_and_client_certificate_like_the_labs_kubeconfig(pki, tmp_path):
    cert, key = _client_cert(tmp_path)
    seen = Seen()
    with Api(pki, {("GET", "/api/v1/nodes"): seen.route(NODES)}, client_ca=cert) as api:
        config = kubeconfig(
            tmp_path / "config",
            f"https://127.0.0.1:{api.port}",
            {"certificate-authority-data": b64(pki.ca)},
            {"client-certificate-data": b64(cert), "client-key-data": b64(key)},
        )
        kube = k8s.Kube(str(config))
        assert kube.server == f"https://127.0.0.1:{api.port}"
        assert kube.config.namespace == "shop"
        assert k8s.get(kube, "nodes", "/api/v1/nodes") == NODES
    assert seen.peers == ["unit-admin"] and seen.auth == [None]


def test_files_are_read_relative_to_the_kubeconfig_and_a_token_file_is_sent(pki, tmp_path):
    (tmp_path / "token").write_text("s3cr3t-token\n", encoding="utf-8")
    (tmp_path / "ca.pem").write_bytes(pki.ca.read_bytes())
    seen = Seen()
    with Api(pki, {("GET", "/api/v1/nodes"): seen.route(NODES)}) as api:
        config = kubeconfig(
            tmp_path / "config",
            f"https://127.0.0.1:{api.port}",
            {"certificate-authority": "ca.pem"},
            {"tokenFile": "token"},
        )
        elsewhere = tmp_path / "run"
        elsewhere.mkdir()
        cwd = os.getcwd()
        os.chdir(elsewhere)
        try:
            assert k8s.items(k8s.Kube(str(config)), "nodes", "v1", "nodes", "") == NODES["items"]
        finally:
            os.chdir(cwd)
    assert seen.auth == ["Bearer s3cr3t-token"]


def test_the_named_context_wins_over_the_current_one(pki, tmp_path):
    seen = Seen()
    with Api(pki, {("GET", "/api/v1/nodes"): seen.route(NODES)}) as api:
        config = kubeconfig(
            tmp_path / "config",
            "https://127.0.0.1:1",  # the current context's server answers nothing
            {"certificate-authority-data": b64(pki.ca)},
            {"token": "current"},
            extra_contexts=[{"name": "other", "context": {"cluster": "other", "user": "other"}}],
        )
        data = yaml.safe_load(config.read_text())
        data["clusters"].append(
            {"name": "other", "cluster": {"server": f"https://127.0.0.1:{api.port}", "insecure-skip-tls-verify": True}}
        )
        data["users"].append({"name": "other", "user": {"token": "other-token"}})
        config.write_text(yaml.safe_dump(data), encoding="utf-8")
        kube = k8s.Kube(str(config), context="other")
        assert k8s.get(kube, "nodes", "/api/v1/nodes") == NODES
    assert seen.auth == ["Bearer other-token"]
    with pytest.raises(ConfigurationError, match="context 'nope' not found"):
        k8s.Kube(str(config), context="nope")


def test_a_kubeconfig_list_merges_and_skips_missing_files(pki, tmp_path):
    first = kubeconfig(tmp_path / "a", "https://127.0.0.1:1", {"insecure-skip-tls-verify": True}, {"token": "a"})
    second = tmp_path / "b"
    second.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "unit", "cluster": {"server": "https://127.0.0.1:2"}}],
                "users": [{"name": "b", "user": {"token": "b"}}],
                "contexts": [{"name": "b", "context": {"cluster": "unit", "user": "b"}}],
                "current-context": "b",
            }
        ),
        encoding="utf-8",
    )
    listed = os.pathsep.join([str(tmp_path / "missing"), str(first), str(second)])
    current = kube_config.load(listed)
    assert (current.server, current.token, current.verify) == ("https://127.0.0.1:1", "a", False)
    other = kube_config.load(listed, "b")
    assert (other.server, other.token, other.verify) == ("https://127.0.0.1:1", "b", False)  # first "unit" wins


def test_a_server_name_other_than_the_address_is_verified_as_tls_server_name(pki, tmp_path):
    seen = Seen()
    with Api(pki, {("GET", "/api/v1/nodes"): seen.route(NODES)}) as api:
        ca = {"certificate-authority-data": b64(pki.ca)}
        plain = kubeconfig(tmp_path / "plain", f"https://localhost:{api.port}", ca, {"token": "t"})
        with pytest.raises(ConnectionFailure, match="cannot reach the Kubernetes API"):
            k8s.get(k8s.Kube(str(plain)), "nodes", "/api/v1/nodes")
        named = kubeconfig(
            tmp_path / "named", f"https://localhost:{api.port}", {**ca, "tls-server-name": "unit.test"}, {"token": "t"}
        )
        assert k8s.get(k8s.Kube(str(named)), "nodes", "/api/v1/nodes") == NODES


def test_an_untrusted_server_is_refused_unless_verification_is_skipped(pki, tmp_path):
    with Api(pki, {("GET", "/api/v1/nodes"): (200, {}, NODES)}) as api:
        server = f"https://127.0.0.1:{api.port}"
        untrusted = kubeconfig(tmp_path / "untrusted", server, {}, {"token": "t"})
        with pytest.raises(ConnectionFailure, match="CERTIFICATE_VERIFY_FAILED"):
            k8s.get(k8s.Kube(str(untrusted)), "nodes", "/api/v1/nodes")
        skipped = kubeconfig(tmp_path / "skipped", server, {"insecure-skip-tls-verify": True}, {"token": "t"})
        assert k8s.get(k8s.Kube(str(skipped)), "nodes", "/api/v1/nodes") == NODES


def test_statuses_map_to_the_collections_errors_and_warnings_are_read(pki, tmp_path):
    warning = '299 - "would violate PodSecurity \\"restricted:latest\\": privileged"'
    routes = {
        ("GET", "/api/v1/namespaces/shop/secrets"): (403, {}, {"message": "forbidden"}),
        ("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web"): (200, {"Warning": warning}, {}),
    }
    with Api(pki, routes) as api:
        config = kubeconfig(
            tmp_path / "config", f"https://127.0.0.1:{api.port}", {"insecure-skip-tls-verify": True}, {"token": "t"}
        )
        kube = k8s.Kube(str(config))
        with pytest.raises(ConnectionFailure, match="refused list secrets: 403"):
            k8s.items(kube, "list secrets", "v1", "secrets", "shop")
        assert k8s.get(kube, "pod", "/api/v1/namespaces/shop/pods/gone") is None
        deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
        assert k8s.dry_run_apply(kube, deployment, "shop") == {
            "warnings": ['would violate PodSecurity "restricted:latest": privileged'],
            "refused": "",
        }


def test_an_exec_plugin_token_is_sent(pki, tmp_path):
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, os\n"
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential',\n"
        "                  'status': {'token': 'exec-' + os.environ['UNIT_WHO']}}))\n",
        encoding="utf-8",
    )
    seen = Seen()
    with Api(pki, {("GET", "/api/v1/nodes"): seen.route(NODES)}) as api:
        config = kubeconfig(
            tmp_path / "config",
            f"https://127.0.0.1:{api.port}",
            {"certificate-authority-data": b64(pki.ca)},
            {
                "exec": {
                    "apiVersion": "client.authentication.k8s.io/v1",
                    "command": sys.executable,
                    "args": [str(plugin)],
                    "env": [{"name": "UNIT_WHO", "value": "admin"}],
                }
            },
        )
        assert k8s.get(k8s.Kube(str(config)), "nodes", "/api/v1/nodes") == NODES
    assert seen.auth == ["Bearer exec-admin"]


def test_a_failing_exec_plugin_is_a_configuration_error(tmp_path):
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "false"}}
    config = kubeconfig(tmp_path / "config", "https://127.0.0.1:1", {}, user)
    with pytest.raises(ConfigurationError, match=r"config: exec: false returned 1"):
        k8s.Kube(str(config))


def test_what_the_loader_does_not_support_goes_through_the_kubernetes_client(tmp_path):
    config = kubeconfig(
        tmp_path / "config",
        "https://127.0.0.1:1",
        {"insecure-skip-tls-verify": True, "proxy-url": "http://127.0.0.1:3"},
        {"token": "t"},
    )
    kube = k8s.Kube(str(config))
    assert kube.config.unsupported == ["proxy-url"]
    assert kube._pool is None and kube.api.configuration.proxy == "http://127.0.0.1:3"
    with pytest.raises(ConnectionFailure, match="cannot reach the Kubernetes API at https://127.0.0.1:1"):
        k8s.get(kube, "nodes", "/api/v1/nodes")
    assert kube_config.load(
        str(kubeconfig(tmp_path / "oidc", "https://x", {}, {"auth-provider": {"name": "oidc"}}))
    ).unsupported == ["auth-provider"]


def test_in_cluster_reads_the_service_account(tmp_path, monkeypatch, pki):
    (tmp_path / "token").write_text("sa-token\n", encoding="utf-8")
    (tmp_path / "ca.crt").write_bytes(pki.ca.read_bytes())
    monkeypatch.setattr(kube_config, "INCLUSTER_DIR", str(tmp_path))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "fd00::1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    config = kube_config.load_incluster()
    assert (config.server, config.token, config.ca_file) == (
        "https://[fd00::1]:443",
        "sa-token",
        str(tmp_path / "ca.crt"),
    )
    assert config.headers() == {"Authorization": "Bearer sa-token"}
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST")
    with pytest.raises(kube_config.ConfigError, match="not running in a pod"):
        kube_config.load_incluster()


def test_a_broken_kubeconfig_says_what_is_wrong(tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("clusters: [\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="bad is not YAML"):
        k8s.Kube(str(bad))
    config = kubeconfig(tmp_path / "config", "https://127.0.0.1:1", {}, {"client-key-data": "bm90IGEga2V5"})
    data = yaml.safe_load(config.read_text())
    data["users"][0]["user"]["client-certificate-data"] = "bm90IGEgY2VydA=="
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="client certificate or key cannot be used"):
        k8s.Kube(str(config))


def test_the_labs_kubeconfig_loads_without_the_kubernetes_package(tmp_path):
    """The lab's own kubeconfig (tests/lab writes it: embedded CA, client certificate and key), loaded in a fresh
    interpreter: the session is ready and nothing of the kubernetes package was imported."""
    lab = ROOT / ".lab" / "k8s" / "kubeconfig"
    if not lab.exists():
        pytest.skip("the lab has not been brought up in this checkout")
    code = (
        "import sys\n"
        "from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s\n"
        f"kube = k8s.Kube({str(lab)!r})\n"
        "assert kube._pool is not None and kube.config.cert_pem and kube.config.key_pem, kube.config.__dict__.keys()\n"
        "print(kube.server, sorted({m.split('.')[0] for m in sys.modules} & {'kubernetes', 'google', 'requests'}))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[1:] == ["[]"]
    assert done.stdout.startswith("https://127.0.0.1:")
