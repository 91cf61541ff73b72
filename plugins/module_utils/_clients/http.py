# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small HTTP(S) client on the standard library, for checks made from the controller.

Why not ``requests``: the checks must reach a host name through a resolver of
their choosing (the environment's DNS server, or an ingress address before DNS
is switched over) while TLS still verifies the certificate against that host
name, which ``http.client`` allows by connecting the socket ourselves.

A :class:`HttpSession` keeps one keep-alive connection per origin; it is not
thread-safe: give each thread its own session.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.tls import tls_context
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

# Looks a host name up: the address to connect to, or None to let the system resolve it.
AddressLookup = Callable[[str], "str | None"]

USER_AGENT = "smeplatform.deploy"


class HttpFailure(ConnectionFailure):
    """No HTTP answer: refused, timed out, TLS handshake failed, connection dropped."""


@dataclass
class Response:
    """A complete HTTP response; header names lower-cased, repeated headers joined with ', '."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float
    url: str
    method: str = "GET"
    reason: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON."""
        return json.loads(self.body.decode("utf-8") or "null")

    def text(self, limit: int = 200) -> str:
        """The start of the body, for messages."""
        return self.body[:limit].decode("utf-8", "replace").strip()


def basic_auth(username: str, password: str) -> str:
    """Value of an Authorization header for HTTP basic authentication."""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str | None, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address or self.host, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _HTTPSConnection(http.client.HTTPSConnection):
    """Connects to `address` but speaks TLS (SNI, certificate check) for `host`."""

    def __init__(self, host: str, port: int, address: str | None, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address or self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"not an absolute http(s) URL: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def join_url(base: str, path: str) -> str:
    """base URL + absolute path, without doubling the slash."""
    if path.startswith(("http://", "https://")):
        return path
    return base.rstrip("/") + "/" + path.lstrip("/")


@dataclass
class HttpSession:
    """Keep-alive connections per origin, a default timeout and default headers."""

    ca_bundle: str | None = None
    timeout: float = 10.0
    lookup: AddressLookup | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    verify: bool = True

    def __post_init__(self) -> None:
        self._context = tls_context(self.ca_bundle, self.verify)
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def _connection(self, scheme: str, host: str, port: int, timeout: float) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is None:
            try:
                address = self.lookup(host) if self.lookup else None
            except ConnectionFailure as exc:
                raise HttpFailure(f"cannot resolve {host}: {exc}") from exc
            if scheme == "https":
                conn = _HTTPSConnection(host, port, address, timeout, self._context)
            else:
                conn = _HTTPConnection(host, port, address, timeout)
            self._connections[key] = conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        return conn

    def _drop(self, scheme: str, host: str, port: int) -> None:
        conn = self._connections.pop((scheme, host, port), None)
        if conn is not None:
            conn.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request and read the whole answer; HttpFailure when there is none."""
        scheme, host, port, path = split_url(url)
        send_headers = {"User-Agent": USER_AGENT, "Accept": "application/json, text/html;q=0.9, */*;q=0.5"}
        send_headers.update(self.headers)
        send_headers.update(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            send_headers.setdefault("Content-Type", "application/json")
        wait = self.timeout if timeout is None else timeout
        for attempt in (1, 2):
            conn = self._connection(scheme, host, port, wait)
            reused = conn.sock is not None
            started = time.monotonic()
            try:
                conn.request(method, path, body=body, headers=send_headers)
                raw = conn.getresponse()
                data = raw.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(scheme, host, port)
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: one fresh try
                raise HttpFailure(f"{method} {url}: connection closed by the server ({exc})") from exc
            except ssl.SSLCertVerificationError as exc:
                self._drop(scheme, host, port)
                raise HttpFailure(f"{method} {url}: TLS certificate not trusted: {exc.verify_message}") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop(scheme, host, port)
                what = "timed out" if isinstance(exc, TimeoutError | socket.timeout) else str(exc) or type(exc).__name__
                raise HttpFailure(f"{method} {url}: {what}") from exc
            elapsed = time.monotonic() - started
            merged: dict[str, str] = {}
            for name, value in raw.getheaders():
                key = name.lower()
                merged[key] = f"{merged[key]}, {value}" if key in merged else value
            if raw.will_close:
                self._drop(scheme, host, port)
            return Response(raw.status, merged, data, elapsed, url, method, raw.reason)
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        for conn in self._connections.values():
            conn.close()
        self._connections.clear()

    def __enter__(self) -> HttpSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def client_args() -> dict[str, dict[str, Any]]:
    """The options of a module whose checks use this client (doc fragments ca_bundle, resolver and timeout), fresh
    for an option table."""
    return {
        "ca_bundle": {"type": "path"},
        "dns_resolver": {"type": "str", "default": ""},
        "timeout": {"type": "float", "default": 10.0},
    }


class ApiClient:
    """An HTTP API reached with one credential (token or key), each call in a session of its own."""

    def __init__(self, url: str, key: str, session: Callable[[], HttpSession], no_key: str) -> None:
        """``no_key``: the ConfigurationError's message when ``key`` is empty (what to create)."""
        split_url(url)  # a ConfigurationError for anything but an absolute http(s) URL
        if not key:
            raise ConfigurationError(no_key)
        self.url = url.rstrip("/")
        self._key = key
        self._session = session

    def _call(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        refused: str = "",
        advice: str = "",
        json_body: Any = None,
    ) -> tuple[Response, Any]:
        """The response and its JSON body (None when it is not JSON). With ``refused`` (who refused what on which
        request), a 401 or 403 is a ConnectionFailure saying so, with the status and the ``advice``."""
        with self._session() as session:
            response = session.request(method, url, headers=headers, json_body=json_body)
        if refused and response.status in (401, 403):
            raise ConnectionFailure(f"{refused}: HTTP {response.status}" + (f"; {advice}" if advice else ""))
        try:
            return response, response.json()
        except ValueError:
            return response, None


def json_field(r: Response, key: str) -> Any:
    """The value of ``key`` in a JSON object body; None when the body is not one."""
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get(key) if isinstance(body, dict) else None
