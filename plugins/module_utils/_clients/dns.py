# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""DNS look-ups through a chosen resolver (dnspython), and host name to address for clients."""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

try:
    import dns.exception
    import dns.resolver

    HAS_DNSPYTHON = True
    DNSPYTHON_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_DNSPYTHON = False
    DNSPYTHON_IMPORT_ERROR = exc


class DnsFailure(ConnectionFailure):
    """The resolver did not answer (timeout, refused, SERVFAIL)."""


@dataclass
class Answer:
    """What a name resolved to; `error` names NXDOMAIN / NOANSWER when there is no address."""

    name: str
    rdtype: str
    addresses: list[str] = field(default_factory=list)
    error: str = ""
    server: str = ""


def parse_server(server: str) -> tuple[str, int] | None:
    """'host:port', 'host' or '[v6]:port' to (address, port); None for '' (the system resolver)."""
    server = (server or "").strip()
    if not server:
        return None
    if server.startswith("["):
        host, _unused, rest = server[1:].partition("]")
        port = rest.lstrip(":") or "53"
    elif server.count(":") == 1:
        host, _unused, port = server.partition(":")
    else:
        host, port = server, "53"
    try:
        ipaddress.ip_address(host)
        number = int(port)
    except ValueError as exc:
        raise ConfigurationError(f"resolver must be an IP address with an optional port, got {server!r}") from exc
    if not 0 < number < 65536:
        raise ConfigurationError(f"resolver port out of range in {server!r}")
    return host, number


def make_resolver(server: str = "", timeout: float = 3.0) -> dns.resolver.Resolver:
    """A resolver asking `server` ('host:port'), or the system's (/etc/resolv.conf) when empty."""
    if not HAS_DNSPYTHON:
        raise ConfigurationError(f"the dnspython library is required: {DNSPYTHON_IMPORT_ERROR}")
    target = parse_server(server)
    if target is None:
        resolver = dns.resolver.Resolver(configure=True)
    else:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [target[0]]
        resolver.port = target[1]
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.cache = None
    return resolver


def lookup(name: str, rdtype: str = "A", server: str = "", timeout: float = 3.0) -> Answer:
    """Resolve `name`; an Answer with `error` set for NXDOMAIN or no records, DnsFailure when no answer."""
    resolver = make_resolver(server, timeout)
    where = server or "the system resolver"
    try:
        result = resolver.resolve(name, rdtype, search=False, raise_on_no_answer=True)
    except dns.resolver.NXDOMAIN:
        return Answer(name, rdtype, error="NXDOMAIN", server=where)
    except dns.resolver.NoAnswer:
        return Answer(name, rdtype, error=f"no {rdtype} record", server=where)
    except dns.resolver.NoNameservers as exc:
        raise DnsFailure(f"{where} failed to resolve {name}: {exc}") from exc
    except dns.exception.Timeout as exc:
        raise DnsFailure(f"{where} did not answer for {name} within {timeout:g} s") from exc
    except dns.exception.DNSException as exc:
        raise DnsFailure(f"{where}: {name}: {exc}") from exc
    return Answer(name, rdtype, sorted(r.to_text() for r in result), server=where)


class AddressResolver:
    """Host name to the address to connect to, for HTTP/TLS/SMTP clients.

    Order: a static override (like curl --resolve), then the given DNS server,
    then None (the system resolves it when the socket connects). IP literals pass through.
    Results are cached for the life of the object; safe to share between threads.
    """

    def __init__(self, server: str = "", overrides: dict[str, str] | None = None, timeout: float = 3.0) -> None:
        self.server = server or ""
        self.overrides = {k.lower().rstrip("."): v for k, v in (overrides or {}).items()}
        self.timeout = timeout
        parse_server(self.server)  # bad input fails here, before any check runs
        self._cache: dict[str, str | None] = {}
        self._lock = threading.Lock()

    def __call__(self, host: str) -> str | None:
        key = host.lower().rstrip(".")
        try:
            ipaddress.ip_address(key)
            return key
        except ValueError:
            pass
        if key in self.overrides:
            return self.overrides[key]
        if not self.server:
            return None
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        answer = lookup(key, "A", self.server, self.timeout)
        if answer.error:
            raise DnsFailure(f"{key}: {answer.error} at {answer.server}")
        address = answer.addresses[0]
        with self._lock:
            self._cache[key] = address
        return address
