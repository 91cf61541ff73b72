"""Stand-ins for the SaaS APIs the platform uses: SendGrid, Twilio, Razorpay.

Run from tests/lab:  python -m standins.saas
One process, three HTTPS ports (lab certificate). Each API accepts the lab's
live credentials from .lab/edge/secrets/ and answers everything else the way
the real service does (status codes and error bodies copied from their docs):

SendGrid  :15580  GET /v3/scopes, GET /v3/user/account (Bearer SG.… key),
                  POST /v3/mail/send (202, payload stored in .lab/edge/mail/),
                  GET /v3/whitelabel/domains (authenticated sender domains with their DNS records' validity),
                  GET /v3/templates?generations=dynamic (dynamic templates with their versions); domains and
                  templates come from one JSON file (--sendgrid-state, .lab/edge/saas/sendgrid.json), written
                  when missing and re-read when it changes, so tests unverify a domain or remove a template.
Twilio    :15581  GET /2010-04-01/Accounts/{Sid}.json (basic auth Sid:token):
                  live -> 200 {status: active, type: Full}; test credentials ->
                  403 code 20008 (the Account resource refuses test credentials);
                  anything else -> 401 code 20003.
Razorpay  :15582  GET /v1/payments, GET /v1/orders (basic auth key_id:key_secret):
                  the lab's rzp_live_ key -> 200 collection; rzp_test_ keys and
                  wrong secrets -> 401 BAD_REQUEST_ERROR.
Credentials are re-read on every request, so rotating a file takes effect at once.
"""

from __future__ import annotations

import argparse
import hmac
import json
import re
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from standins.common import JSONHandler, TLSServer, read_secret, serve_forever, setup_logging, tls_context

LOG = setup_logging("saas")
SECRETS: Path = Path()
MAIL_DIR: Path = Path()
SENDGRID_STATE: Path = Path()
_STATE_LOCK = threading.Lock()
_STATE_CACHE: dict = {}


def default_sendgrid_state() -> dict:
    """The lab account's authenticated sender domain and the dynamic templates the platform sends with."""

    def record(host: str, data: str, kind: str = "cname") -> dict:
        return {"valid": True, "type": kind, "host": host, "data": data}

    def template(n: int, name: str, subject: str) -> dict:
        tid = f"d-{n:032x}"
        return {
            "id": tid,
            "name": name,
            "generation": "dynamic",
            "updated_at": "2026-11-20 10:00:00",
            "versions": [
                {
                    "id": f"{n:08x}-0000-4000-8000-000000000001",
                    "template_id": tid,
                    "active": 1,
                    "name": f"{name} v2",
                    "subject": subject,
                    "updated_at": "2026-11-20 10:00:00",
                    "editor": "code",
                }
            ],
        }

    return {
        "domains": [
            {
                "id": 18234561,
                "user_id": 9012345,
                "subdomain": "em4821",
                "domain": "smeplatform.test",
                "username": "sme-platform",
                "ips": [],
                "custom_spf": False,
                "default": True,
                "legacy": False,
                "automatic_security": True,
                "valid": True,
                "dns": {
                    "mail_cname": record("em4821.smeplatform.test", "u9012345.wl046.sendgrid.net"),
                    "dkim1": record("s1._domainkey.smeplatform.test", "s1.domainkey.u9012345.wl046.sendgrid.net"),
                    "dkim2": record("s2._domainkey.smeplatform.test", "s2.domainkey.u9012345.wl046.sendgrid.net"),
                },
            }
        ],
        "templates": [
            template(1, "welcome", "Welcome to SME Platform"),
            template(2, "password-reset", "Reset your password"),
            template(3, "invoice-created", "Invoice {{invoice_number}} from {{company}}"),
            template(4, "payment-reminder", "Payment reminder: invoice {{invoice_number}}"),
            template(5, "payment-received", "Payment received for invoice {{invoice_number}}"),
        ],
    }


def sendgrid_state() -> dict:
    with _STATE_LOCK:
        stamp = SENDGRID_STATE.stat().st_mtime_ns
        if _STATE_CACHE.get("stamp") != stamp:
            _STATE_CACHE["data"] = json.loads(SENDGRID_STATE.read_text())
            _STATE_CACHE["stamp"] = stamp
        return _STATE_CACHE["data"]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SendGrid(JSONHandler):
    server_version = "nginx"

    def authorised(self) -> bool:
        key = self.bearer()
        return key is not None and same(key, read_secret(SECRETS, "sendgrid_api_key"))

    def refuse(self) -> None:
        self.send_json(401, {"errors": [{"field": None, "message": "authorization required"}]})

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if not self.authorised():
            self.refuse()
        elif path == "/v3/scopes":
            self.send_json(
                200,
                {
                    "scopes": [
                        "mail.send",
                        "templates.read",
                        "user.account.read",
                        "user.profile.read",
                        "whitelabel.read",
                    ]
                },
            )
        elif path == "/v3/user/account":
            self.send_json(200, {"type": "paid", "reputation": 99.7})
        elif path == "/v3/whitelabel/domains":
            self.send_json(200, sendgrid_state()["domains"])
        elif path == "/v3/templates":
            query = parse_qs(urlsplit(self.path).query)
            if not query.get("generations") or not query.get("page_size"):
                # SendGrid lists legacy templates only unless asked for dynamic ones, and needs page_size.
                self.send_json(400, {"errors": [{"field": "page_size", "message": "page_size should be provided"}]})
                return
            generations = query["generations"][0].split(",")
            found = [t for t in sendgrid_state()["templates"] if t["generation"] in generations]
            self.send_json(200, {"result": found, "_metadata": {"self": self.path, "count": len(found)}})
        else:
            self.send_json(404, {"errors": [{"field": None, "message": "resource not found"}]})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if not self.authorised():
            self.refuse()
            return
        if path != "/v3/mail/send":
            self.send_json(404, {"errors": [{"field": None, "message": "resource not found"}]})
            return
        try:
            payload = self.read_json()
        except json.JSONDecodeError:
            self.send_json(400, {"errors": [{"field": None, "message": "Bad Request"}]})
            return
        if not isinstance(payload, dict) or not payload.get("personalizations") or not payload.get("from"):
            self.send_json(
                400, {"errors": [{"field": "personalizations", "message": "The personalizations field is required."}]}
            )
            return
        MAIL_DIR.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-sendgrid-{uuid.uuid4().hex[:8]}.json"
        (MAIL_DIR / name).write_text(json.dumps(payload, indent=1))
        self.send_body(202, b"", "text/plain", {"X-Message-Id": uuid.uuid4().hex[:22]})


