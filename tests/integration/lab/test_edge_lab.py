"""Integration tests of the edge lab (tests/lab/edge/lab.sh) and the lab TLS material.

The resolver, the SMTP relay, the platform stand-in and the SaaS stand-ins must
be up (``tests/lab/edge/lab.sh up``). Names are resolved through the lab's own
resolver, never the system's, and TLS is verified against the lab CA only.

The platform's API behaviour is tested on a private stand-in instance started
with --static-version (its answers do not depend on what is deployed in the
cluster at the time); the lab's instance on :15543 is tested for TLS, SNI and
for following the cluster (k8s lab needed for the last tests).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import shutil
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
LAB_SRC = REPO / "tests" / "lab"
DOMAIN = "smeplatform.test"
NAMES = [
    DOMAIN,
    f"www.{DOMAIN}",
    f"app.{DOMAIN}",
    f"api.{DOMAIN}",
    f"prometheus.{DOMAIN}",
    f"grafana.{DOMAIN}",
    f"smtp.{DOMAIN}",
]
NAMESPACE = "sme-platform"


# --- helpers ---------------------------------------------------------------


@dataclass
class Edge:
    dns: tuple[str, int]
    smtp: tuple[str, int]
    platform_url: str
    frontend_url: str
    sendgrid_url: str
    twilio_url: str
    razorpay_url: str
    secrets: Path
    mail: Path
    ca: Path
    tls_dir: Path

    def secret(self, name: str) -> str:
        return (self.secrets / name).read_text().strip()


def addr(value: str) -> tuple[str, int]:
    host, _unused, port = value.rpartition(":")
    return host, int(port)


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class LabHTTPS:
    """HTTPS client that resolves names through the lab resolver and trusts only the lab CA."""

    def __init__(self, resolver: dns.resolver.Resolver, ca: Path) -> None:
        self.resolver = resolver
        self.ctx = ssl.create_default_context(cafile=str(ca))

    def ip_of(self, host: str) -> str:
        if host.replace(".", "").isdigit():
            return host
        return str(self.resolver.resolve(host, "A")[0])

    def request(
        self,
        method: str,
        url: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        auth: tuple[str, str] | None = None,
        host_port: tuple[str, int] | None = None,
    ) -> Reply:
        u = urlsplit(url)
        host, port = u.hostname or "", u.port or 443
        ip, port = host_port or (self.ip_of(host), port)
        sock = socket.create_connection((ip, port), timeout=10)
        conn = http.client.HTTPSConnection(host, port, context=self.ctx, timeout=10)
        conn.sock = self.ctx.wrap_socket(sock, server_hostname=host)
        hdrs = dict(headers or {})
        if auth:
            hdrs["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=data, headers=hdrs)
            resp = conn.getresponse()
            return Reply(resp.status, resp.headers, resp.read())
        finally:
            conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"stand-in exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def jwt_claims(token: str, key: str) -> dict[str, Any]:
    head, body, sig = token.split(".")

    def unb64(s: str) -> bytes:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

    assert json.loads(unb64(head)) == {"alg": "HS256", "typ": "JWT"}
    want = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(want, unb64(sig)), "JWT signature does not verify with the lab JWT secret"
    return json.loads(unb64(body))


def eventually(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll check() until it returns a truthy value; fail with the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")


# --- fixtures --------------------------------------------------------------


@pytest.fixture(scope="session")
def edge(lab_require: Callable[..., list[str]]) -> Edge:
    (dns_addr, smtp, platform, frontend, sendgrid, twilio, razorpay, secrets, mail, ca, tls_dir) = lab_require(
        "SMEPLATFORM_LAB_DNS",
        "SMEPLATFORM_LAB_SMTP",
        "SMEPLATFORM_LAB_PLATFORM_URL",
        "SMEPLATFORM_LAB_FRONTEND_URL",
        "SMEPLATFORM_LAB_SENDGRID_URL",
        "SMEPLATFORM_LAB_TWILIO_URL",
        "SMEPLATFORM_LAB_RAZORPAY_URL",
        "SMEPLATFORM_LAB_SECRETS_DIR",
        "SMEPLATFORM_LAB_MAIL_DIR",
        "SMEPLATFORM_LAB_CA_BUNDLE",
        "SMEPLATFORM_LAB_TLS_DIR",
    )
    return Edge(
        addr(dns_addr),
        addr(smtp),
        platform,
        frontend,
        sendgrid,
        twilio,
        razorpay,
        Path(secrets),
        Path(mail),
        Path(ca),
        Path(tls_dir),
    )


@pytest.fixture(scope="session")
def resolver(edge: Edge) -> dns.resolver.Resolver:
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = [edge.dns[0]]
    r.port = edge.dns[1]
    r.lifetime = 3
    return r


@pytest.fixture(scope="session")
def https(resolver: dns.resolver.Resolver, edge: Edge) -> LabHTTPS:
    return LabHTTPS(resolver, edge.ca)


@pytest.fixture(scope="module")
def static_platform_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("platform") / "platform.log"


@pytest.fixture(scope="module")
def static_platform(edge: Edge, static_platform_log: Path) -> Iterator[str]:
    """A private platform stand-in with a fixed version and small limits."""
    port = free_port()
    log = static_platform_log.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "standins.platform",
            "--port",
            str(port),
            "--static-version",
            "v1.0.0",
            "--tls-dir",
            str(edge.tls_dir),
            "--secrets-dir",
            str(edge.secrets),
            "--setting",
            "RATE_LIMIT_MAX=5",
            "--setting",
            "RATE_LIMIT_WINDOW_MS=60000",
            "--setting",
            "JWT_EXPIRES_IN=15m",
            "--setting",
            f"ALLOWED_ORIGINS=https://{DOMAIN}:15543,https://app.{DOMAIN}:15543",
        ],
        cwd=LAB_SRC,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_listening(port, proc, static_platform_log)
        yield f"https://api.{DOMAIN}:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture
def client_ip() -> str:
    """A client address of its own (X-Forwarded-For), so rate-limit buckets never mix."""
    suffix = uuid.uuid4().hex
    return f"2001:db8::{suffix[:4]}:{suffix[4:8]}:{suffix[8:12]}, 10.0.0.1"


@pytest.fixture
def token(https: LabHTTPS, static_platform: str, edge: Edge, client_ip: str) -> str:
    r = https.request(
        "POST",
        f"{static_platform}/api/auth/login",
        {"email": f"admin@{DOMAIN}", "password": edge.secret("admin-password")},
        headers={"X-Forwarded-For": client_ip},
    )
    assert r.status == 200, r.body
    return r.json()["access_token"]


# --- DNS -------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_resolver_answers_a_records_for_lab_names(edge: Edge, transport: str) -> None:
    send = dns.query.udp if transport == "udp" else dns.query.tcp
    for name in [*NAMES, f"expired.{DOMAIN}"]:
        answer = send(dns.message.make_query(name, "A"), edge.dns[0], port=edge.dns[1], timeout=3)
        assert answer.rcode() == dns.rcode.NOERROR, name
        assert [rr.address for rrset in answer.answer for rr in rrset] == ["127.0.0.1"], name
    unknown = send(dns.message.make_query(f"nothere.{DOMAIN}", "A"), edge.dns[0], port=edge.dns[1], timeout=3)
    assert unknown.rcode() == dns.rcode.NXDOMAIN


def test_resolver_serves_spf_dkim_dmarc_and_mx(resolver: dns.resolver.Resolver, edge: Edge) -> None:
    def txt(name: str) -> list[str]:
        return [b"".join(rr.strings).decode() for rr in resolver.resolve(name, "TXT")]

    assert txt(DOMAIN) == ["v=spf1 include:sendgrid.net -all"]
    (dmarc,) = txt(f"_dmarc.{DOMAIN}")
    assert dmarc.startswith("v=DMARC1; p=")
    (dkim,) = txt(f"s1._domainkey.{DOMAIN}")
    assert dkim.startswith("v=DKIM1; k=rsa; p=")
    published = base64.b64decode(dkim.split("p=", 1)[1])
    key_der = subprocess.run(
        ["openssl", "pkey", "-in", str(edge.secrets / "dkim_s1.pem"), "-pubout", "-outform", "DER"],
        capture_output=True,
        check=True,
    ).stdout
    assert published == key_der, "the DKIM record does not publish the lab's DKIM signing key"
    assert [(mx.preference, str(mx.exchange)) for mx in resolver.resolve(DOMAIN, "MX")] == [(10, f"smtp.{DOMAIN}.")]


# --- TLS -------------------------------------------------------------------


def handshake(edge: Edge, ctx: ssl.SSLContext, name: str) -> dict[str, Any]:
    host, port = "127.0.0.1", int(urlsplit(edge.platform_url).port or 443)
    with socket.create_connection((host, port), timeout=5) as sock, ctx.wrap_socket(sock, server_hostname=name) as tls:
        return tls.getpeercert()


def test_lab_certificate_chain_validates_for_api(edge: Edge, https: LabHTTPS) -> None:
    ctx = ssl.create_default_context(cafile=str(edge.ca))
    cert = handshake(edge, ctx, f"api.{DOMAIN}")
    assert ("DNS", f"api.{DOMAIN}") in cert["subjectAltName"]
    assert ssl.cert_time_to_seconds(cert["notAfter"]) - time.time() > 30 * 86400
    # Trusting only the system store, the lab certificate must be refused:
    # the chain really rests on the lab CA.
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(edge, ssl.create_default_context(), f"api.{DOMAIN}")
    # And the API host is reached through the lab resolver end to end.
    assert https.request("GET", f"{edge.platform_url}/metrics").status == 200


def test_expired_certificate_fails_validation(edge: Edge) -> None:
    ctx = ssl.create_default_context(cafile=str(edge.ca))
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate has expired"):
        handshake(edge, ctx, f"expired.{DOMAIN}")
    lax = ssl.create_default_context(cafile=str(edge.ca))
    lax.check_hostname, lax.verify_mode = False, ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", int(urlsplit(edge.platform_url).port)), timeout=5) as sock,
        lax.wrap_socket(sock, server_hostname=f"expired.{DOMAIN}") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    end = (
        subprocess.run(
            ["openssl", "x509", "-inform", "DER", "-noout", "-enddate"], input=der, capture_output=True, check=True
        )
        .stdout.decode()
        .strip()
        .split("=", 1)[1]
    )
    assert ssl.cert_time_to_seconds(end) < time.time()


# --- SMTP ------------------------------------------------------------------


def smtp_tls(edge: Edge) -> smtplib.SMTP:
    client = smtplib.SMTP(*edge.smtp, timeout=10)
    client._host = f"smtp.{DOMAIN}"  # verify the certificate for the relay's name
    client.ehlo()
    client.starttls(context=ssl.create_default_context(cafile=str(edge.ca)))
    client.ehlo()
    return client


def test_smtp_starttls_auth_and_delivery_to_mail_folder(edge: Edge) -> None:
    marker = uuid.uuid4().hex
    with smtp_tls(edge) as client:
        assert set(client.esmtp_features["auth"].split()) >= {"PLAIN", "LOGIN"}
        client.login("apikey", edge.secret("smtp"))
        refused = client.sendmail(
            f"noreply@{DOMAIN}",
            ["ops@example.test", "cfo@example.test"],
            f"From: noreply@{DOMAIN}\r\nSubject: lab {marker}\r\n\r\nbody {marker}\r\n",
        )
    assert refused == {}

    def stored() -> list[Path]:
        return [p for p in edge.mail.glob("*.eml") if marker in p.read_text()]

    (path,) = eventually(stored, 5, "message in the mail folder")
    text = path.read_text()
    assert f"X-Lab-Envelope-From: noreply@{DOMAIN}" in text
    assert "X-Lab-Envelope-To: ops@example.test, cfo@example.test" in text
    assert "X-Lab-Auth-User: apikey" in text
    assert f"Subject: lab {marker}" in text


def test_smtp_refuses_auth_before_starttls_and_wrong_password(edge: Edge) -> None:
    password = edge.secret("smtp")
    with smtplib.SMTP(*edge.smtp, timeout=10) as client:
        client.ehlo()
        assert "starttls" in client.esmtp_features
        assert "auth" not in client.esmtp_features
        plain = base64.b64encode(f"\0apikey\0{password}".encode()).decode()
        code, _unused = client.docmd("AUTH", f"PLAIN {plain}")
        assert code in (530, 538)
        code, _unused = client.docmd("MAIL", f"FROM:<noreply@{DOMAIN}>")
        assert code == 530
    with smtp_tls(edge) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("apikey", password + "x")
        code, _unused = client.docmd("MAIL", f"FROM:<noreply@{DOMAIN}>")
        assert code == 530, "mail accepted without authentication"


# --- platform stand-in: API behaviour ----------------------------------------


def test_login_returns_jwt_with_iat_and_exp(https: LabHTTPS, static_platform: str, edge: Edge, client_ip: str) -> None:
    before = int(time.time())
    r = https.request(
        "POST",
        f"{static_platform}/api/auth/login",
        {"email": f"admin@{DOMAIN}", "password": edge.secret("admin-password")},
        headers={"X-Forwarded-For": client_ip},
    )
    assert r.status == 200
    claims = jwt_claims(r.json()["access_token"], edge.secret("jwt_secret"))
    assert before <= claims["iat"] <= time.time() + 1
    assert claims["exp"] - claims["iat"] == 15 * 60  # JWT_EXPIRES_IN=15m
    assert claims["email"] == f"admin@{DOMAIN}"
    wrong = https.request(
        "POST",
        f"{static_platform}/api/auth/login",
        {"email": f"admin@{DOMAIN}", "password": "not-the-password"},
        headers={"X-Forwarded-For": client_ip},
    )
    assert wrong.status == 401
    assert "access_token" not in wrong.json()


def test_invoices_create_read_delete(https: LabHTTPS, static_platform: str, token: str, client_ip: str) -> None:
    auth = {"Authorization": f"Bearer {token}", "X-Forwarded-For": client_ip}
    assert https.request("POST", f"{static_platform}/api/invoices", {"amount": 1}).status == 401
    created = https.request(
        "POST",
        f"{static_platform}/api/invoices",
        {"customer": "Lab Traders", "amount": 125000, "currency": "INR"},
        headers=auth,
    )
    assert created.status == 201
    invoice = created.json()
    assert invoice["id"] and invoice["amount"] == 125000
    read = https.request("GET", f"{static_platform}/api/invoices/{invoice['id']}", headers=auth)
    assert read.status == 200 and read.json() == invoice
    assert https.request("DELETE", f"{static_platform}/api/invoices/{invoice['id']}", headers=auth).status == 204
    assert https.request("GET", f"{static_platform}/api/invoices/{invoice['id']}", headers=auth).status == 404


def test_security_headers_on_every_response(https: LabHTTPS, static_platform: str, client_ip: str) -> None:
    port = urlsplit(static_platform).port
    urls = [
        f"{static_platform}/health",
        f"{static_platform}/api/invoices",
        f"https://{DOMAIN}:{port}/",
        f"{static_platform}/nothing-here",
    ]
    for url in urls:
        r = https.request("GET", url, headers={"X-Forwarded-For": client_ip})
        assert "default-src 'self'" in r.headers["Content-Security-Policy"], url
        assert r.headers["Strict-Transport-Security"].startswith("max-age=31536000"), url
        assert r.headers["X-Content-Type-Options"] == "nosniff", url
        assert r.headers["X-Frame-Options"] == "DENY", url
        assert r.headers["Referrer-Policy"], url
    page = https.request("GET", f"https://www.{DOMAIN}:{port}/")
    assert page.status == 200 and b"SME Receivable Platform" in page.body


def test_cors_echoes_allowed_origin_only(https: LabHTTPS, static_platform: str, client_ip: str) -> None:
    allowed, foreign = f"https://app.{DOMAIN}:15543", "https://evil.example"
    ok = https.request("GET", f"{static_platform}/health", headers={"Origin": allowed})
    assert ok.headers["Access-Control-Allow-Origin"] == allowed
    bad = https.request("GET", f"{static_platform}/health", headers={"Origin": foreign})
    assert "Access-Control-Allow-Origin" not in bad.headers
    pre = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
        "X-Forwarded-For": client_ip,
    }
    ok = https.request("OPTIONS", f"{static_platform}/api/invoices", headers={"Origin": allowed, **pre})
    assert ok.status == 204
    assert ok.headers["Access-Control-Allow-Origin"] == allowed
    assert "POST" in ok.headers["Access-Control-Allow-Methods"]
    bad = https.request("OPTIONS", f"{static_platform}/api/invoices", headers={"Origin": foreign, **pre})
    assert "Access-Control-Allow-Origin" not in bad.headers


def test_rate_limit_per_client_and_route(https: LabHTTPS, static_platform: str, token: str, client_ip: str) -> None:
    auth = {"Authorization": f"Bearer {token}", "X-Forwarded-For": client_ip}
    remaining = []
    for _unused in range(5):
        r = https.request("GET", f"{static_platform}/api/invoices", headers=auth)
        assert r.status == 200
        assert r.headers["X-RateLimit-Limit"] == "5"
        remaining.append(int(r.headers["X-RateLimit-Remaining"]))
    assert remaining == [4, 3, 2, 1, 0]
    over = https.request("GET", f"{static_platform}/api/invoices", headers=auth)
    assert over.status == 429 and int(over.headers["Retry-After"]) > 0
    # Another route, another client and /health keep their own budget.
    other_route = https.request("GET", f"{static_platform}/api/auth/me", headers=auth)
    assert other_route.status == 200
    other_client = https.request(
        "GET", f"{static_platform}/api/invoices", headers={**auth, "X-Forwarded-For": "203.0.113.7"}
    )
    assert other_client.status == 200 and other_client.headers["X-RateLimit-Remaining"] == "4"
    for _unused in range(8):
        h = https.request("GET", f"{static_platform}/health", headers={"X-Forwarded-For": client_ip})
        assert h.status == 200 and "X-RateLimit-Limit" not in h.headers


def test_metrics_count_requests_and_durations(https: LabHTTPS, static_platform: str, client_ip: str) -> None:
    for _unused in range(3):
        https.request("GET", f"{static_platform}/health")
    text = https.request("GET", f"{static_platform}/metrics").body.decode()
    lines = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert int(lines['http_requests_total{method="GET",route="/health",status="200"}']) >= 3
    for le in ("0.05", "0.1", "0.2", "0.5", "1", "+Inf"):
        assert f'http_request_duration_seconds_bucket{{method="GET",route="/health",le="{le}"}}' in lines
    assert "# TYPE http_request_duration_seconds histogram" in text
    assert abs(float(lines["process_start_time_seconds"]) - time.time()) < 3600


def test_unread_body_neither_poisons_keepalive_nor_reaches_the_log(
    static_platform: str, static_platform_log: Path, edge: Edge, client_ip: str
) -> None:
    """A reply sent without reading the body (401 here) must consume it anyway."""
    port = urlsplit(static_platform).port
    ctx = ssl.create_default_context(cafile=str(edge.ca))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    conn.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=f"api.{DOMAIN}")
    marker = f"body-{uuid.uuid4().hex}"
    body = json.dumps({"customer": marker, "amount": 1})
    try:
        conn.request("POST", "/api/invoices", body=body, headers={"X-Forwarded-For": client_ip})
        first = conn.getresponse()
        first.read()
        assert first.status == 401
        conn.request("GET", "/health")
        second = conn.getresponse()
        assert second.status == 200 and json.loads(second.read())["status"] == "ok"
    finally:
        conn.close()
    time.sleep(0.2)
    assert marker not in static_platform_log.read_text()


# --- SaaS stand-ins ----------------------------------------------------------


def test_sendgrid_accepts_live_key_only(https: LabHTTPS, edge: Edge) -> None:
    live = {"Authorization": f"Bearer {edge.secret('sendgrid_api_key')}"}
    for path in ("/v3/scopes", "/v3/user/account"):
        assert https.request("GET", edge.sendgrid_url + path, headers=live).status == 200, path
        forged = f"SG.{'a' * 22}.{'b' * 43}"
        bad = https.request("GET", edge.sendgrid_url + path, headers={"Authorization": f"Bearer {forged}"})
        assert bad.status == 401 and bad.json()["errors"], path
        assert https.request("GET", edge.sendgrid_url + path).status == 401
    assert "mail.send" in https.request("GET", edge.sendgrid_url + "/v3/scopes", headers=live).json()["scopes"]


def test_twilio_accepts_live_and_refuses_test_credentials(https: LabHTTPS, edge: Edge) -> None:
    sid, token = edge.secret("twilio_account_sid"), edge.secret("twilio_auth_token")
    live = https.request("GET", f"{edge.twilio_url}/2010-04-01/Accounts/{sid}.json", auth=(sid, token))
    assert live.status == 200
    assert (live.json()["status"], live.json()["type"]) == ("active", "Full")
    test_sid, test_token = edge.secret("twilio_test_account_sid"), edge.secret("twilio_test_auth_token")
    test = https.request("GET", f"{edge.twilio_url}/2010-04-01/Accounts/{test_sid}.json", auth=(test_sid, test_token))
    assert test.status == 403 and test.json()["code"] == 20008
    wrong = https.request("GET", f"{edge.twilio_url}/2010-04-01/Accounts/{sid}.json", auth=(sid, "0" * 32))
    assert wrong.status == 401 and wrong.json()["code"] == 20003


def test_razorpay_accepts_live_key_and_refuses_test_key(https: LabHTTPS, edge: Edge) -> None:
    live = (edge.secret("razorpay_key_id"), edge.secret("razorpay_key_secret"))
    assert live[0].startswith("rzp_live_")
    for path in ("/v1/payments?count=1", "/v1/orders?count=1"):
        r = https.request("GET", edge.razorpay_url + path, auth=live)
        assert r.status == 200 and r.json()["entity"] == "collection", path
    test = (edge.secret("razorpay_test_key_id"), edge.secret("razorpay_test_key_secret"))
    assert test[0].startswith("rzp_test_")
    r = https.request("GET", edge.razorpay_url + "/v1/payments?count=1", auth=test)
    assert r.status == 401 and r.json()["error"]["code"] == "BAD_REQUEST_ERROR"
    assert https.request("GET", edge.razorpay_url + "/v1/payments?count=1", auth=(live[0], "x" * 24)).status == 401


# --- the lab's platform instance follows the cluster --------------------------


@pytest.fixture(scope="module")
def kubectl(lab_require: Callable[..., list[str]], lab_env: dict[str, str]) -> Callable[..., str]:
    (kubeconfig,) = lab_require("KUBECONFIG")
    binary = shutil.which("kubectl", path=lab_env.get("PATH"))
    if binary is None:
        pytest.fail("kubectl not found on the k8s lab's PATH (tests/lab/k8s/lab.sh env)", pytrace=False)

    def run(*args: str, stdin: str | None = None, check: bool = True) -> str:
        out = subprocess.run(
            [binary, "--kubeconfig", kubeconfig, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and out.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {out.stderr.strip()}")
        return out.stdout

    version = subprocess.run(
        [binary, "--kubeconfig", kubeconfig, "get", "--raw", "/readyz"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if version.returncode != 0:
        pytest.fail(f"the k8s lab API is not ready ({version.stderr.strip()}): tests/lab/k8s/lab.sh up", pytrace=False)
    return run


def ensure_namespace(kubectl: Callable[..., str]) -> bool:
    """Create the release namespace unless it exists; True when created here.
    A namespace still terminating (an earlier clean-up) is waited out first."""

    def phase() -> str:
        return kubectl("get", "namespace", NAMESPACE, "-o", "jsonpath={.status.phase}", check=False).strip()

    eventually(lambda: phase() != "Terminating", 90, f"namespace {NAMESPACE} deleted")
    if phase() == "Active":
        return False
    kubectl("create", "namespace", NAMESPACE)
    return True


def drop_namespace(kubectl: Callable[..., str]) -> None:
    kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", "--timeout=90s")


def tiny_backend(tag: str) -> str:
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "sme-platform-backend",
                "namespace": NAMESPACE,
                "labels": {"app.kubernetes.io/managed-by": "edge-lab-test"},
            },
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "sme-platform-backend-edge-test"}},
                "template": {
                    "metadata": {"labels": {"app": "sme-platform-backend-edge-test"}},
                    "spec": {
                        "containers": [{"name": "backend", "image": f"127.0.0.1:15450/sme-platform/backend:{tag}"}]
                    },
                },
            },
        }
    )


def health(https: LabHTTPS, edge: Edge) -> tuple[int, dict[str, Any]]:
    r = https.request("GET", f"{edge.platform_url}/health")
    return r.status, r.json()


def test_lab_platform_version_follows_the_deployment(kubectl: Callable[..., str], https: LabHTTPS, edge: Edge) -> None:
    existing = kubectl("get", "deployment", "sme-platform-backend", "-n", NAMESPACE, "-o", "json", check=False)
    if existing:
        # A release is deployed (the chart): do not touch it, only compare.
        image = json.loads(existing)["spec"]["template"]["spec"]["containers"][0]["image"]
        tag = image.rsplit(":", 1)[1]
        status, body = health(https, edge)
        assert body.get("version") == tag, body
        assert status == (503 if tag.endswith("-faulty") else 200)
        return

    created_ns = ensure_namespace(kubectl)
    try:
        eventually(lambda: health(https, edge) == (503, {"status": "not deployed"}), 10, "not deployed")
        kubectl("apply", "-f", "-", stdin=tiny_backend("v1.0.0"))
        eventually(lambda: health(https, edge)[1].get("version") == "v1.0.0", 10, "version v1.0.0")
        assert health(https, edge)[0] == 200

        kubectl(
            "set",
            "image",
            "-n",
            NAMESPACE,
            "deployment/sme-platform-backend",
            "backend=127.0.0.1:15450/sme-platform/backend:v1.1.0",
        )
        eventually(lambda: health(https, edge)[1].get("version") == "v1.1.0", 10, "version v1.1.0")

        kubectl(
            "set",
            "image",
            "-n",
            NAMESPACE,
            "deployment/sme-platform-backend",
            "backend=127.0.0.1:15450/sme-platform/backend:v1.2.0-faulty",
        )

        def faulty_health() -> tuple[int, dict[str, Any]] | None:
            h = health(https, edge)
            return h if h[1].get("version") == "v1.2.0-faulty" else None

        status, body = eventually(faulty_health, 10, "version v1.2.0-faulty")
        assert status == 503 and body["status"] == "error"
        login = https.request(
            "POST",
            f"{edge.platform_url}/api/auth/login",
            {"email": f"admin@{DOMAIN}", "password": edge.secret("admin-password")},
            headers={"X-Forwarded-For": f"192.0.2.{uuid.uuid4().int % 250 + 1}"},
        )
        assert login.status == 500
    finally:
        kubectl("delete", "deployment", "sme-platform-backend", "-n", NAMESPACE, "--ignore-not-found", "--wait=false")
        if created_ns:
            drop_namespace(kubectl)
    eventually(lambda: health(https, edge) == (503, {"status": "not deployed"}), 10, "not deployed after cleanup")


def test_lab_platform_reads_settings_from_the_configmap(
    kubectl: Callable[..., str], https: LabHTTPS, edge: Edge
) -> None:
    if kubectl("get", "configmap", "sme-platform-config", "-n", NAMESPACE, "-o", "name", check=False):
        pytest.skip("a release's ConfigMap is deployed: not overwriting it")  # the chart's own tests cover it
    created_ns = ensure_namespace(kubectl)
    origin = "https://configmap-test.example"
    try:
        kubectl(
            "create",
            "configmap",
            "sme-platform-config",
            "-n",
            NAMESPACE,
            "--from-literal=ALLOWED_ORIGINS=" + origin,
            "--from-literal=RATE_LIMIT_MAX=7",
            "--from-literal=RATE_LIMIT_WINDOW_MS=60000",
            "--from-literal=JWT_EXPIRES_IN=2h",
        )

        def acao() -> str | None:
            return https.request("GET", f"{edge.platform_url}/health", headers={"Origin": origin}).headers.get(
                "Access-Control-Allow-Origin"
            )

        assert eventually(acao, 10, "CORS from the ConfigMap") == origin
    finally:
        kubectl("delete", "configmap", "sme-platform-config", "-n", NAMESPACE, "--ignore-not-found")
        if created_ns:
            drop_namespace(kubectl)
    assert eventually(lambda: acao() is None, 10, "CORS back to defaults") is True


def load_balancer(kubectl: Callable[..., str], namespace: str, name: str) -> tuple[list[dict[str, Any]], str]:
    """status.loadBalancer.ingress and resourceVersion of an Ingress."""
    obj = json.loads(kubectl("get", "ingress", name, "-n", namespace, "-o", "json"))
    return (obj.get("status") or {}).get("loadBalancer", {}).get("ingress") or [], obj["metadata"]["resourceVersion"]


def test_lab_platform_publishes_the_load_balancer_address_of_nginx_ingresses(kubectl: Callable[..., str]) -> None:
    namespace = f"edge-ingress-{uuid.uuid4().hex[:8]}"
    kubectl("create", "namespace", namespace)
    try:
        for name, klass in (("ours", "nginx"), ("foreign", "other")):
            kubectl(
                "create", "ingress", name, "-n", namespace, f"--class={klass}",
                f"--rule={name}.{DOMAIN}/*=svc:80",
            )  # fmt: skip
        addresses = eventually(
            lambda: load_balancer(kubectl, namespace, "ours")[0], 15, "a load balancer address on the nginx Ingress"
        )
        assert addresses == [{"ip": "127.0.0.1"}]
        _unused, version = load_balancer(kubectl, namespace, "ours")
        time.sleep(5)  # two passes of the stand-in's ingress controller (every 2 s)
        # Idempotent: an Ingress that already shows the address is not written again.
        assert load_balancer(kubectl, namespace, "ours") == (addresses, version)
        # Ingresses of another class are another controller's business.
        assert load_balancer(kubectl, namespace, "foreign")[0] == []
    finally:
        kubectl("delete", "namespace", namespace, "--ignore-not-found", "--wait=false")


def test_edge_logs_hold_no_secret_value(edge: Edge) -> None:
    logs = edge.secrets.parent / "logs"
    text = "\n".join(p.read_text(errors="replace") for p in logs.glob("*.log"))
    assert text, f"no edge lab logs under {logs}"
    for path in edge.secrets.iterdir():
        if path.suffix == ".pem":
            continue
        value = path.read_text().strip()
        assert value not in text, f"the value of {path.name} appears in the edge lab logs"
