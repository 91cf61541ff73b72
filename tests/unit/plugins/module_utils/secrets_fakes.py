"""An in-memory Kubernetes API server for the Secret and its namespace, behind the one client, for unit tests of the
secrets engine."""

from __future__ import annotations

import base64
import copy
import secrets as pysecrets
import string
from typing import Any

from kubernetes.client.rest import ApiException

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s


class FakeCore:
    """A cluster's Secrets and namespaces in the API's own JSON, answering requests as the API server does
    (404 for what is absent, 409 for a create of what exists or a replace of a changed resourceVersion)."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], dict[str, Any]] = {}
        self.namespaces: set[str] = {"sme-platform"}
        self.writes: list[str] = []
        self.version = 100
        self.down = False

    def _bump(self) -> str:
        self.version += 1
        return str(self.version)

    def _stored(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(body)
        obj.setdefault("metadata", {}).update(namespace=namespace, resourceVersion=self._bump())
        return obj

    def get_secret(self, namespace: str, name: str) -> dict[str, Any]:
        if (namespace, name) not in self.secrets:
            raise ApiException(status=404, reason="Not Found")
        return copy.deepcopy(self.secrets[(namespace, name)])

    def create_secret(self, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        if namespace not in self.namespaces:
            raise ApiException(status=404, reason="Not Found")
        name = body["metadata"]["name"]
        if (namespace, name) in self.secrets:
            raise ApiException(status=409, reason="AlreadyExists")
        self.secrets[(namespace, name)] = self._stored(namespace, body)
        self.writes.append(f"create {namespace}/{name}")
        return copy.deepcopy(self.secrets[(namespace, name)])

    def replace_secret(self, namespace: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        stored = self.secrets.get((namespace, name))
        if stored is None:
            raise ApiException(status=404, reason="Not Found")
        if body["metadata"].get("resourceVersion") != stored["metadata"]["resourceVersion"]:
            raise ApiException(status=409, reason="Conflict")
        self.secrets[(namespace, name)] = self._stored(namespace, body)
        self.writes.append(f"replace {namespace}/{name}")
        return copy.deepcopy(self.secrets[(namespace, name)])

    def get_namespace(self, name: str) -> dict[str, Any]:
        if name not in self.namespaces:
            raise ApiException(status=404, reason="Not Found")
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}

    def create_namespace(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["metadata"]["name"]
        if name in self.namespaces:
            raise ApiException(status=409, reason="AlreadyExists")
        self.namespaces.add(name)
        self.writes.append(f"create namespace {name}")
        return copy.deepcopy(body)

    def answer(self, method: str, path: str, body: Any) -> Any:
        """One request on /api/v1/namespaces[/<ns>[/secrets[/<name>]]]; anything else is not served."""
        parts = path.strip("/").split("/")
        if parts[:3] != ["api", "v1", "namespaces"]:
            raise ApiException(status=404, reason="Not Found")
        rest = parts[3:]
        if method == "POST" and not rest:
            return self.create_namespace(body)
        if method == "GET" and len(rest) == 1:
            return self.get_namespace(rest[0])
        if len(rest) >= 2 and rest[1] == "secrets":
            if method == "GET" and len(rest) == 3:
                return self.get_secret(rest[0], rest[2])
            if method == "POST" and len(rest) == 2:
                return self.create_secret(rest[0], body)
            if method == "PUT" and len(rest) == 3:
                return self.replace_secret(rest[0], rest[2], body)
        raise ApiException(status=405, reason=f"{method} {path} is not served by the fake")


class FakeKube(k8s.Kube):
    """The one Kubernetes client with FakeCore behind it: the areas' request/get/items/text run unchanged and go
    through Kube.call, so errors map exactly as on a live server (an unreachable cluster is an OSError there)."""

    def __init__(self, core: FakeCore, server: str = "https://fake:6443") -> None:  # no credentials
        self.core = core
        self.server = server
        self.timeout = 5

    def _answer(self, method: str, path: str, body: Any, **_: Any) -> Any:
        if self.core.down:
            raise OSError("connection refused")
        return self.core.answer(method, path, copy.deepcopy(body))

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is k8s._http:
            _kube, method, path, body, _query, _content_type = args
            return super().call(what, self._answer, method, path, body)
        return super().call(what, fn, *args, **kwargs)


def factory(core: FakeCore, others: dict[tuple[str | None, str | None], FakeCore] | None = None):
    def make(kubeconfig: str | None, context: str | None) -> FakeKube:
        if (kubeconfig, context) == (None, None) or not others:
            return FakeKube(core)
        return FakeKube(others[(kubeconfig, context)], server=f"https://{context}:6443")

    return make


UPPER_ALNUM = string.ascii_uppercase + string.digits


def _alnum(n: int) -> str:
    return "".join(pysecrets.choice(string.ascii_letters + string.digits) for _unused in range(n))


def good_external() -> dict[str, str]:
    return {
        "sendgrid_api_key": "SG." + _alnum(22) + "." + _alnum(43),
        "twilio_account_sid": "AC" + pysecrets.token_hex(16),
        "twilio_auth_token": pysecrets.token_hex(16),
        "razorpay_key_id": "rzp_live_" + _alnum(14),
        "razorpay_key_secret": _alnum(24),
        "aws_access_key_id": "AKIA"
        + "".join(pysecrets.choice(string.ascii_uppercase + string.digits) for _unused in range(16)),
        "aws_secret_access_key": base64.b64encode(pysecrets.token_bytes(30)).decode(),
    }


EXTERNAL = good_external()