class Twilio(JSONHandler):
    server_version = "nginx"
    ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-f]{32})\.json$")

    def error(self, status: int, code: int, message: str) -> None:
        self.send_json(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def do_GET(self) -> None:
        creds = self.basic_auth()
        live = (read_secret(SECRETS, "twilio_account_sid"), read_secret(SECRETS, "twilio_auth_token"))
        test = (read_secret(SECRETS, "twilio_test_account_sid"), read_secret(SECRETS, "twilio_test_auth_token"))
        if creds is None or not any(same(creds[0], s) and same(creds[1], t) for s, t in (live, test)):
            self.error(401, 20003, "Authenticate")
            return
        m = self.ACCOUNT.match(urlsplit(self.path).path)
        if not m or m.group(1) != creds[0]:
            self.error(404, 20404, "The requested resource was not found")
            return
        if creds[0] == test[0]:
            self.error(403, 20008, "Resource not accessible with Test Account Credentials")
            return
        self.send_json(
            200,
            {
                "sid": creds[0],
                "owner_account_sid": creds[0],
                "friendly_name": "SME Platform Lab",
                "status": "active",
                "type": "Full",
                "date_created": "Mon, 01 Jan 2024 00:00:00 +0000",
                "uri": f"/2010-04-01/Accounts/{creds[0]}.json",
            },
        )


class Razorpay(JSONHandler):
    server_version = "nginx"

    def error(self, status: int, description: str) -> None:
        self.send_json(
            status,
            {
                "error": {
                    "code": "BAD_REQUEST_ERROR",
                    "description": description,
                    "source": "NA",
                    "step": "NA",
                    "reason": "NA",
                    "metadata": {},
                }
            },
        )

    def do_GET(self) -> None:
        creds = self.basic_auth()
        path = urlsplit(self.path).path.rstrip("/")
        if creds is None:
            self.error(401, "The api key provided is invalid")
            return
        key_id, secret = creds
        if not (
            same(key_id, read_secret(SECRETS, "razorpay_key_id"))
            and same(secret, read_secret(SECRETS, "razorpay_key_secret"))
        ):
            # Test-mode keys are not valid against the live account the lab plays.
            self.error(
                401,
                "The api key provided is invalid" if not key_id.startswith("rzp_live_") else "Authentication failed",
            )
            return
        if path in ("/v1/payments", "/v1/orders"):
            self.send_json(200, {"entity": "collection", "count": 0, "items": []})
        else:
            self.error(400, "The requested URL was not found on the server.")


def main() -> None:
    global SECRETS, MAIL_DIR, SENDGRID_STATE
    repo = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--sendgrid-port", type=int, default=15580)
    p.add_argument("--twilio-port", type=int, default=15581)
    p.add_argument("--razorpay-port", type=int, default=15582)
    p.add_argument("--tls-dir", default=str(repo / ".lab/tls"))
    p.add_argument("--secrets-dir", default=str(repo / ".lab/edge/secrets"))
    p.add_argument("--mail-dir", default=str(repo / ".lab/edge/mail"))
    p.add_argument("--sendgrid-state", default=str(repo / ".lab/edge/saas/sendgrid.json"))
    args = p.parse_args()
    SECRETS, MAIL_DIR, SENDGRID_STATE = Path(args.secrets_dir), Path(args.mail_dir), Path(args.sendgrid_state)
    if not SENDGRID_STATE.exists():
        SENDGRID_STATE.parent.mkdir(parents=True, exist_ok=True)
        SENDGRID_STATE.write_text(json.dumps(default_sendgrid_state(), indent=1))
    ctx = tls_context(Path(args.tls_dir))
    servers = [
        TLSServer((args.listen, port), handler, ctx)
        for port, handler in (
            (args.sendgrid_port, SendGrid),
            (args.twilio_port, Twilio),
            (args.razorpay_port, Razorpay),
        )
    ]
    for s, name in zip(servers, ("sendgrid", "twilio", "razorpay"), strict=True):
        LOG.info("%s listening on https://%s:%d", name, args.listen, s.server_address[1])
    serve_forever(servers)


if __name__ == "__main__":
    main()
