"""The smoke gate's web probes against a local HTTPS server: headers, CSP, CORS, TLS."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import Smoke

from ...smoke_servers import https_server, make_pki

HARDENED = {
    "Content-Security-Policy": "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


@pytest.fixture
def pki(tmp_path):
    return make_pki(tmp_path)


def gate(pki, port, **params):
    return Smoke(
        {
            "api_url": f"https://api.unit.test:{port}",
            "ca_bundle": str(pki.ca),
            "resolve": {"api.unit.test": "127.0.0.1"},
            "checks": ["security_headers", "csp", "tls"],
            **params,
        }
    )


def test_hardened_headers_and_csp_pass(pki):
    with https_server(pki, {("GET", "/health"): (200, HARDENED, {"status": "ok"})}) as server:
        smoke = gate(pki, server.server_address[1])
        assert smoke.check_headers().status == "passed"
        assert smoke.check_csp().status == "passed"


def test_missing_headers_are_named_per_url(pki):
    with https_server(pki, {("GET", "/health"): (200, {"X-Frame-Options": "ALLOWALL"}, {"status": "ok"})}) as server:
        outcome = gate(pki, server.server_address[1]).check_headers()
    assert outcome.status == "failed"
    assert "/health: Strict-Transport-Security missing" in outcome.detail
    assert "X-Frame-Options is 'ALLOWALL'" in outcome.detail


def test_tls_of_a_trusted_matching_certificate_passes(pki):
    with https_server(pki, {}) as server:
        port = server.server_address[1]
        outcome = gate(pki, port, tls={"names": [f"api.unit.test:{port}"], "min_days": 1}).check_tls(
            "api.unit.test", port
        )
    assert outcome.status == "passed", outcome.detail
