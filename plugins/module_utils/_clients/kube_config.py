# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes credentials without the kubernetes package: a kubeconfig (one file or a KUBECONFIG list, merged the
way kubectl merges them) or the in-cluster service account, and a urllib3 pool that presents them.

Supported: the server, the CA (file or data) or ``insecure-skip-tls-verify``, ``tls-server-name``, client
certificate and key (file or data), a bearer token or ``tokenFile``, username/password, and ``exec`` credential
plugins (``client.authentication.k8s.io`` token or client certificate answers). Anything else a context uses (an
``auth-provider``, a ``proxy-url``) sets :attr:`Config.unsupported`, and the session loads it with the kubernetes
client instead. Relative file names are read relative to the kubeconfig that names them, as kubectl does.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import tempfile
from typing import Any

INCLUSTER_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class ConfigError(Exception):
    """A kubeconfig that cannot be used: what is wrong, in one line."""


class Config:
    """The credentials of one context: where the API is and how to prove who we are."""

    def __init__(self, source: str, server: str):
        self.source, self.server = source, server.rstrip("/")
        self.namespace: str | None = None
        self.ca_file: str | None = None
        self.ca_data: str | None = None  # PEM
        self.verify = True
        self.tls_server_name: str | None = None
        self.cert_pem: bytes | None = None
        self.key_pem: bytes | None = None
        self.token: str | None = None
        self.basic: str | None = None  # user:password
        self.unsupported: list[str] = []

    def headers(self) -> dict[str, str]:
        """The authentication headers of every request."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.basic:
            return {"Authorization": "Basic " + base64.b64encode(self.basic.encode()).decode()}
        return {}


def _read_yaml(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except ImportError:  # a kubeconfig written as JSON still loads
        data = json.loads(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not YAML: {str(exc).splitlines()[0]}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a kubeconfig (no mapping at the top)")
    return data


def _merged(paths: list[str]) -> dict[str, Any]:
    """Several kubeconfigs as one: the first file to name a cluster, user or context wins, and the first
    current-context set; every entry keeps the directory of its file for relative names."""
    merged: dict[str, Any] = {"clusters": {}, "users": {}, "contexts": {}, "current-context": ""}
    for path in paths:
        data = _read_yaml(path)
        base = os.path.dirname(os.path.abspath(path))
        for section in ("clusters", "users", "contexts"):
            for entry in data.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") and entry["name"] not in merged[section]:
                    merged[section][entry["name"]] = (entry.get(section[:-1]) or {}, base)
        if not merged["current-context"] and data.get("current-context"):
            merged["current-context"] = data["current-context"]
    return merged


def _data_or_file(entry: dict[str, Any], key: str, base: str) -> bytes | None:
    """The bytes of ``<key>-data`` (base64) or of the file ``<key>``."""
    data = entry.get(f"{key}-data")
    if data:
        try:
            return base64.b64decode(data)
        except ValueError as exc:
            raise ConfigError(f"{key}-data is not base64") from exc
    name = entry.get(key)
    if name:
        with open(os.path.join(base, os.path.expanduser(name)), "rb") as handle:
            return handle.read()
    return None


def load(kubeconfig: str, context: str | None = None) -> Config:
    """The credentials of `context` (default: the current context) from a kubeconfig path or KUBECONFIG list."""
    paths = [os.path.expanduser(p) for p in kubeconfig.split(os.pathsep) if p]
    if len(paths) > 1:  # a KUBECONFIG list: files missing from it are skipped, as kubectl does
        paths = [p for p in paths if os.path.exists(p)]
    if not paths:
        raise ConfigError(f"none of the kubeconfig files {kubeconfig} exists")
    merged = _merged(paths)
    name = context or merged["current-context"]
    if not name:
        raise ConfigError("no context named and no current-context set")
    if name not in merged["contexts"]:
        raise ConfigError(f"context {name!r} not found")
    ctx, _base = merged["contexts"][name]
    cluster_name, user_name = ctx.get("cluster"), ctx.get("user")
    if cluster_name not in merged["clusters"]:
        raise ConfigError(f"cluster {cluster_name!r} of context {name!r} not found")
    cluster, cluster_base = merged["clusters"][cluster_name]
    user, user_base = merged["users"].get(user_name, ({}, cluster_base))
    if not cluster.get("server"):
        raise ConfigError(f"cluster {cluster_name!r} has no server")
    config = Config(f"kubeconfig {paths[0]}", str(cluster["server"]))
    config.namespace = ctx.get("namespace")
    _cluster(config, cluster, cluster_base)
    _user(config, user, user_base, cluster)
    return config


def _cluster(config: Config, cluster: dict[str, Any], base: str) -> None:
    ca = _data_or_file(cluster, "certificate-authority", base)
    config.ca_data = ca.decode("ascii", "replace") if ca else None
    config.verify = not cluster.get("insecure-skip-tls-verify")
    config.tls_server_name = cluster.get("tls-server-name") or None
    if cluster.get("proxy-url"):
        config.unsupported.append("proxy-url")


def _user(config: Config, user: dict[str, Any], base: str, cluster: dict[str, Any]) -> None:
    if user.get("auth-provider"):
        config.unsupported.append("auth-provider")
        return
    if user.get("exec"):
        _exec(config, user["exec"], base, cluster)
    config.cert_pem = config.cert_pem or _data_or_file(user, "client-certificate", base)
    config.key_pem = config.key_pem or _data_or_file(user, "client-key", base)
    if not config.token:
        token_file = user.get("tokenFile")
        if token_file:
            with open(os.path.join(base, os.path.expanduser(token_file)), encoding="utf-8") as handle:
                config.token = handle.read().strip()
        elif user.get("token"):
            config.token = str(user["token"])
    if user.get("username") and user.get("password"):
        config.basic = f"{user['username']}:{user['password']}"


def _exec(config: Config, spec: dict[str, Any], base: str, cluster: dict[str, Any]) -> None:
    """Run an exec credential plugin (client.authentication.k8s.io) and keep its token or client certificate."""
    api_version = spec.get("apiVersion")
    command = spec.get("command")
    if not api_version or not command:
        raise ConfigError("exec: malformed request (apiVersion and command are required)")
    if os.sep in command and not os.path.isabs(command):
        command = os.path.join(base, command)
    env = dict(os.environ)
    env.update({item["name"]: item["value"] for item in spec.get("env") or [] if "name" in item})
    info: dict[str, Any] = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    if spec.get("provideClusterInfo"):
        info["spec"]["cluster"] = {
            "server": cluster.get("server"),
            "certificate-authority-data": cluster.get("certificate-authority-data"),
        }
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    try:
        done = subprocess.run(  # noqa: S603 - the command the kubeconfig names
            [command, *(spec.get("args") or [])],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise ConfigError(f"exec: cannot run {command}: {exc}") from exc
    if done.returncode != 0:
        raise ConfigError(f"exec: {command} returned {done.returncode}: {done.stderr.strip()[:200]}")
    try:
        answer = json.loads(done.stdout)
    except ValueError as exc:
        raise ConfigError(f"exec: {command} did not answer JSON: {exc}") from exc
    if answer.get("apiVersion") != api_version:
        raise ConfigError(f"exec: plugin api version {answer.get('apiVersion')} does not match {api_version}")
    status = answer.get("status") or {}
    if status.get("token"):
        config.token = str(status["token"])
    elif status.get("clientCertificateData") and status.get("clientKeyData"):
        config.cert_pem = status["clientCertificateData"].encode()
        config.key_pem = status["clientKeyData"].encode()
    else:
        raise ConfigError(f"exec: {command} answered neither a token nor a client certificate")


def load_incluster() -> Config:
    """The pod's service account: KUBERNETES_SERVICE_HOST/PORT, its token and the cluster CA."""
    host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError("service host/port is not set (not running in a pod)")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    token_file, ca_file = os.path.join(INCLUSTER_DIR, "token"), os.path.join(INCLUSTER_DIR, "ca.crt")
    if not os.path.isfile(token_file) or not os.path.isfile(ca_file):
        raise ConfigError(f"service account token or CA not found in {INCLUSTER_DIR}")
    config = Config("in-cluster", f"https://{host}:{port}")
    with open(token_file, encoding="utf-8") as handle:
        config.token = handle.read().strip()
    if not config.token:
        raise ConfigError("service account token file is empty")
    config.ca_file = ca_file
    return config


def ssl_context(config: Config) -> ssl.SSLContext:
    """The TLS context of a session: the CA to trust (or none) and the client certificate to present."""
    if config.verify:
        context = ssl.create_default_context(cafile=config.ca_file, cadata=config.ca_data)
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.cert_pem and config.key_pem:
        # ssl loads a certificate chain from files only: written private to this process and removed at once
        with tempfile.TemporaryDirectory(prefix="smeplatform-kube-") as tmp:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            for name, data in ((cert, config.cert_pem), (key, config.key_pem)):
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            try:
                context.load_cert_chain(cert, key)
            except ssl.SSLError as exc:
                raise ConfigError(f"client certificate or key cannot be used: {exc}") from exc
    return context


def pool_manager(config: Config) -> Any:
    """A urllib3 pool for the session: its TLS context, one retry, as the kubernetes client configures it."""
    import urllib3

    extra: dict[str, Any] = {}
    if config.tls_server_name:
        extra["server_hostname"] = config.tls_server_name
    if not config.verify:
        extra["cert_reqs"] = "CERT_NONE"
    return urllib3.PoolManager(ssl_context=ssl_context(config), retries=1, **extra)
