"""Lab SMTP relay shaped like SendGrid's smtp.sendgrid.net:587.

A real SMTP server (aiosmtpd): STARTTLS with the lab certificate, AUTH PLAIN and
LOGIN only after STARTTLS, user "apikey" with the password in
.lab/edge/secrets/smtp, and no mail accepted without AUTH. Every accepted
message is written to the mail directory as <time>-<id>.eml, with the envelope
prepended as X-Lab-Envelope-From / X-Lab-Envelope-To / X-Lab-Auth-User headers.
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import signal
import ssl
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

LOG = logging.getLogger("smtp")
USER = "apikey"


class RelaySMTP(SMTP):
    """AUTH LOGIN prompts as real relays (SendGrid, Postfix) send them; aiosmtpd's
    own "User Name\\0" prompt is refused by Go's and other strict clients."""

    AuthLoginUsernameChallenge = "Username:"
    AuthLoginPasswordChallenge = "Password:"


class RelayController(Controller):
    def factory(self) -> SMTP:
        return RelaySMTP(self.handler, **self.SMTP_kwargs)


class MailDrop:
    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = mail_dir

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}.eml"
        head = (
            f"X-Lab-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Lab-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
            f"X-Lab-Auth-User: {session.auth_data.login.decode() if session.auth_data else ''}\r\n"
        ).encode()
        content = envelope.original_content or b""
        tmp = self.mail_dir / f".{name}.tmp"
        tmp.write_bytes(head + content)
        os.replace(tmp, self.mail_dir / name)
        LOG.info("stored message %s from %s to %d recipient(s)", name, envelope.mail_from, len(envelope.rcpt_tos))
        return "250 Ok: queued as " + name


class Authenticator:
    def __init__(self, password_file: Path) -> None:
        self.password_file = password_file

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        password = self.password_file.read_text().strip().encode()
        ok = hmac.compare_digest(auth_data.login, USER.encode()) & hmac.compare_digest(auth_data.password, password)
        LOG.info("AUTH %s as %r: %s", mechanism, auth_data.login.decode(errors="replace"), "ok" if ok else "refused")
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def main() -> None:
    repo = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15525)
    p.add_argument("--tls-dir", default=str(repo / ".lab/tls"))
    p.add_argument("--password-file", default=str(repo / ".lab/edge/secrets/smtp"))
    p.add_argument("--mail-dir", default=str(repo / ".lab/edge/mail"))
    p.add_argument("--hostname", default="smtp.smeplatform.test")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s smtp %(levelname)s %(message)s")
    # aiosmtpd logs every command line at INFO; keep the log to our own events.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(Path(args.tls_dir) / "server-fullchain.crt", Path(args.tls_dir) / "server.key")
    controller = RelayController(
        MailDrop(Path(args.mail_dir)),
        hostname=args.listen,
        port=args.port,
        server_hostname=args.hostname,
        ident="SME Platform lab ESMTP",
        tls_context=tls,
        require_starttls=True,
        auth_require_tls=True,
        auth_required=True,
        authenticator=Authenticator(Path(args.password_file)),
        auth_exclude_mechanism=["CRAM-MD5"],
    )
    controller.start()
    LOG.info("listening on %s:%d (STARTTLS, AUTH after TLS)", args.listen, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
