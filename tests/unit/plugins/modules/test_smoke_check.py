"""smoke_check end to end in-process, against a throw-away HTTPS server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.modules import smoke_check

from ..module_utils.smoke_servers import https_server, make_pki
from .utils import run_main

PASSWORD = "Pw-smoke-5b1e0c9a77"
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _jwt(lifetime):
    now = int(time.time())

    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'HS256'})}.{enc({'iat': now, 'exp': now + lifetime})}.c2ln"


TOKEN = _jwt(86400)
INVOICES: dict = {}


def login(handler, body):
    creds = json.loads(body)
    if creds == {"email": "admin@unit.test", "password": PASSWORD}:
        return 201, HEADERS, {"access_token": TOKEN}
    return 401, HEADERS, {"message": "Invalid credentials"}


def create(handler, body):
    INVOICES["inv-1"] = json.loads(body)
    return 201, {}, {**INVOICES["inv-1"], "id": "inv-1"}


ROUTES = {
    ("GET", "/health"): (200, HEADERS, {"status": "ok", "version": "v1.0.0"}),
    ("GET", "/"): (200, {**HEADERS, "Content-Type": "text/html"}, b"<html>app</html>"),
    ("POST", "/api/auth/login"): login,
    ("POST", "/api/invoices"): create,
    ("GET", "/api/invoices/inv-1"): lambda h, b: (200, {}, {**INVOICES.get("inv-1", {}), "id": "inv-1"}),
    ("DELETE", "/api/invoices/inv-1"): lambda h, b: (INVOICES.pop("inv-1", None) and 204 or 404, {}, b""),
}


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    with https_server(pki, ROUTES) as server:
        port = server.server_address[1]
        yield {
            "api_url": f"https://api.unit.test:{port}",
            "frontend_url": f"https://unit.test:{port}",
            "ca_bundle": str(pki.ca),
            "resolve": {"api.unit.test": "127.0.0.1", "unit.test": "127.0.0.1"},
            "login": {"email": "admin@unit.test", "password": PASSWORD},
            "settle": 0,
        }


CHECKS = ["health", "frontend", "login", "jwt_lifetime", "invoice", "tls", "csp", "security_headers"]


def test_a_good_platform_passes_with_evidence(platform, monkeypatch):
    result = run_main(smoke_check.main, {**platform, "checks": CHECKS}, monkeypatch)
    assert result["failed"] is False, result
    assert result["changed"] is False
    assert result["passed"] is True, result["checks"]
    assert result["failed_checks"] == []
    assert {c["name"] for c in result["checks"]} >= {"health", "invoice", "jwt_lifetime"}
    assert {e["id"] for e in result["evidence"]} >= {"deploy.7.3", "deploy.7.8", "deploy.7.9", "7.2.5", "2.2.5"}
    text = json.dumps(result)
    assert PASSWORD not in text and TOKEN not in text
    assert INVOICES == {}, "the sample invoice was removed"


def test_check_mode_skips_the_invoice_write(platform, monkeypatch):
    result = run_main(smoke_check.main, {**platform, "checks": CHECKS}, monkeypatch, check_mode=True)
    invoice = next(c for c in result["checks"] if c["name"] == "invoice")
    assert invoice["status"] == "skipped"
    assert result["passed"] is True
    assert INVOICES == {}


def test_failures_are_named_not_raised(platform, monkeypatch):
    args = {**platform, "checks": ["health", "login"], "health": {"expected_version": "v9.9.9"}}
    args["login"] = {"email": "admin@unit.test", "password": "wrong"}
    result = run_main(smoke_check.main, args, monkeypatch)
    assert result["failed"] is False
    assert result["passed"] is False
    assert result["failed_checks"] == ["login", "health"]
    health = next(c for c in result["checks"] if c["name"] == "health")
    assert "serving version v1.0.0, expected v9.9.9" in health["detail"]


def test_missing_credentials_fail_before_any_check(platform, monkeypatch):
    result = run_main(smoke_check.main, {**platform, "login": {}, "checks": ["jwt_lifetime"]}, monkeypatch)
    assert result["failed"] is True
    assert "login.email and login.password" in result["msg"]


def test_unknown_check_name_is_refused(platform, monkeypatch):
    result = run_main(smoke_check.main, {**platform, "checks": ["helth"]}, monkeypatch)
    assert result["failed"] is True
    assert "helth" in result["msg"]
