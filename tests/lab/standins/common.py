"""Shared plumbing of the lab stand-ins: TLS servers, JSON replies, secrets.

Kept on the standard library so the stand-ins start in a fraction of a second
and their behaviour can be read in one sitting.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import logging
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import string
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

LOG = logging.getLogger("standin")

EXPIRED_NAME = "expired.smeplatform.test"
MAX_BODY = 1 << 20
ACCOUNT_SID = re.compile(r"AC[0-9a-f]{32}")


def setup_logging(name: str) -> logging.Logger:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    return logging.getLogger(name)


def tls_context(tls_dir: Path, sni_expired: bool = False) -> ssl.SSLContext:
    """Server context with the lab certificate; with sni_expired, a client that
    asks for expired.smeplatform.test gets the expired certificate instead."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(tls_dir / "server-fullchain.crt", tls_dir / "server.key")
    if sni_expired:
        expired = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        expired.minimum_version = ssl.TLSVersion.TLSv1_2
        expired.load_cert_chain(tls_dir / "expired.crt", tls_dir / "expired.key")

        def pick(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
            if name and name.lower().rstrip(".") == EXPIRED_NAME:
                sslobj.context = expired

        ctx.sni_callback = pick
    return ctx


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """HTTPS server that runs the TLS handshake in the request thread, so a
    slow or failing client never blocks accept()."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr: tuple[str, int], handler: type, ctx: ssl.SSLContext) -> None:
        self.tls = ctx
        super().__init__(addr, handler)

    def finish_request(self, request: socket.socket, client_address: Any) -> None:
        request.settimeout(30)
        # Headers and body go out in separate writes; without NODELAY each response on a
        # kept-alive connection waits for the peer's delayed ACK (about 40 ms).
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            # Clients that refuse the expired certificate end up here: expected.
            LOG.debug("TLS handshake from %s failed: %s", client_address[0], exc)
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        LOG.warning("error serving %s", client_address[0], exc_info=True)


class JSONHandler(http.server.BaseHTTPRequestHandler):
    """Request handler with JSON helpers and quiet, secret-free access logs."""

    protocol_version = "HTTP/1.1"
    server_version = "smeplatform-lab"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # Only method, path and status: a request line that failed to parse may
        # hold anything (a body, a credential), so it is never written out.
        # Credentials travel in headers, but Twilio puts the account SID in the path.
        path = ACCOUNT_SID.sub(lambda m: "AC…" + m.group(0)[-4:], urlsplit(self.path).path) if self.command else "-"
        LOG.info("%s %s %s %s", self.client_address[0], self.command or "(unparsable request)", path, code)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        LOG.info("%s rejected request (%s)", self.client_address[0], args[0] if args else "error")

    def parse_request(self) -> bool:
        self._body: bytes | None = None
        return super().parse_request()

    def extra_headers(self) -> dict[str, str]:
        return {}

    def send_body(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        # Consume an unread request body first: left in the stream, it would be
        # parsed as the next request on this keep-alive connection.
        self.read_body()
        self.send_response(status)
        merged = {**self.extra_headers(), **(headers or {})}
        for key, value in merged.items():
            self.send_header(key, value)
        if status not in (204, 304):
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if status == 204 else json.dumps(payload).encode()
        self.send_body(status, body, "application/json; charset=utf-8", headers)

    def read_body(self) -> bytes:
        if getattr(self, "_body", None) is None:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY:
                self.close_connection = True  # not worth reading: drop the connection after the reply
                length = 0
            self._body = self.rfile.read(length) if length > 0 else b""
        return self._body

    def read_json(self) -> Any:
        raw = self.read_body()
        if not raw:
            return None
        return json.loads(raw)

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.headers.get("Authorization", "")
        if not value.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(value[6:].strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    def bearer(self) -> str | None:
        value = self.headers.get("Authorization", "")
        if value[:7].lower() != "bearer ":
            return None
        return value[7:].strip()


def serve_forever(servers: list[http.server.HTTPServer], on_stop: Callable[[], None] | None = None) -> None:
    """Serve every server in its own thread until SIGTERM/SIGINT."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True) for s in servers]
    for t in threads:
        t.start()
    stop.wait()
    for s in servers:
        s.shutdown()
        s.server_close()
    if on_stop:
        on_stop()


# --- lab secrets -----------------------------------------------------------

ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _hex(n: int) -> str:
    return secrets.token_hex(n // 2)


# File name -> generator. Formats follow the real providers' credentials so
# format checks in the collection see realistic values.
SECRET_FORMATS: dict[str, Callable[[], str]] = {
    "admin-password": lambda: _rand(24),
    "jwt_secret": lambda: _rand(64),
    "sendgrid_api_key": lambda: f"SG.{_rand(22, ALNUM + '-_')}.{_rand(43, ALNUM + '-_')}",
    "twilio_account_sid": lambda: "AC" + _hex(32),
    "twilio_auth_token": lambda: _hex(32),
    "twilio_test_account_sid": lambda: "AC" + _hex(32),
    "twilio_test_auth_token": lambda: _hex(32),
    "razorpay_key_id": lambda: "rzp_live_" + _rand(14),
    "razorpay_key_secret": lambda: _rand(24),
    "razorpay_test_key_id": lambda: "rzp_test_" + _rand(14),
    "razorpay_test_key_secret": lambda: _rand(24),
    # a GitHub fine-grained personal access token for the GitHub API stand-in
    "github_token": lambda: "github_pat_" + _rand(22) + "_" + _rand(59),
    # a Grafana service account token for the Grafana API stand-in
    "grafana_token": lambda: "glsa_" + _rand(32) + "_" + _hex(8),
    # the AWS-format access key the file backup check signs its S3 requests with
    "s3_access_key_id": lambda: "AKIA" + _rand(16, string.ascii_uppercase + "234567"),
    "s3_secret_access_key": lambda: _rand(40, ALNUM + "+/"),
    # a Sentry organization auth token, a New Relic user key and a Statuspage API key for the ops stand-ins
    "sentry_token": lambda: "sntrys_" + _rand(64),
    "newrelic_api_key": lambda: "NRAK-" + _rand(27, string.ascii_uppercase + string.digits),
    "statuspage_api_key": lambda: _hex(32),
    # an Elasticsearch API key, encoded as Kibana shows it (base64 of id:key), for the log sink stand-in
    # a PagerDuty REST API key (20 characters) for the PagerDuty stand-in
    "pagerduty_api_key": lambda: "u+" + _rand(18, ALNUM + "-_"),
    "logsink_api_key": lambda: base64.b64encode(f"{_rand(20)}:{_rand(22)}".encode()).decode(),
}


def _write_secret(path: Path, value: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    os.replace(tmp, path)


def ensure_secrets(secrets_dir: Path) -> list[str]:
    """Create missing lab credentials; return the names created (never values)."""
    secrets_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(secrets_dir, 0o700)
    created = []
    for name, make in SECRET_FORMATS.items():
        path = secrets_dir / name
        if not path.exists() or not path.read_text().strip():
            _write_secret(path, make())
            created.append(name)
    # SendGrid's SMTP relay takes user "apikey" and the API key as password.
    smtp = secrets_dir / "smtp"
    key = read_secret(secrets_dir, "sendgrid_api_key")
    if not smtp.exists() or smtp.read_text().strip() != key:
        _write_secret(smtp, key)
        created.append("smtp")
    return created


def read_secret(secrets_dir: Path, name: str) -> str:
    return (secrets_dir / name).read_text().strip()


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "ensure-secrets":
        made = ensure_secrets(Path(sys.argv[2]))
        print("created: " + (", ".join(made) if made else "nothing (all present)"))
    else:
        print("usage: python -m standins.common ensure-secrets DIR", file=sys.stderr)
        sys.exit(2)
