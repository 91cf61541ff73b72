# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One cheap authenticated call per SaaS provider, to prove a credential is accepted.

Each check makes a read-only request that needs the credential and nothing else,
and returns what the provider said, never the credential. Messages quote status
codes and the provider's error code; they never quote a request header or a body
that could carry a credential.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET  # noqa: S405 - parses the answer of the configured STS endpoint only
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, basic_auth
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)


@dataclass
class ProviderAnswer:
    """What one provider said about one credential."""

    provider: str
    accepted: bool
    status: int | None
    detail: str
    where: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class HttpSettings:
    """How to reach the providers: trusted CAs, certificate checking, timeout, and how host names resolve."""

    ca_bundle: str | None = None
    validate_certs: bool = True
    timeout: float = 10.0
    lookup: Callable[[str], str | None] | None = None

    def session(self) -> HttpSession:
        # Third-party APIs get no header of the platform's own (markers, tokens): a bare session.
        return HttpSession(
            ca_bundle=self.ca_bundle, timeout=self.timeout, lookup=self.lookup, verify=self.validate_certs
        )


def _request(
    http: HttpSettings, method: str, url: str, headers: dict[str, str], body: bytes | None = None
) -> tuple[int | None, bytes, str]:
    """(status, body, error). status is None when the provider could not be reached."""
    if not url.lower().startswith(("https://", "http://")):
        return None, b"", f"not an http(s) URL: {url.split('?')[0]}"
    try:
        with http.session() as session:
            response = session.request(method, url, headers=headers, body=body)
    except (ConnectionFailure, ConfigurationError) as exc:
        return None, b"", f"unreachable: {exc}"
    return response.status, response.body[:65536], ""


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None


def _join(base: str, path: str) -> str:
    return base.rstrip("/") + path


