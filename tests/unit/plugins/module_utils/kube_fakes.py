"""A Kubernetes API session answering plain JSON requests from a table of paths, for checks that read JSON."""

from __future__ import annotations

from typing import Any

from kubernetes.client.rest import ApiException

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s


class JsonKube(k8s.Kube):
    """Answers `k8s.request`/`k8s.get` from `routes`: {path or (method, path): JSON answer or exception}.

    A path missing from the table answers 404; every request is kept in `requests` as (method, path, query, body).
    Goes through Kube.call, so errors map exactly as on a live server.
    """

    def __init__(self, routes: dict[Any, Any], server: str = "https://unit:6443"):  # no credentials
        self.timeout, self.server = 3, server
        self.routes = routes
        self.requests: list[tuple[str, str, dict[str, str], Any]] = []

    def _answer(self, method: str, path: str, body: Any, query: list[tuple[str, str]], **_: Any) -> Any:
        self.requests.append((method, path, dict(query), body))
        answer = self.routes.get((method, path), self.routes.get(path) if method == "GET" else None)
        if answer is None:
            raise ApiException(status=404, reason="Not Found")
        if isinstance(answer, BaseException):
            raise answer
        return answer(body, dict(query)) if callable(answer) else answer

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if fn is k8s._http:
            _kube, method, path, body, query, _content_type = args
            return super().call(what, self._answer, method, path, body, query)
        return super().call(what, fn, *args, **kwargs)
