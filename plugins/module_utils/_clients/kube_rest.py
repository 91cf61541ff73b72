# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plain JSON requests over a `Kube` session's API client.

The typed API classes of the kubernetes client build hundreds of pydantic models when first imported (seconds
per module run); the release modules only need a few paths and read them as JSON. Errors go through
`Kube.call`, so they map to the collection's exceptions exactly as typed calls do.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

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
) -> Any:
    from kubernetes.client.rest import ApiException

    api = kube.api
    request = api.param_serialize(
        method,
        path,
        query_params=query,
        header_params={"Accept": JSON, "Content-Type": content_type},
        body=body,
        auth_settings=["BearerToken"],
    )
    response = api.call_api(*request, _request_timeout=_request_timeout or kube.timeout)
    response.read()
    if not 200 <= response.status <= 299:
        raise ApiException.from_response(http_resp=response, body=None, data=None)
    return json.loads(response.data) if response.data else None


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
    params = [(k, str(v).lower() if isinstance(v, bool) else str(v)) for k, v in (query or {}).items() if v is not None]
    return kube.call(what, _http, kube, method, path, body, params, content_type)


def get(kube: Any, what: str, path: str, query: dict[str, Any] | None = None) -> Any:
    """GET, None when the object does not exist."""
    from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError

    try:
        return request(kube, what, "GET", path, None, query)
    except ApiError as exc:
        if status_of(exc) == 404:
            return None
        raise


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
