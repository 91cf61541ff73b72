"""An in-memory stand-in for the Kubernetes Secret API, for unit tests of the secrets engine."""

from __future__ import annotations

import base64
import copy
import secrets as pysecrets
import string
from typing import Any

from kubernetes import client as k8s_client
from kubernetes.client.rest import ApiException

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConnectionFailure


class FakeCore:
    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], k8s_client.V1Secret] = {}
        self.namespaces: set[str] = {"sme-platform"}
        self.writes: list[str] = []
        self.version = 100
        self.down = False

    def _bump(self) -> str:
        self.version += 1
        return str(self.version)

    def read_namespaced_secret(self, name: str, namespace: str, **_: Any) -> k8s_client.V1Secret:
        if (namespace, name) not in self.secrets:
            raise ApiException(status=404, reason="Not Found")
        return copy.deepcopy(self.secrets[(namespace, name)])

    def create_namespaced_secret(self, namespace: str, body: k8s_client.V1Secret, **_: Any) -> k8s_client.V1Secret:
        if namespace not in self.namespaces:
            raise ApiException(status=404, reason="Not Found")
        if (namespace, body.metadata.name) in self.secrets:
            raise ApiException(status=409, reason="AlreadyExists")
        body = copy.deepcopy(body)
        body.metadata.resource_version = self._bump()
        self.secrets[(namespace, body.metadata.name)] = body
        self.writes.append(f"create {namespace}/{body.metadata.name}")
        return copy.deepcopy(body)

    def replace_namespaced_secret(
        self, name: str, namespace: str, body: k8s_client.V1Secret, **_: Any
    ) -> k8s_client.V1Secret:
        stored = self.secrets.get((namespace, name))
        if stored is None:
            raise ApiException(status=404, reason="Not Found")
        if body.metadata.resource_version != stored.metadata.resource_version:
            raise ApiException(status=409, reason="Conflict")
        body = copy.deepcopy(body)
        body.metadata.resource_version = self._bump()
        self.secrets[(namespace, name)] = body
        self.writes.append(f"replace {namespace}/{name}")
        return copy.deepcopy(body)

    def read_namespace(self, name: str, **_: Any) -> Any:
        if name not in self.namespaces:
            raise ApiException(status=404, reason="Not Found")
        return k8s_client.V1Namespace(metadata=k8s_client.V1ObjectMeta(name=name))

    def create_namespace(self, body: Any, **_: Any) -> Any:
        self.namespaces.add(body.metadata.name)
        self.writes.append(f"create namespace {body.metadata.name}")
        return body


def _secret(body: dict[str, Any]) -> k8s_client.V1Secret:
    meta = body.get("metadata") or {}
    return k8s_client.V1Secret(
        api_version=body.get("apiVersion"),
        kind=body.get("kind"),
        type=body.get("type"),
        data=body.get("data"),
        metadata=k8s_client.V1ObjectMeta(
            name=meta.get("name"),
            namespace=meta.get("namespace"),
            labels=meta.get("labels"),
            annotations=meta.get("annotations"),
            resource_version=meta.get("resourceVersion"),
        ),
    )


class FakeKube:
    """Mimics module_utils.k8s.Kube: call() with the same error mapping, and the plain JSON
    requests of module_utils.k8s (request/get) on the Secret and Namespace paths, answered by FakeCore."""

    def __init__(self, core: FakeCore, server: str = "https://fake:6443") -> None:
        self.core = core
        self.server = server
        self.api = k8s_client.ApiClient()

    def _json(self, method: str, path: str, body: Any, query: Any, content_type: str, **_: Any) -> Any:
        parts = path.strip("/").split("/")  # api v1 namespaces <ns> [secrets [<name>]]
        core = self.core
        if parts[:3] != ["api", "v1", "namespaces"]:
            raise ApiException(status=404, reason="Not Found")
        rest = parts[3:]
        if method == "POST" and not rest:
            answer = core.create_namespace(k8s_client.V1Namespace(metadata=k8s_client.V1ObjectMeta(**body["metadata"])))
        elif method == "GET" and len(rest) == 1:
            answer = core.read_namespace(rest[0])
        elif method == "GET" and len(rest) == 3 and rest[1] == "secrets":
            answer = core.read_namespaced_secret(rest[2], rest[0])
        elif method == "POST" and len(rest) == 2 and rest[1] == "secrets":
            answer = core.create_namespaced_secret(rest[0], _secret(body))
        elif method == "PUT" and len(rest) == 3 and rest[1] == "secrets":
            answer = core.replace_namespaced_secret(rest[2], rest[0], _secret(body))
        else:
            raise ApiException(status=405, reason=f"{method} {path} is not served by the fake")
        return self.api.sanitize_for_serialization(answer)

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

        if fn is k8s._http:
            _kube, method, path, body, query, content_type = args
            return self.call(what, self._json, method, path, body, query, content_type)
        if self.core.down:
            raise ConnectionFailure(f"cannot reach the Kubernetes API at {self.server} for {what}: refused")
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            raise ApiError(f"Kubernetes API at {self.server}: {what} failed: {exc.status} {exc.reason}") from exc


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