def check_sendgrid(base_url: str, api_key: str, http: HttpSettings) -> ProviderAnswer:
    """GET /v3/scopes with the key as Bearer token; the key must hold the mail.send scope."""
    where = _join(base_url, "/v3/scopes")
    status, body, error = _request(
        http, "GET", where, {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    )
    if status is None:
        return ProviderAnswer("sendgrid", False, None, f"SendGrid {error}", where)
    if status != 200:
        return ProviderAnswer("sendgrid", False, status, f"SendGrid refused the API key: HTTP {status}", where)
    scopes = (_json(body) or {}).get("scopes") or []
    if "mail.send" not in scopes:
        return ProviderAnswer(
            "sendgrid",
            False,
            status,
            "SendGrid accepted the API key but it lacks the mail.send scope",
            where,
            {"scopes": len(scopes)},
        )
    return ProviderAnswer(
        "sendgrid", True, status, f"SendGrid accepted the API key ({len(scopes)} scopes incl. mail.send)", where
    )


class SendGridAccount:
    """The SendGrid account's settings the mail checks read: authenticated sender domains, dynamic templates.

    The key needs the whitelabel.read and templates.read scopes besides mail.send; it goes into the Authorization
    header only.
    """

    def __init__(self, base_url: str, api_key: str, session: Callable[[], HttpSession]) -> None:
        if not base_url.lower().startswith(("https://", "http://")):
            raise ConfigurationError(f"not an http(s) URL for SendGrid: {base_url!r}")
        if not api_key:
            raise ConfigurationError(f"no SendGrid API key for {base_url}")
        self.url = base_url.rstrip("/")
        self._key = api_key
        self._session = session

    def _get(self, path: str, query: str = "") -> Any:
        where = _join(self.url, path)
        with self._session() as session:
            response = session.request(
                "GET", where + (f"?{query}" if query else ""), headers={"Authorization": f"Bearer {self._key}"}
            )
        if response.status in (401, 403):
            raise ConnectionFailure(
                f"SendGrid refused the API key on GET {where}: HTTP {response.status}; "
                "the key needs the whitelabel.read and templates.read scopes"
            )
        body = _json(response.body)
        if response.status != 200:
            raise ConnectionFailure(f"SendGrid GET {where} answered {response.status}: {response.text()}")
        return body

    def domains(self) -> list[dict[str, Any]]:
        """GET /v3/whitelabel/domains: the authenticated (formerly whitelabelled) sender domains."""
        body = self._get("/v3/whitelabel/domains")
        return [d for d in body or [] if isinstance(d, dict)] if isinstance(body, list) else []

    def templates(self) -> list[dict[str, Any]]:
        """GET /v3/templates?generations=dynamic: the dynamic transactional templates with their versions."""
        body = self._get("/v3/templates", "generations=dynamic&page_size=200")
        found = body.get("result") if isinstance(body, dict) else None
        return [t for t in found or [] if isinstance(t, dict)]


def check_twilio(base_url: str, account_sid: str, auth_token: str, http: HttpSettings) -> ProviderAnswer:
    """GET the Account resource with basic auth; it must be active and of type Full (not Trial)."""
    url = _join(base_url, f"/2010-04-01/Accounts/{urllib.parse.quote(account_sid)}.json")
    where = _join(base_url, "/2010-04-01/Accounts/{AccountSid}.json")
    status, body, error = _request(http, "GET", url, {"Authorization": basic_auth(account_sid, auth_token)})
    if status is None:
        return ProviderAnswer("twilio", False, None, f"Twilio {error}", where)
    answer = _json(body) or {}
    if status != 200:
        code = answer.get("code") if isinstance(answer, dict) else None
        if code == 20008:
            why = "test account credentials are not production credentials (Twilio error 20008)"
        elif status == 401:
            why = f"account SID and auth token were refused (HTTP 401, Twilio error {code})"
        else:
            why = f"HTTP {status}, Twilio error {code}"
        return ProviderAnswer("twilio", False, status, f"Twilio: {why}", where)
    account_status, account_type = answer.get("status"), answer.get("type")
    facts = {"status": account_status, "type": account_type}
    if account_status != "active" or account_type != "Full":
        return ProviderAnswer(
            "twilio",
            False,
            status,
            f"Twilio account is {account_status}/{account_type}; production needs an active Full account",
            where,
            facts,
        )
    return ProviderAnswer(
        "twilio", True, status, "Twilio accepted the credentials: account active, type Full", where, facts
    )


def check_razorpay(base_url: str, key_id: str, key_secret: str, http: HttpSettings) -> ProviderAnswer:
    """GET /v1/payments?count=1 with basic auth key_id:key_secret."""
    where = _join(base_url, "/v1/payments?count=1")
    status, body, error = _request(http, "GET", where, {"Authorization": basic_auth(key_id, key_secret)})
    if status is None:
        return ProviderAnswer("razorpay", False, None, f"Razorpay {error}", where)
    if status != 200:
        answer = _json(body) or {}
        description = ((answer.get("error") or {}) if isinstance(answer, dict) else {}).get("description", "")
        return ProviderAnswer(
            "razorpay",
            False,
            status,
            f"Razorpay refused the key: HTTP {status} {str(description)[:120]}".strip(),
            where,
        )
    return ProviderAnswer("razorpay", True, status, "Razorpay accepted the live key", where)


# --- AWS: GetCallerIdentity, signed with Signature Version 4 -----------------------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sigv4_authorization(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    access_key_id: str,
    secret_access_key: str,
    region: str,
    service: str,
    amz_date: str,
) -> str:
    """The Authorization header of AWS Signature Version 4 for a request; headers must include host and x-amz-date."""
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.quote(parts.path or "/", safe="/-_.~")
    query = "&".join(
        f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
        for k, v in sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    )
    canonical_headers = {k.lower().strip(): " ".join(v.split()) for k, v in headers.items()}
    signed = ";".join(sorted(canonical_headers))
    canonical = "\n".join(
        [
            method,
            path,
            query,
            "".join(f"{k}:{canonical_headers[k]}\n" for k in sorted(canonical_headers)),
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(("AWS4" + secret_access_key).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed}, Signature={signature}"


def check_aws_sts(
    sts_url: str,
    region: str,
    access_key_id: str,
    secret_access_key: str,
    http: HttpSettings,
    now: datetime.datetime | None = None,
) -> ProviderAnswer:
    """POST Action=GetCallerIdentity to STS; the identity should be an IAM user."""
    body = b"Action=GetCallerIdentity&Version=2011-06-15"
    amz_date = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%SZ")
    host = urllib.parse.urlsplit(sts_url).netloc
    headers = {
        "host": host,
        "x-amz-date": amz_date,
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    auth = sigv4_authorization(
        "POST", sts_url, headers, body, access_key_id, secret_access_key, region, "sts", amz_date
    )
    send = {k: v for k, v in headers.items() if k != "host"}
    send["Authorization"] = auth
    status, answer, error = _request(http, "POST", sts_url, send, body)
    if status is None:
        return ProviderAnswer("aws", False, None, f"AWS STS {error}", sts_url)
    if status != 200:
        return ProviderAnswer("aws", False, status, f"AWS STS refused the access key: HTTP {status}", sts_url)
    arn = ""
    try:
        root = ET.fromstring(answer)  # noqa: S314 - a small answer from the configured STS endpoint
        for element in root.iter():
            if element.tag.endswith("Arn"):
                arn = (element.text or "").strip()
    except ET.ParseError:
        return ProviderAnswer("aws", False, status, "AWS STS answered 200 without a readable identity", sts_url)
    is_user = ":user/" in arn
    detail = f"AWS STS accepted the access key; identity {arn}" + ("" if is_user else " is not an IAM user")
    return ProviderAnswer("aws", is_user, status, detail, sts_url, {"arn": arn})
