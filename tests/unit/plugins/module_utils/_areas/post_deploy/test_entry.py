"""The post-deployment entry's live sources: a pod's log the API server cannot fetch is unavailable (the watch goes
on without it), not an error of the run; the pods are read by the watch's selector."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.entry import LiveSources
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy.watch import Unavailable
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError, ConnectionFailure


class Status(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class FakeKube:
    server = "https://k8s.test"

    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def call(self, what, _fn, _kube, method, path, _body, params, _accept, decode=True):
        self.calls.append((method, path, dict(params or {}), decode))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


PARAMS = {"namespace": "sme-platform", "pod_selector": "app=sme-platform"}


def test_a_pods_log_is_read_as_text_since_the_given_seconds():
    kube = FakeKube("GET /health 200\n")
    assert LiveSources(PARAMS, kube, None).log("web-1", "backend", 60) == "GET /health 200\n"
    method, path, params, decode = kube.calls[0]
    assert (method, path, decode) == ("GET", "/api/v1/namespaces/sme-platform/pods/web-1/log", False)
    assert params == {"container": "backend", "sinceSeconds": "60"}


def not_found() -> ApiError:
    error = ApiError("not found")
    error.__cause__ = Status(404)
    return error


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (not_found(), "404 Not Found"),
        (ApiError("the kubelet answered 502"), "502"),
        (ConnectionFailure("timed out reaching the node"), "timed out"),
    ],
)
def test_a_log_the_api_server_cannot_fetch_is_unavailable(failure, reason):
    with pytest.raises(Unavailable, match=reason):
        LiveSources(PARAMS, FakeKube(failure), None).log("web-1", "backend", 60)
