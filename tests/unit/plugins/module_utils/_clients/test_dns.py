"""DNS look-ups through a given resolver, and the address lookup the clients use."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import (
    AddressResolver,
    DnsFailure,
    lookup,
    parse_server,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from ..smoke_servers import dns_server


@pytest.mark.parametrize(
    ("server", "parsed"),
    [
        ("", None),
        ("127.0.0.1:15553", ("127.0.0.1", 15553)),
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("[::1]:5353", ("::1", 5353)),
    ],
)
def test_parse_server(server, parsed):
    assert parse_server(server) == parsed


@pytest.mark.parametrize("bad", ["ns.example.com:53", "127.0.0.1:0", "127.0.0.1:x"])
def test_bad_server_is_a_configuration_error(bad):
    with pytest.raises(ConfigurationError):
        parse_server(bad)


def test_lookup_answers_and_nxdomain():
    with dns_server({"api.unit.test": ["192.0.2.10", "192.0.2.11"], "bare.unit.test": []}) as port:
        server = f"127.0.0.1:{port}"
        assert lookup("api.unit.test", server=server).addresses == ["192.0.2.10", "192.0.2.11"]
        assert lookup("nope.unit.test", server=server).error == "NXDOMAIN"
        assert lookup("bare.unit.test", server=server).error == "no A record"


def test_silent_server_is_a_failure():
    with dns_server({}) as port, pytest.raises(DnsFailure):
        # a port nobody answers on
        lookup("api.unit.test", server=f"127.0.0.1:{port + 1 if port < 65535 else port - 1}", timeout=0.5)


def test_address_resolver_order_and_cache():
    with dns_server({"api.unit.test": ["192.0.2.10"]}) as port:
        resolve = AddressResolver(f"127.0.0.1:{port}", overrides={"Fixed.unit.test": "192.0.2.99"})
        assert resolve("api.unit.test") == "192.0.2.10"
        assert resolve("fixed.unit.test") == "192.0.2.99"
        assert resolve("203.0.113.5") == "203.0.113.5"
        with pytest.raises(DnsFailure):
            resolve("nope.unit.test")
    # cached: the server is gone now
    assert resolve("api.unit.test") == "192.0.2.10"
    assert AddressResolver("")("anything.test") is None
