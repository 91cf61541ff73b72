# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Kubernetes client of the collection: connection options (documented by the doc fragment
smeplatform.deploy.kubernetes), the session, the error mapping, and plain JSON requests on the same session.

Every area reads and writes the API as plain JSON (:func:`request`, :func:`get`, :func:`items`, :func:`text`): one
object shape (the API's own JSON) serves every area. Requests go through :meth:`Kube.call`, so their errors map to
the collection's exceptions in one place.

The session speaks HTTPS with urllib3 directly, from credentials :mod:`.kube_config` reads (kubeconfig or
in-cluster): importing the kubernetes package costs about half a second of CPU per module run, most of it for
credential plugins the collection's kubeconfigs do not use. What that loader does not support (an auth-provider, a
proxy-url) goes through the kubernetes client as before; :attr:`Kube.api`, the client's ApiClient for the few
callers that need its dynamic discovery, is built only when first used.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any
from urllib.parse import quote, urlencode

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kube_config
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync

try:
    import urllib3

    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = exc

# Connection options shared by every module that talks to Kubernetes (Kube reads the environment fallbacks).
CONNECTION_ARGS: dict[str, dict[str, Any]] = {
    "kubeconfig": {"type": "path"},
    "context": {"type": "str"},
    "request_timeout": {"type": "float", "default": 20.0},
}


def connection_args() -> dict[str, dict[str, Any]]:
    """A fresh copy of the shared connection options, for a module's argument spec."""
    return {name: dict(option) for name, option in CONNECTION_ARGS.items()}


class ApiStatus(Exception):
    """An HTTP answer outside 2xx (status 0: the TLS handshake failed), raised inside :meth:`Kube.call`."""

    def __init__(self, status: int, reason: str, body: bytes = b"", headers: Any = None):
        super().__init__(f"({status}) Reason: {reason}")
        self.status, self.reason, self.body, self.headers = status, reason, body, headers


def _status_errors() -> tuple[type[BaseException], ...]:
    """The HTTP status errors Kube.call maps: ours, and the kubernetes client's once something imported it."""
    rest = sys.modules.get("kubernetes.client.rest")
    return (ApiStatus, rest.ApiException) if rest is not None else (ApiStatus,)


class Response:
    """What a transport answers: status, reason, headers (``getlist``) and the body as bytes."""

    def __init__(self, status: int, reason: str, headers: Any, data: bytes):
        self.status, self.reason, self.headers, self.data = status, reason or "", headers, data


class Kube:
    """An API session: load the configuration once; requests go through :func:`request` as plain JSON."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, request_timeout: float = 20.0):
        if not HAS_KUBERNETES:
            raise ConfigurationError(f"the kubernetes Python client is required: {KUBERNETES_IMPORT_ERROR}")
        kubeconfig = kubeconfig or os.environ.get("K8S_AUTH_KUBECONFIG") or os.environ.get("KUBECONFIG")
        self._kubeconfig, self._context = kubeconfig, context
        self.timeout = request_timeout
        self._api: Any = None
        self._pool: Any = None
        where = kubeconfig or "the in-cluster configuration"
        try:
            if kubeconfig or os.path.exists(os.path.expanduser("~/.kube/config")):
                self.config = kube_config.load(kubeconfig or "~/.kube/config", context)
            else:
                self.config = kube_config.load_incluster()
            if not self.config.unsupported:
                self._pool = kube_config.pool_manager(self.config)
        except (kube_config.ConfigError, OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot load Kubernetes credentials from {where}: {exc}") from exc
        self.server = self.config.server
        if self.config.unsupported:
            self._api = self._client()  # the kubernetes client loads what the loader does not support
            self.server = self._api.configuration.host

    def _client(self) -> Any:
        """The kubernetes client's ApiClient over the same credentials, loaded by the client itself."""
        try:
            from kubernetes import client as k8s_client
            from kubernetes import config as k8s_config
        except ImportError as exc:
            raise ConfigurationError(f"the kubernetes Python client is required: {exc}") from exc
        configuration = k8s_client.Configuration()
        try:
            if self.config.source == "in-cluster":
                k8s_config.load_incluster_config(client_configuration=configuration)
            else:
                k8s_config.load_kube_config(
                    config_file=os.path.expanduser(self._kubeconfig) if self._kubeconfig else None,
                    context=self._context,
                    client_configuration=configuration,
                )
        except (k8s_config.ConfigException, OSError) as exc:
            where = self._kubeconfig or "the in-cluster configuration"
            raise ConfigurationError(f"cannot load Kubernetes credentials from {where}: {exc}") from exc
        configuration.retries = 1
        return k8s_client.ApiClient(configuration)

    @property
    def api(self) -> Any:
        """The kubernetes client's ApiClient (dynamic discovery), imported and built on first use."""
        if self._api is None:
            self._api = self._client()
        return self._api

    def send(
        self, method: str, api_path: str, query: list, headers: dict, body: Any, timeout: float | None = None
    ) -> Any:
        """One HTTP request to the API server; the answer whatever its status."""
        timeout = timeout or self.timeout
        if body is not None and not isinstance(body, (str, bytes)):
            body = json.dumps(body)
        if self._pool is None:  # the kubernetes client's session (what the loader does not support)
            api = self.api
            prepared = api.param_serialize(
                method, api_path, query_params=query, header_params=headers, body=body, auth_settings=["BearerToken"]
            )
            answer = api.call_api(*prepared, _request_timeout=timeout)
            answer.read()
            return Response(answer.status, answer.reason, answer.headers, answer.data)
        url = self.server + api_path + (f"?{urlencode(query)}" if query else "")
        try:
            answer = self._pool.request(
                method,
                url,
                body=body,
                headers={**headers, **self.config.headers()},
                timeout=urllib3.Timeout(total=timeout),
                preload_content=True,
            )
        except urllib3.exceptions.SSLError as exc:  # as the kubernetes client reports it
            raise ApiStatus(0, f"{type(exc).__name__}\n{exc}") from exc
        return Response(answer.status, answer.reason, answer.headers, answer.data)

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the API, mapping failures to the collection's errors; `what` names the object."""
        kwargs.setdefault("_request_timeout", self.timeout)
        try:
            return fn(*args, **kwargs)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise ConnectionFailure(f"cannot reach the Kubernetes API at {self.server} for {what}: {exc}") from exc
        except _status_errors() as exc:
            status, reason = getattr(exc, "status", None), getattr(exc, "reason", None)
            if status in (401, 403):
                raise ConnectionFailure(f"Kubernetes API at {self.server} refused {what}: {status} {reason}") from exc
            raise ApiError(f"Kubernetes API at {self.server}: {what} failed: {status} {reason}") from exc


