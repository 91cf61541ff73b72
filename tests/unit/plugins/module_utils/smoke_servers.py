"""Throw-away PKI and HTTPS / DNS servers on 127.0.0.1 for the unit tests of the smoke checks' clients."""

from __future__ import annotations

import contextlib
import datetime
import http.server
import json
import socket
import socketserver
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

UTC = datetime.UTC


@dataclass
class Pki:
    ca: Path
    cert: Path
    key: Path
    expired_cert: Path
    expired_key: Path


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def make_pki(directory: Path, names: tuple[str, ...] = ("unit.test", "api.unit.test")) -> Pki:
    """A CA, a leaf for `names` (and 127.0.0.1) valid 90 days, and an expired leaf for old.unit.test."""
    now = datetime.datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Unit CA"))
        .issuer_name(_name("Unit CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=3650))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )  # keyCertSign, cRLSign
        .sign(ca_key, hashes.SHA256())
    )

    def leaf(cn: str, sans: list[x509.GeneralName], start: datetime.datetime, end: datetime.datetime):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        return cert, key

    import ipaddress

    good, good_key = leaf(
        names[0],
        [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
        now - datetime.timedelta(days=1),
        now + datetime.timedelta(days=90),
    )
    old, old_key = leaf(
        "old.unit.test",
        [x509.DNSName("old.unit.test")],
        now - datetime.timedelta(days=400),
        now - datetime.timedelta(days=35),
    )
    pki = Pki(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
        directory / "old.pem",
        directory / "old.key",
    )
    pki.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert.write_bytes(good.public_bytes(serialization.Encoding.PEM))
    pki.expired_cert.write_bytes(old.public_bytes(serialization.Encoding.PEM))
    _write_key(good_key, pki.key)
    _write_key(old_key, pki.expired_key)
    return pki


class _TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler: type, ctx: ssl.SSLContext) -> None:
        self.tls = ctx
        self.connections = 0
        super().__init__(("127.0.0.1", 0), handler)

    def finish_request(self, request: socket.socket, client_address: Any) -> None:
        self.connections += 1
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                conn.close()


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """Routes are set per test: {(method, path): (status, headers, body)} or a callable."""

    protocol_version = "HTTP/1.1"
    routes: dict[tuple[str, str], Any] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(length) if length else b""
        route = self.routes.get((self.command, self.path.split("?")[0]))
        if route is None:
            status, headers, body = 404, {}, {"message": "not found"}
        elif callable(route):
            status, headers, body = route(self, body_in)
        else:
            status, headers, body = route
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Length", str(len(raw)))
            if "Content-Type" not in headers:
                self.send_header("Content-Type", "application/json")
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(raw)

    do_GET = do_POST = do_DELETE = do_OPTIONS = do_HEAD = _answer


@contextlib.contextmanager
def https_server(pki: Pki, routes: dict[tuple[str, str], Any]) -> Iterator[_TLSServer]:
    """HTTPS on 127.0.0.1 with the good certificate; SNI old.unit.test gets the expired one."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert, pki.key)
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    old.load_cert_chain(pki.expired_cert, pki.expired_key)

    def pick(sslobj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        if name == "old.unit.test":
            sslobj.context = old

    ctx.sni_callback = pick
    handler = type("Handler", (JsonHandler,), {"routes": routes})
    server = _TLSServer(handler, ctx)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def dns_server(records: dict[str, list[str]]) -> Iterator[int]:
    """A UDP DNS server on 127.0.0.1 answering A queries from `records`; NXDOMAIN for other names."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            query = dns.message.from_wire(data)
            reply = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            if name not in records:
                reply.set_rcode(dns.rcode.NXDOMAIN)
            elif question.rdtype == dns.rdatatype.A and records[name]:
                reply.answer.append(dns.rrset.from_text(question.name, 60, "IN", "A", *records[name]))
            sock.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(1)
        sock.close()
