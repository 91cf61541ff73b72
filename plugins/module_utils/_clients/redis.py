# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Redis client of the collection: RESP 2 over a socket (plain or TLS), enough to log in and ask.

The collection only asks a Redis a few questions (AUTH, PING, INFO), so it speaks the protocol itself rather than
adding a Python package to the execution environment. Every failure names the server by its address and never
carries the password.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

DEFAULT_PORT = 6379
_MAX_LINE = 64 * 1024


class RedisError(ConnectionFailure):
    """The server answered a command with an error reply (-ERR, -WRONGPASS, -NOAUTH ...)."""

    def __init__(self, address: str, command: str, reply: str):
        self.reply = reply
        super().__init__(f"Redis at {address} refused {command}: {reply}")


@dataclass(frozen=True)
class RedisTarget:
    """Where and as whom to connect. ``password`` never appears in a message or in ``url``."""

    host: str
    port: int = DEFAULT_PORT
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The connection URL without its password (for evidence)."""
        scheme = "rediss" if self.tls else "redis"
        who = f"{self.username}@" if self.username else ""
        return f"{scheme}://{who}{self.address}/{self.db}"


def parse_url(url: str, password: str | None = None) -> RedisTarget:
    """A redis:// or rediss:// URL (redis://[[user]:password@]host[:port][/db]); ``password`` when the URL has none."""
    try:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORT
    except ValueError as exc:
        raise ConfigurationError(f"Redis URL {_without_password(url)!r} is not valid: {exc}") from None
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigurationError(f"Redis URL {_without_password(url)!r} is not redis://host[:port][/db]")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ConfigurationError(f"Redis URL {_without_password(url)!r}: database {path!r} is not a number")
    return RedisTarget(
        host=parts.hostname,
        port=port,
        db=int(path or 0),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else password,
        tls=parts.scheme == "rediss",
    )


def _without_password(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, sep, _credentials = head.partition("://")
    return f"{scheme}{sep}***@{tail}"


def encode(*args: str | int) -> bytes:
    """A command as a RESP array of bulk strings."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = str(arg).encode("utf-8")
        out.append(f"${len(raw)}\r\n".encode() + raw + b"\r\n")
    return b"".join(out)


class Reader:
    """Reads RESP 2 replies from a socket's file object."""

    def __init__(self, stream: Any):
        self.stream = stream

    def _line(self) -> bytes:
        line = self.stream.readline(_MAX_LINE)
        if not line:
            raise EOFError("the server closed the connection")
        if not line.endswith(b"\r\n"):
            raise ValueError("reply line without CRLF")
        return line[:-2]

    def reply(self) -> Any:
        """The next reply: str (simple), bytes (bulk), int, list, None; an error reply comes back as ``Exception``."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            return Exception(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.stream.read(size + 2)
            if len(data) != size + 2:
                raise EOFError("the server closed the connection in a reply")
            return data[:-2]
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.reply() for _index in range(count)]
        raise ValueError(f"not a RESP reply: {line[:40]!r}")


def parse_info(text: str) -> dict[str, str]:
    """INFO's ``key:value`` lines as a dict (section headers and blank lines dropped)."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, _sep, value = line.partition(":")
            found[key.strip()] = value.strip()
    return found


class RedisConnection:
    """One connection: ``command`` sends and reads one reply; error replies raise :class:`RedisError`."""

    def __init__(self, target: RedisTarget, timeout: float = 10.0, ssl_context: ssl.SSLContext | None = None):
        self.target = target
        try:
            sock = socket.create_connection((target.host, target.port), timeout=timeout)
        except OSError as exc:
            raise ConnectionFailure(f"cannot connect to Redis at {target.address}: {_reason(exc)}") from None
        try:
            if target.tls:
                sock = (ssl_context or ssl.create_default_context()).wrap_socket(sock, server_hostname=target.host)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            raise ConnectionFailure(f"TLS with Redis at {target.address} failed: {_reason(exc)}") from None
        self.sock = sock
        self.reader = Reader(sock.makefile("rb"))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def __enter__(self) -> RedisConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def command(self, *args: str | int, shown: str | None = None) -> Any:
        """Send one command; ``shown`` is how it is named in errors (AUTH's arguments never are)."""
        name = shown or str(args[0]).upper()
        try:
            self.sock.sendall(encode(*args))
            reply = self.reader.reply()
        except (OSError, EOFError, ValueError) as exc:
            raise ConnectionFailure(f"Redis at {self.target.address} did not answer {name}: {_reason(exc)}") from None
        if isinstance(reply, Exception):
            raise RedisError(self.target.address, name, str(reply))
        return reply

    def login(self) -> None:
        """AUTH with the target's credentials (nothing to do without a password), then SELECT its database."""
        if self.target.password is not None:
            args = ["AUTH"] + ([self.target.username] if self.target.username else []) + [self.target.password]
            self.command(*args, shown="AUTH")
        if self.target.db:
            self.command("SELECT", self.target.db)

    def info(self, section: str = "") -> dict[str, str]:
        raw = self.command(*(["INFO", section] if section else ["INFO"]))
        return parse_info(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