# --- plain JSON requests ---------------------------------------------------------------------------

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def _http(
    kube: Any,
    method: str,
    path: str,
    body: Any,
    query: list[tuple[str, str]],
    content_type: str,
    _request_timeout: float | None = None,
    decode: bool = True,
) -> Any:
    headers = {"Accept": JSON, "Content-Type": content_type}
    response = kube.send(method, path, query, headers, body, _request_timeout)
    if not 200 <= response.status <= 299:
        raise ApiStatus(response.status, response.reason, response.data, response.headers)
    if not decode:
        return response.data.decode("utf-8", "replace") if isinstance(response.data, bytes) else response.data
    return json.loads(response.data) if response.data else None


def _query(query: dict[str, Any] | None) -> list[tuple[str, str]]:
    """Query parameters as the API reads them: booleans lower-case, None left out."""
    return [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (query or {}).items() if v is not None]


def request(
    kube: Any,
    what: str,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    content_type: str = JSON,
) -> Any:
    """One request; the decoded JSON answer. `what` names the object in error messages."""
    params = _query(query)
    return kube.call(what, _http, kube, method, path, body, params, content_type)


def get(kube: Any, what: str, path: str, query: dict[str, Any] | None = None) -> Any:
    """GET, None when the object does not exist."""
    try:
        return request(kube, what, "GET", path, None, query)
    except ApiError as exc:
        if status_of(exc) == 404:
            return None
        raise


def text(kube: Any, what: str, path: str, query: dict[str, Any] | None = None) -> str | None:
    """GET of a plain-text answer (a pod's log), None when the object does not exist."""
    params = _query(query)
    try:
        return kube.call(what, _http, kube, "GET", path, None, params, JSON, decode=False)
    except ApiError as exc:
        if status_of(exc) == 404:
            return None
        raise


def items(
    kube: Any,
    what: str,
    group_version: str,
    plural: str,
    namespace: str,
    selector: str | None = None,
    field_selector: str | None = None,
) -> list[Any]:
    """The objects of a namespaced list (API JSON), optionally by label and by field selector."""
    query = {"labelSelector": selector, "fieldSelector": field_selector}
    answer = request(kube, what, "GET", path(group_version, plural, namespace), query=query)
    return (answer or {}).get("items") or []


def ensure_namespace(
    kube: Any, name: str, check_mode: bool = False, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """The one way the collection creates a namespace, on the sync engine: nothing when it exists; in check mode
    nothing is created and the result says it would be; ``labels`` are set on a namespace this creates only.

    Returns :func:`sync`'s result: ``changed`` (created, or would be in check mode) and the ``diff`` of the
    namespace's metadata (absent before). A namespace created meanwhile by a concurrent run (409) counts as created.
    """
    what = f"namespace {name}"
    metadata: dict[str, Any] = {"name": name, **({"labels": dict(labels)} if labels else {})}
    exists = get(kube, what, path("v1", "namespaces", name=name)) is not None
    plan = Plan(NONE if exists else "create", {}, metadata)

    def create(_plan: Plan) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}
        try:
            request(kube, f"create {what}", "POST", path("v1", "namespaces"), body)
        except ApiError as exc:
            if status_of(exc) != 409:
                raise

    return sync(plan, create, check_mode, diff_header=what)


def status_of(exc: Exception) -> int | None:
    """The HTTP status behind an error raised by Kube.call."""
    return getattr(exc.__cause__, "status", None)


