# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate's integration probes: the SMTP relay, Twilio and Razorpay with the live credentials."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import providers
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.smtp import PinnedSMTP
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.tls import tls_context
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Outcome, failed, passed, skipped


class IntegrationProbes:
    """Probes of the smoke gate that use the platform's third-party services."""

    def check_email(self) -> Outcome:
        cfg = self.p["smtp"]
        host = cfg["host"]
        if not host:
            return skipped("no SMTP relay configured")
        port = int(cfg["port"])
        server_name = cfg["server_name"] or host
        where = f"{server_name}:{port}"
        threshold = "STARTTLS, AUTH accepted, message queued (250)"
        if cfg["password"]:
            self.secrets.add(cfg["password"])
        try:
            with PinnedSMTP(lambda _name: self.lookup(host) or host, timeout=self.timeout) as smtp:
                smtp.connect(server_name, port)
                smtp.ehlo("smoke.smeplatform.invalid")
                if cfg["starttls"]:
                    smtp.starttls(context=tls_context(self.ca_bundle))
                    smtp.ehlo("smoke.smeplatform.invalid")
                if cfg["username"]:
                    smtp.login(cfg["username"], cfg["password"] or "")
                if self.check_mode:
                    return skipped(
                        "check mode: relay accepted the credentials, no message sent", "AUTH 235", threshold, where
                    )
                msg = EmailMessage()
                msg["From"] = cfg["sender"]
                msg["To"] = cfg["recipient"] or msg["From"]
                msg["Subject"] = f"SME Platform smoke test {self.run_id}"
                msg["Date"] = formatdate(localtime=False)
                msg["Message-ID"] = make_msgid("smoke-" + self.run_id)
                msg.set_content(f"Deployment smoke test {self.run_id}: the platform can send e-mail.\n")
                code, _unused = smtp.mail(msg["From"])
                if code != 250:
                    return failed(code, threshold, f"MAIL FROM refused: {code}", where)
                code, _unused = smtp.rcpt(msg["To"])
                if code not in (250, 251):
                    return failed(code, threshold, f"RCPT TO refused: {code}", where)
                code, reply = smtp.data(msg.as_bytes())
        except smtplib.SMTPAuthenticationError as exc:
            return failed(
                exc.smtp_code, threshold, f"{where} refused the credentials: {exc.smtp_code}", where, final=True
            )
        except smtplib.SMTPNotSupportedError as exc:
            return failed("no STARTTLS", threshold, f"{where}: {exc}", where, final=True)
        except ssl.SSLCertVerificationError as exc:
            return failed(
                "TLS", threshold, f"{where}: certificate not trusted: {exc.verify_message}", where, final=True
            )
        except (smtplib.SMTPException, OSError) as exc:
            return failed(None, threshold, f"{where}: {exc}", where)
        text = reply.decode("utf-8", "replace")
        if code != 250:
            return failed(f"{code} {text}", threshold, f"message refused: {code} {text}", where)
        return passed(f"{code} {text}", threshold, f"message {msg['Message-ID']} accepted: {code} {text}", where)

    def _providers(self) -> providers.HttpSettings:
        return providers.HttpSettings(ca_bundle=self.ca_bundle, timeout=self.timeout, lookup=self.lookup)

    def check_sms(self) -> Outcome:
        """The Twilio account with the live credentials, held to the rules production_secrets holds it to."""
        cfg = self.p["twilio"]
        sid, token = cfg["account_sid"], cfg["auth_token"]
        if not (sid and token):
            return skipped("no Twilio credentials configured")
        self.secrets.update({sid, token})
        answer = providers.check_twilio(cfg["url"], sid, token, self._providers())
        return _outcome(answer, "200, account active, type Full", f"{answer.status} {answer.facts.get('status')}")

    def check_payment(self) -> Outcome:
        """One payment listed with the Razorpay key (a live one unless razorpay.require_live is off)."""
        cfg = self.p["razorpay"]
        key_id, secret = cfg["key_id"], cfg["key_secret"]
        if not (key_id and secret):
            return skipped("no Razorpay credentials configured")
        self.secrets.add(secret)
        threshold = "200 (live key accepted)"
        mode = "live" if key_id.startswith("rzp_live_") else "test" if key_id.startswith("rzp_test_") else "unknown"
        answer = providers.check_razorpay(cfg["url"], key_id, secret, self._providers())
        if answer.accepted and cfg["require_live"] and mode != "live":
            return failed(f"200 {mode} key", threshold, f"the key is a {mode} key, not a live one", answer.where, True)
        return _outcome(answer, threshold, f"{answer.status} {mode} key")


def _outcome(answer: providers.ProviderAnswer, threshold: str, measured: str) -> Outcome:
    """A provider's answer as a probe outcome: refused credentials are final, an unreachable provider is retried."""
    if answer.accepted:
        return passed(measured, threshold, answer.detail, answer.where)
    refused = answer.status in (400, 401, 403)
    return failed(measured if answer.status is not None else None, threshold, answer.detail, answer.where, refused)
