"""A few Kubernetes API calls over plain HTTPS, configured from a kubeconfig.

The platform stand-in reads a ConfigMap, a Secret and Deployments, and (as the
lab's ingress controller) lists Ingresses and patches their status, so a full
client library is not worth its start-up time and memory here.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

try:
    import yaml
except ImportError:  # kubeconfigs written as JSON still load
    yaml = None


class KubeError(Exception):
    """The cluster could not be reached or answered with an unexpected status."""


class KubeClient:
    """Reads objects from the API server of the kubeconfig's current context.

    The kubeconfig is re-read when its file changes, so the stand-in can start
    before the cluster exists and follow a rebuilt cluster without a restart.
    """

    def __init__(self, kubeconfig: Path, timeout: float = 3.0) -> None:
        self.path = kubeconfig
        self.timeout = timeout
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._host = ""
        self._port = 443
        self._ctx: ssl.SSLContext | None = None
        self._headers: dict[str, str] = {}

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError as exc:
            raise KubeError(f"kubeconfig {self.path} does not exist (is the k8s lab up?)") from exc
        if mtime == self._mtime:
            return
        text = self.path.read_text()
        cfg = yaml.safe_load(text) if yaml is not None else json.loads(text)
        ctx_name = cfg.get("current-context")
        contexts = {c["name"]: c["context"] for c in cfg.get("contexts", [])}
        if ctx_name not in contexts:
            raise KubeError(f"kubeconfig {self.path} has no current context")
        context = contexts[ctx_name]
        cluster = {c["name"]: c["cluster"] for c in cfg.get("clusters", [])}[context["cluster"]]
        user = {u["name"]: u.get("user") or {} for u in cfg.get("users", [])}.get(context.get("user"), {})

        url = urlsplit(cluster["server"])
        ctx = ssl.create_default_context()
        if cluster.get("insecure-skip-tls-verify"):
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif cluster.get("certificate-authority-data"):
            ctx.load_verify_locations(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
        elif cluster.get("certificate-authority"):
            ctx.load_verify_locations(cafile=self._resolve(cluster["certificate-authority"]))
        headers = {"Accept": "application/json"}
        if user.get("client-certificate-data") or user.get("client-certificate"):
            self._load_client_cert(ctx, user)
        if user.get("token"):
            headers["Authorization"] = f"Bearer {user['token']}"
        elif user.get("tokenFile"):
            headers["Authorization"] = f"Bearer {Path(self._resolve(user['tokenFile'])).read_text().strip()}"
        self._host, self._port = url.hostname or "127.0.0.1", url.port or 443
        self._ctx, self._headers, self._mtime = ctx, headers, mtime

    def _resolve(self, p: str) -> str:
        return str((self.path.parent / p) if not os.path.isabs(p) else Path(p))

    def _load_client_cert(self, ctx: ssl.SSLContext, user: dict[str, Any]) -> None:
        if user.get("client-certificate-data"):
            # ssl only loads key material from files: write it to a private
            # temporary directory and remove it straight after loading.
            with tempfile.TemporaryDirectory() as tmp:
                crt, key = Path(tmp, "c.crt"), Path(tmp, "c.key")
                crt.write_bytes(base64.b64decode(user["client-certificate-data"]))
                fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(base64.b64decode(user["client-key-data"]))
                ctx.load_cert_chain(crt, key)
        else:
            ctx.load_cert_chain(self._resolve(user["client-certificate"]), self._resolve(user["client-key"]))

    def get(self, path: str) -> dict[str, Any] | None:
        """GET an API path; None when the object does not exist (404)."""
        return self.request("GET", path)

    def merge_patch(self, path: str, patch: dict[str, Any]) -> dict[str, Any] | None:
        """JSON merge patch (RFC 7386) of an object or subresource; None when it does not exist (404)."""
        return self.request("PATCH", path, patch, "application/merge-patch+json")

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, content_type: str = "application/json"
    ) -> dict[str, Any] | None:
        with self._lock:
            self._load()
            host, port, ctx, headers = self._host, self._port, self._ctx, dict(self._headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=self.timeout)
        try:
            conn.request(method, path, body=payload, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            raise KubeError(f"cannot reach the API server {host}:{port}: {exc}") from exc
        finally:
            conn.close()
        if resp.status == 404:
            return None
        if resp.status != 200:
            raise KubeError(f"{method} {path}: HTTP {resp.status}")
        return json.loads(data)


class Cached:
    """Memoises a zero-argument function for `ttl` seconds (errors included).

    With `stale_ok`, a failed call keeps answering the last good value for that many seconds after it was read:
    the application it stands in for does not stop serving when the API server is slow to answer its stand-in.
    """

    def __init__(self, fn: Any, ttl: float, stale_ok: float = 0.0) -> None:
        self.fn, self.ttl, self.stale_ok = fn, ttl, stale_ok
        self._at = -1e9
        self._good_at = -1e9
        self._value: Any = None
        self._error: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                try:
                    self._value, self._error = self.fn(), None
                    self._good_at = time.monotonic()
                except Exception as exc:  # noqa: BLE001 - remembered and re-raised to every caller
                    if time.monotonic() - self._good_at > self.stale_ok:
                        self._value, self._error = None, exc
                self._at = time.monotonic()
            if self._error is not None:
                raise self._error
            return self._value