def path(group_version: str, plural: str, namespace: str | None = None, name: str | None = None) -> str:
    """/api/v1/... or /apis/<group>/<version>/... for a resource, optionally namespaced and named."""
    base = "/api/v1" if group_version == "v1" else f"/apis/{group_version}"
    if namespace:
        base += f"/namespaces/{quote(namespace, safe='')}"
    base += f"/{plural}"
    if name:
        base += f"/{quote(name, safe='')}"
    return base


# Kinds whose objects carry a pod template (or are pods): what Pod Security admission judges. apiVersion, plural.
POD_KINDS = {
    "Deployment": ("apps/v1", "deployments"),
    "StatefulSet": ("apps/v1", "statefulsets"),
    "DaemonSet": ("apps/v1", "daemonsets"),
    "ReplicaSet": ("apps/v1", "replicasets"),
    "Job": ("batch/v1", "jobs"),
    "CronJob": ("batch/v1", "cronjobs"),
    "Pod": ("v1", "pods"),
}


def warning_texts(values: list[str]) -> list[str]:
    """The texts of HTTP ``Warning`` headers (``299 - "text"``), unquoted."""
    found = []
    for value in values:
        text = value.strip()
        code, _unused, rest = text.partition(" ")
        if code.isdigit():
            text = rest.partition(" ")[2].strip()  # the agent, "-" for the API server
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if text and text not in found:
            found.append(text)
    return found


def _dry_run_apply(
    kube: Any, obj: dict[str, Any], api_path: str, field_manager: str, _request_timeout: float | None = None
) -> dict[str, Any]:
    query = [("dryRun", "All"), ("fieldManager", field_manager), ("force", "true")]
    headers = {"Accept": JSON, "Content-Type": APPLY_PATCH}
    response = kube.send("PATCH", api_path, query, headers, json.dumps(obj), _request_timeout)
    headers = response.headers
    raw = headers.getlist("Warning") if hasattr(headers, "getlist") else [headers.get("Warning") or ""]
    refused = ""
    if response.status in (401, 404) or response.status >= 500:
        raise ApiStatus(response.status, response.reason, response.data, response.headers)
    if not 200 <= response.status <= 299:
        try:
            refused = str(json.loads(response.data).get("message") or "")
        except (ValueError, AttributeError):
            refused = ""
        refused = f"{response.status} {response.reason}: {refused or response.data!r}"
    return {"warnings": warning_texts([w for w in raw if w]), "refused": refused}


def dry_run_apply(
    kube: Any, obj: dict[str, Any], namespace: str, field_manager: str = "smeplatform-dry-run"
) -> dict[str, Any] | None:
    """Server-side apply of one object with ``dryRun=All``: the API server runs admission and validation and
    stores nothing. ``warnings``: the texts of its Warning headers (Pod Security's ``would violate ...``);
    ``refused``: why it refused the object ('' when accepted). None when its namespace does not exist yet."""
    group_version, plural = POD_KINDS[obj["kind"]]
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or namespace
    body = {**obj, "metadata": {**meta, "namespace": ns}}
    what = f"server dry run of {obj['kind']} {ns}/{meta.get('name')}"
    try:
        api_path = path(group_version, plural, ns, meta.get("name"))
        return kube.call(what, _dry_run_apply, kube, body, api_path, field_manager)
    except ApiError as exc:
        if status_of(exc) == 404:
            return None
        raise


# --- the object shape: workloads ----------------------------------------------------------------------


def workload_rollout(obj: dict[str, Any]) -> dict[str, Any]:
    """The rollout of a Deployment, StatefulSet or DaemonSet (API JSON): the one place its status is read.

    ``replicas`` is what the spec wants, ``total`` what exists (old and new), ``observed`` whether the controller
    has seen the newest generation; ``complete`` is the rollout's end (every wanted replica updated, ready and
    available, the newest generation observed).
    """
    kind = obj.get("kind") or "Deployment"
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    if kind == "DaemonSet":
        want = st.get("desiredNumberScheduled", 0)
        ready, updated, available = (
            st.get("numberReady", 0),
            st.get("updatedNumberScheduled", 0),
            st.get("numberAvailable", 0),
        )
        total = st.get("currentNumberScheduled", 0)
    else:
        want = spec.get("replicas")
        want = 1 if want is None else want
        ready, updated = st.get("readyReplicas", 0), st.get("updatedReplicas", 0)
        available = st.get("availableReplicas", 0) if kind == "Deployment" else ready
        total = st.get("replicas", 0)
    seen = st.get("observedGeneration")
    observed = seen is not None and seen >= ((obj.get("metadata") or {}).get("generation") or 0)
    return {
        "kind": kind,
        "name": (obj.get("metadata") or {}).get("name"),
        "replicas": want,
        "updated": updated,
        "ready": ready,
        "available": available,
        "total": total,
        "observed": observed,
        "complete": bool(observed and updated >= want and ready >= want and available >= want),
        "images": [c.get("image") for c in ((spec.get("template") or {}).get("spec") or {}).get("containers") or []],
    }
