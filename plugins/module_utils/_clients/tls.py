# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a TLS server presents: chain validity, host name match and days to expiry."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

try:
    from cryptography import x509
    from cryptography.x509.oid import ExtensionOID, NameOID

    HAS_CRYPTOGRAPHY = True
except ImportError:  # pragma: no cover - ansible-core itself requires cryptography
    HAS_CRYPTOGRAPHY = False


class TlsFailure(ConnectionFailure):
    """No TLS handshake at all: refused, timed out, not TLS."""


@dataclass
class Certificate:
    """The leaf certificate a server presented, and how it verified."""

    host: str
    port: int
    server_name: str
    chain_valid: bool
    verify_error: str
    hostname_matches: bool
    days_left: float
    not_after: str
    subject: str = ""
    issuer: str = ""
    names: list[str] = field(default_factory=list)
    protocol: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def tls_context(ca_bundle: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """Client TLS context: the given CA bundle (PEM file) or the system trust store."""
    if not verify:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    try:
        return ssl.create_default_context(cafile=ca_bundle or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"cannot load the CA bundle {ca_bundle}: {exc}") from exc


def hostname_matches(name: str, dns_names: list[str], ip_addresses: list[str]) -> bool:
    """RFC 6125 matching: exact, or a left-most label wildcard (*.example.com) covering one label."""
    name = name.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        ip = None
    if ip is not None:
        return any(ip == ipaddress.ip_address(a) for a in ip_addresses)
    for pattern in dns_names:
        pattern = pattern.lower().rstrip(".")
        if pattern == name:
            return True
        if pattern.startswith("*.") and "." in name:
            head, _unused, rest = name.partition(".")
            if head and rest == pattern[2:]:
                return True
    return False


def days_between(not_after: datetime.datetime, now: datetime.datetime) -> float:
    return round((not_after - now).total_seconds() / 86400.0, 1)


def _describe(der: bytes) -> dict[str, Any]:
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        dns_names = san.get_values_for_type(x509.DNSName)
        ips = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        dns_names, ips = [str(cns[0].value)] if cns else [], []
    return {
        "not_after": cert.not_valid_after_utc,
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "dns_names": list(dns_names),
        "ips": ips,
    }


def _handshake(
    address: str, port: int, server_name: str, ctx: ssl.SSLContext, timeout: float
) -> tuple[bytes | None, str]:
    with (
        socket.create_connection((address, port), timeout) as sock,
        ctx.wrap_socket(sock, server_hostname=server_name) as tls,
    ):
        return tls.getpeercert(binary_form=True), tls.version() or ""


def inspect(
    host: str,
    port: int = 443,
    server_name: str | None = None,
    ca_bundle: str | None = None,
    timeout: float = 10.0,
    address: str | None = None,
    now: datetime.datetime | None = None,
) -> Certificate:
    """Handshake with `host` (at `address` when given), verify against `ca_bundle` (system store when None).

    A verified handshake proves the chain and the name; when it fails, a second
    handshake without verification reads the certificate, so that an expired or
    mismatched certificate is still measured (days left, names) and reported.
    """
    if not HAS_CRYPTOGRAPHY:  # pragma: no cover
        raise TlsFailure("the cryptography library is required to read certificates")
    name = server_name or host
    target = address or host
    verifying = tls_context(ca_bundle)
    verifying.check_hostname = False  # the name is matched below, so that both results are reported
    verify_error = ""
    try:
        der, protocol = _handshake(target, port, name, verifying, timeout)
    except ssl.SSLCertVerificationError as exc:
        verify_error = exc.verify_message or str(exc)
        der = None
    except (OSError, ssl.SSLError) as exc:
        raise TlsFailure(f"TLS handshake with {name} at {target}:{port} failed: {exc}") from exc
    if der is None:
        try:
            der, protocol = _handshake(target, port, name, tls_context(verify=False), timeout)
        except (OSError, ssl.SSLError) as exc:
            raise TlsFailure(f"TLS handshake with {name} at {target}:{port} failed: {exc}") from exc
    if der is None:  # pragma: no cover - a server always presents a certificate in TLS 1.2/1.3
        raise TlsFailure(f"{name} at {target}:{port} presented no certificate")
    info = _describe(der)
    now = now or datetime.datetime.now(datetime.UTC)
    return Certificate(
        host=host,
        port=port,
        server_name=name,
        chain_valid=not verify_error,
        verify_error=verify_error,
        hostname_matches=hostname_matches(name, info["dns_names"], info["ips"]),
        days_left=days_between(info["not_after"], now),
        not_after=info["not_after"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        subject=info["subject"],
        issuer=info["issuer"],
        names=info["dns_names"] + info["ips"],
        protocol=protocol,
    )
