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


class FakeKube:
    """Mimics module_utils.k8s.Kube: call() and get_or_none() with the same error mapping."""

    def __init__(self, core: FakeCore, server: str = "https://fake:6443") -> None:
        self.core = core
        self.server = server

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if self.core.down:
            raise ConnectionFailure(f"cannot reach the Kubernetes API at {self.server} for {what}: refused")
        try:
            return fn(*args, **kwargs)
        except ApiException as exc:
            raise ApiError(f"Kubernetes API at {self.server}: {what} failed: {exc.status} {exc.reason}") from exc

    def get_or_none(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return self.call(what, fn, *args, **kwargs)
        except ApiError as exc:
            if getattr(exc.__cause__, "status", None) == 404:
                return None
            raise


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
