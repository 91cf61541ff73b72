"""The smoke gate's SaaS probes use the providers' one rule set (the one production_secrets uses)."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import Smoke

SID, TOKEN = "AC" + "1" * 32, "t" * 32
LIVE, TEST, SECRET = "rzp_live_abcdefghijklmn", "rzp_test_abcdefghijklmn", "s" * 24


class Provider(BaseHTTPRequestHandler):
    account = {"status": "active", "type": "Full"}

    def log_message(self, *_):
        pass

    def _send(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        user, _unused, password = base64.b64decode(self.headers["Authorization"].split()[1]).decode().partition(":")
        if self.path == f"/2010-04-01/Accounts/{SID}.json":
            if (user, password) != (SID, TOKEN):
                return self._send(401, {"code": 20003})
            return self._send(200, type(self).account)
        if self.path == "/v1/payments?count=1":
            if password != SECRET:
                return self._send(401, {"error": {"description": "bad key"}})
            return self._send(200, {"entity": "collection", "items": []})
        return self._send(404, {})


@pytest.fixture
def provider():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    Provider.account = {"status": "active", "type": "Full"}


def smoke(url, twilio=None, razorpay=None):
    return Smoke(
        {
            "api_url": "https://api.unit.test",
            "checks": ["sms", "payment"],
            "twilio": {"url": url, "account_sid": SID, "auth_token": TOKEN, **(twilio or {})},
            "razorpay": {"url": url, "key_id": LIVE, "key_secret": SECRET, **(razorpay or {})},
        }
    )


def test_live_credentials_pass_and_are_masked(provider):
    gate = smoke(provider)
    sms, payment = gate.check_sms(), gate.check_payment()
    assert (sms.status, payment.status) == ("passed", "passed"), (sms.detail, payment.detail)
    assert sms.measured == "200 active" and payment.measured == "200 live key"
    assert {SID, TOKEN, SECRET} <= gate.secrets


def test_refused_credentials_fail_for_good(provider):
    sms = smoke(provider, twilio={"auth_token": "wrong" * 6}).check_sms()
    assert sms.status == "failed" and sms.final and "401" in sms.detail
    payment = smoke(provider, razorpay={"key_secret": "wrong" * 5}).check_payment()
    assert payment.status == "failed" and payment.final and "401" in payment.detail


def test_a_trial_twilio_account_fails_as_in_production_secrets(provider):
    Provider.account = {"status": "active", "type": "Trial"}
    sms = smoke(provider).check_sms()
    assert sms.status == "failed"
    assert "production needs an active Full account" in sms.detail


def test_a_test_key_fails_unless_live_is_not_required(provider):
    assert smoke(provider, razorpay={"key_id": TEST}).check_payment().status == "failed"
    relaxed = smoke(provider, razorpay={"key_id": TEST, "require_live": False}).check_payment()
    assert relaxed.status == "passed" and relaxed.measured == "200 test key"


def test_an_unreachable_provider_is_retried_not_final():
    outcome = smoke("http://127.0.0.1:9").check_sms()
    assert outcome.status == "failed" and not outcome.final and "unreachable" in outcome.detail


def test_without_credentials_the_probes_are_skipped():
    gate = Smoke({"api_url": "https://api.unit.test", "checks": ["sms", "payment"]})
    assert (gate.check_sms().status, gate.check_payment().status) == ("skipped", "skipped")
