"""Provider checks: the request each one makes and how each answer is read."""

from __future__ import annotations

import base64
import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import providers as saas

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f" * 32
SG_KEY = "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"
RZP = ("rzp_live_ABCDEFGHIJKLMN", "S" * 24)


class Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, dict[str, str]]] = []
    twilio_body: dict = {"status": "active", "type": "Full"}
    scopes: list[str] = ["mail.send"]

    def log_message(self, *_):
        pass

    def _send(self, status, body):
        raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        Handler.seen.append(("GET", self.path, dict(self.headers)))
        if self.path == "/v3/scopes":
            if auth == f"Bearer {SG_KEY}":
                return self._send(200, {"scopes": Handler.scopes})
            return self._send(401, {"errors": [{"message": "authorization required"}]})
        if self.path.startswith("/2010-04-01/Accounts/"):
            if auth == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode():
                return self._send(200, Handler.twilio_body)
            if auth.startswith("Basic ") and "test" in base64.b64decode(auth[6:]).decode():
                return self._send(403, {"code": 20008, "message": "Resource not accessible with Test Account"})
            return self._send(401, {"code": 20003, "message": "Authenticate"})
        if self.path == "/v1/payments?count=1":
            if auth == "Basic " + base64.b64encode(f"{RZP[0]}:{RZP[1]}".encode()).decode():
                return self._send(200, {"entity": "collection", "count": 0, "items": []})
            return self._send(
                401, {"error": {"code": "BAD_REQUEST_ERROR", "description": "The api key provided is invalid"}}
            )
        return self._send(404, {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        Handler.seen.append(("POST", self.path, dict(self.headers)))
        if body != b"Action=GetCallerIdentity&Version=2011-06-15":
            return self._send(400, b"")
        if "Credential=AKIAIOSFODNN7EXAMPLE/" not in self.headers.get("Authorization", ""):
            return self._send(403, b"<ErrorResponse/>")
        arn = (
            "arn:aws:iam::123456789012:user/sme-prod" if "x-user" not in self.path else "arn:aws:sts::1:assumed-role/r"
        )
        xml = (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>{arn}</Arn><UserId>AIDA</UserId><Account>123456789012</Account>"
            "</GetCallerIdentityResult></GetCallerIdentityResponse>"
        )
        return self._send(200, xml.encode())


@pytest.fixture(scope="module")
def base_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


HTTP = saas.HttpSettings(timeout=5)


def test_sendgrid_accepts_the_key_with_mail_send(base_url):
    answer = saas.check_sendgrid(base_url, SG_KEY, HTTP)
    assert answer.accepted and answer.status == 200
    assert Handler.seen[-1][1] == "/v3/scopes"


def test_sendgrid_without_mail_send_is_refused(base_url, monkeypatch):
    monkeypatch.setattr(Handler, "scopes", ["user.profile.read"])
    answer = saas.check_sendgrid(base_url, SG_KEY, HTTP)
    assert not answer.accepted and "mail.send" in answer.detail


def test_sendgrid_wrong_key_is_refused_without_quoting_it(base_url):
    bad = SG_KEY[:-1] + "x"
    answer = saas.check_sendgrid(base_url, bad, HTTP)
    assert not answer.accepted and answer.status == 401
    assert bad not in answer.detail


def test_twilio_live_account(base_url):
    answer = saas.check_twilio(base_url, SID, TOKEN, HTTP)
    assert answer.accepted and answer.facts == {"status": "active", "type": "Full"}
    assert SID not in answer.where
    assert Handler.seen[-1][1] == f"/2010-04-01/Accounts/{SID}.json"


def test_twilio_test_credentials_are_named_as_such(base_url):
    answer = saas.check_twilio(base_url, SID, "test" + "0" * 28, HTTP)
    assert not answer.accepted and "20008" in answer.detail and "test account credentials" in answer.detail


def test_twilio_trial_account_is_not_production(base_url, monkeypatch):
    monkeypatch.setattr(Handler, "twilio_body", {"status": "active", "type": "Trial"})
    answer = saas.check_twilio(base_url, SID, TOKEN, HTTP)
    assert not answer.accepted and "Full" in answer.detail


def test_twilio_wrong_token(base_url):
    answer = saas.check_twilio(base_url, SID, "0" * 32, HTTP)
    assert not answer.accepted and answer.status == 401 and "20003" in answer.detail


def test_razorpay_live_and_refused(base_url):
    assert saas.check_razorpay(base_url, *RZP, HTTP).accepted
    refused = saas.check_razorpay(base_url, RZP[0], "W" * 24, HTTP)
    assert not refused.accepted and "invalid" in refused.detail and "W" * 24 not in refused.detail


def test_unreachable_provider_is_reported_not_raised():
    answer = saas.check_sendgrid("http://127.0.0.1:9", SG_KEY, saas.HttpSettings(timeout=2))
    assert not answer.accepted and answer.status is None and "unreachable" in answer.detail


def test_non_http_url_is_refused():
    answer = saas.check_sendgrid("file:///etc", SG_KEY, HTTP)
    assert not answer.accepted and "not an http(s) URL" in answer.detail


def test_sigv4_matches_the_aws_get_vanilla_vector():
    auth = saas.sigv4_authorization(
        "GET",
        "https://example.amazonaws.com/",
        {"host": "example.amazonaws.com", "x-amz-date": "20150830T123600Z"},
        b"",
        "AKIDEXAMPLE",
        "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "us-east-1",
        "service",
        "20150830T123600Z",
    )
    assert auth == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    )


def test_aws_sts_identity_must_be_an_iam_user(base_url):
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    user = saas.check_aws_sts(base_url + "/", "ap-south-1", "AKIAIOSFODNN7EXAMPLE", secret, HTTP, now)
    assert user.accepted and user.facts["arn"].endswith(":user/sme-prod")
    assert (
        "Credential=AKIAIOSFODNN7EXAMPLE/20260101/ap-south-1/sts/aws4_request" in Handler.seen[-1][2]["Authorization"]
    )
    role = saas.check_aws_sts(base_url + "/x-user", "ap-south-1", "AKIAIOSFODNN7EXAMPLE", secret, HTTP, now)
    assert not role.accepted and "not an IAM user" in role.detail
    refused = saas.check_aws_sts(base_url + "/", "ap-south-1", "AKIAOTHER00000000000", secret, HTTP, now)
    assert not refused.accepted and refused.status == 403
