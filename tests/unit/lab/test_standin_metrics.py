"""The platform stand-in's request metrics: the backend counts its own answers; while no backend Deployment exists
the ingress answers (503) and counts them as ingress-nginx does, never in the platform's http_requests_total."""

from __future__ import annotations

import argparse
import http.client
import http.server
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lab"))

from standins import platform  # noqa: E402


class FakeRelease(platform.Release):
    """The cluster's answer is set by the test: no Deployment, or one running `version`."""

    def __init__(self) -> None:
        self.version: str | None = None

    def backend(self) -> dict:
        return {"state": "deployed", "version": self.version} if self.version else {"state": "not deployed"}

    def settings(self) -> dict:
        return {"allowed_origins": set(), "rate_limit_max": 100, "rate_limit_window": 60.0, "jwt_expires_in": 60}

    def frontend_version(self) -> str | None:
        return self.version


@pytest.fixture
def standin():
    class Handler(platform.Handler):
        pass

    Handler.release = FakeRelease()
    Handler.metrics = platform.Metrics()
    Handler.throttler = platform.Throttler()
    Handler.invoices, Handler.invoices_lock = {}, threading.Lock()
    Handler.server_args = argparse.Namespace(database_addr=None, redis_addr=None, admins_file=None, frontend=False)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Handler, server.server_address[1]
    server.shutdown()
    server.server_close()


def get(port: int, path: str, host: str = "api.smeplatform.test") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def samples(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (line.rsplit(" ", 1) for line in text.splitlines() if line[:1] not in ("#", ""))}


def test_answers_before_the_first_install_are_the_ingress_s_not_the_platform_s(standin):
    handler, port = standin
    for path in ("/health", "/health", "/api/invoices"):
        assert get(port, path)[0] == 503
    status, text = get(port, "/metrics")
    assert status == 200
    metrics = samples(text)
    assert not any(k.startswith("http_requests_total") and 'status="503"' in k for k in metrics), metrics
    ingress = 'nginx_ingress_controller_requests{method="GET",host="api.smeplatform.test",status="503",service='
    assert sum(v for k, v in metrics.items() if k.startswith(ingress)) == 3
    # the scrape itself is the backend job's target and counts as before
    assert samples(get(port, "/metrics")[1])['http_requests_total{method="GET",route="/metrics",status="200"}'] == 1


def test_a_deployed_backend_s_errors_count_as_the_platform_s(standin):
    handler, port = standin
    handler.release.version = "v1.1.0-faulty"
    assert get(port, "/health")[0] == 503
    handler.release.version = "v1.1.0"
    assert get(port, "/health")[0] == 200
    metrics = samples(get(port, "/metrics")[1])
    assert metrics['http_requests_total{method="GET",route="/health",status="503"}'] == 1
    assert metrics['http_requests_total{method="GET",route="/health",status="200"}'] == 1
    assert not any(k.startswith("nginx_ingress_controller_requests") for k in metrics)
