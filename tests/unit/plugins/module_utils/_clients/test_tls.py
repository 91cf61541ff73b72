"""Certificate inspection: chain, name and days to expiry, measured even when verification fails."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.tls import (
    TlsFailure,
    hostname_matches,
    inspect,
)

from ..smoke_servers import https_server, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_valid_certificate(pki):
    with https_server(pki, {}) as server:
        cert = inspect("api.unit.test", server.server_address[1], ca_bundle=str(pki.ca), address="127.0.0.1")
    assert cert.chain_valid and cert.hostname_matches
    assert 89 <= cert.days_left <= 90
    assert "api.unit.test" in cert.names


def test_expired_certificate_reports_negative_days(pki):
    with https_server(pki, {}) as server:
        cert = inspect("old.unit.test", server.server_address[1], ca_bundle=str(pki.ca), address="127.0.0.1")
    assert not cert.chain_valid
    assert "expired" in cert.verify_error
    assert cert.hostname_matches
    assert -36 <= cert.days_left <= -34


def test_name_mismatch_is_measured_separately(pki):
    with https_server(pki, {}) as server:
        cert = inspect("other.test", server.server_address[1], ca_bundle=str(pki.ca), address="127.0.0.1")
    assert cert.chain_valid
    assert not cert.hostname_matches


def test_unknown_ca(pki, tmp_path):
    other = make_pki(tmp_path)
    with https_server(pki, {}) as server:
        cert = inspect("unit.test", server.server_address[1], ca_bundle=str(other.ca), address="127.0.0.1")
    assert not cert.chain_valid
    assert cert.days_left > 80


def test_nothing_listening():
    with pytest.raises(TlsFailure):
        inspect("unit.test", 9, address="127.0.0.1", timeout=1)


@pytest.mark.parametrize(
    ("name", "dns", "ips", "ok"),
    [
        ("a.example.com", ["a.example.com"], [], True),
        ("A.Example.com.", ["a.example.com"], [], True),
        ("a.example.com", ["*.example.com"], [], True),
        ("b.a.example.com", ["*.example.com"], [], False),
        ("example.com", ["*.example.com"], [], False),
        ("127.0.0.1", [], ["127.0.0.1"], True),
        ("127.0.0.2", ["127.0.0.2"], [], False),
    ],
)
def test_hostname_rules(name, dns, ips, ok):
    assert hostname_matches(name, dns, ips) is ok
