"""The HTTP client: resolution through a lookup, TLS verification for the URL's host, keep-alive, failures."""

from __future__ import annotations

import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import (
    ApiClient,
    HttpFailure,
    HttpSession,
    basic_auth,
    client_args,
    join_url,
    split_url,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

from ..smoke_servers import https_server, make_pki
from .answers import Answers


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def _routes():
    def echo(handler, body):
        return (
            200,
            {"Set-Cookie": "a=1", "X-Seen-Host": handler.headers["Host"]},
            {
                "marker": handler.headers.get("X-Marker"),
                "body": body.decode(),
                "auth": handler.headers.get("Authorization"),
            },
        )

    def slow(handler, body):
        time.sleep(1.0)
        return 200, {}, {}

    return {("POST", "/echo"): echo, ("GET", "/echo"): echo, ("GET", "/slow"): slow}


def test_connects_to_the_looked_up_address_and_verifies_the_url_host(pki):
    with https_server(pki, _routes()) as server:
        port = server.server_address[1]
        seen = []

        def lookup(host):
            seen.append(host)
            return "127.0.0.1"

        with HttpSession(ca_bundle=str(pki.ca), lookup=lookup, headers={"X-Marker": "m1"}) as s:
            r = s.request("POST", f"https://api.unit.test:{port}/echo", json_body={"a": 1})
            again = s.request("GET", f"https://api.unit.test:{port}/echo")
    assert r.status == 200
    assert r.json() == {"marker": "m1", "body": '{"a": 1}', "auth": None}
    assert r.header("X-SEEN-HOST") == f"api.unit.test:{port}"
    assert again.status == 200
    assert seen == ["api.unit.test"], "one connection, looked up once"
    assert server.connections == 1, "keep-alive reused the connection"


def test_untrusted_certificate_is_a_failure_naming_the_reason(pki, tmp_path):
    other = make_pki(tmp_path)
    with https_server(pki, _routes()) as server:
        url = f"https://unit.test:{server.server_address[1]}/echo"
        with HttpSession(ca_bundle=str(other.ca), lookup=lambda h: "127.0.0.1") as s, pytest.raises(HttpFailure) as e:
            s.request("GET", url)
    assert "certificate not trusted" in str(e.value)


def test_host_name_not_in_certificate_fails(pki):
    with https_server(pki, _routes()) as server:
        url = f"https://wrong.test:{server.server_address[1]}/echo"
        with HttpSession(ca_bundle=str(pki.ca), lookup=lambda h: "127.0.0.1") as s, pytest.raises(HttpFailure):
            s.request("GET", url)


def test_timeout_is_a_failure(pki):
    with https_server(pki, _routes()) as server:
        url = f"https://unit.test:{server.server_address[1]}/slow"
        with HttpSession(ca_bundle=str(pki.ca), lookup=lambda h: "127.0.0.1", timeout=0.2) as s:
            started = time.monotonic()
            with pytest.raises(HttpFailure) as e:
                s.request("GET", url)
    assert time.monotonic() - started < 0.9
    assert "timed out" in str(e.value)


def test_refused_connection_is_a_failure():
    with HttpSession() as s, pytest.raises(HttpFailure):
        s.request("GET", "http://127.0.0.1:9/")


def test_url_helpers():
    assert split_url("https://a.test/x?y=1") == ("https", "a.test", 443, "/x?y=1")
    assert split_url("http://a.test:8080") == ("http", "a.test", 8080, "/")
    assert join_url("https://a.test/", "/health") == "https://a.test/health"
    assert join_url("https://a.test", "https://b.test/x") == "https://b.test/x"
    assert basic_auth("u", "p") == "Basic dTpw"
    with pytest.raises(ConfigurationError):
        split_url("a.test/health")


def test_unreadable_ca_bundle_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError):
        HttpSession(ca_bundle=str(tmp_path / "missing.pem"))


def test_api_client_refuses_an_empty_key_or_a_relative_url():
    with pytest.raises(ConfigurationError, match="create a key"):
        ApiClient("https://api.test", "", Answers(), "no key for https://api.test: create a key")
    with pytest.raises(ConfigurationError, match="not an absolute"):
        ApiClient("api.test", "k", Answers(), "no key")


def test_api_client_reads_json_or_none_and_names_a_refused_key():
    answers = Answers((200, b'{"ok": true}'), (502, b"<html>"), (403, b""), (401, b"{}"))
    client = ApiClient("https://api.test/", "k", answers, "no key")
    response, body = client._call(
        "POST", "https://api.test/x", {"X-Key": "k"}, "the API refused the key", json_body=[1]
    )
    assert (response.status, body, answers.sent[0]) == (
        200,
        {"ok": True},
        ("POST", "https://api.test/x", {"X-Key": "k"}, [1]),
    )
    assert client._call("GET", "https://api.test/y", {}, "the API refused the key")[1] is None
    with pytest.raises(ConnectionFailure, match=r"^the API refused the key: HTTP 403; use a read key$"):
        client._call("GET", "https://api.test/z", {}, "the API refused the key", "use a read key")
    # without a refusal message a 401 is an answer like any other (an anonymous request's, for instance)
    assert client._call("GET", "https://api.test/z", {})[0].status == 401


def test_client_args_are_fresh_for_each_option_table():
    first = client_args()
    first["timeout"]["default"] = 1.0
    assert client_args()["timeout"] == {"type": "float", "default": 10.0}
    assert sorted(first) == ["ca_bundle", "dns_resolver", "timeout"]
