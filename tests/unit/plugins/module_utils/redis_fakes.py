"""A Redis stand-in speaking RESP 2 on a loopback socket: AUTH, PING, SELECT, INFO, as a real server answers them."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.redis import Reader


class FakeRedis:
    """requirepass ``password`` (None: no password); ``role`` and ``version`` as INFO reports them."""

    def __init__(self, password: str | None, role: str = "master", version: str = "7.0.15"):
        self.password, self.role, self.version = password, role, version
        self.commands: list[str] = []

    def answer(self, args: list[bytes], state: dict) -> bytes:
        name = args[0].decode().upper()
        self.commands.append(name)
        if name == "AUTH":
            given = args[-1].decode()
            if self.password is None:
                return b"-ERR AUTH <password> called without any password configured for the default user.\r\n"
            if given != self.password:
                return b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
            state["auth"] = True
            return b"+OK\r\n"
        if self.password is not None and not state.get("auth"):
            return b"-NOAUTH Authentication required.\r\n"
        if name == "PING":
            return b"+PONG\r\n"
        if name == "SELECT":
            return b"+OK\r\n"
        if name == "INFO":
            section = args[1].decode().lower() if len(args) > 1 else ""
            lines = {
                "server": f"# Server\r\nredis_version:{self.version}\r\nredis_mode:standalone\r\n",
                "replication": f"# Replication\r\nrole:{self.role}\r\nconnected_slaves:0\r\n",
                "memory": "# Memory\r\nmaxmemory:67108864\r\nmaxmemory_policy:allkeys-lru\r\n",
            }[section]
            raw = lines.encode()
            return b"$%d\r\n%s\r\n" % (len(raw), raw)
        return b"-ERR unknown command\r\n"

    @contextmanager
    def serving(self) -> Iterator[int]:
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                reader, state = Reader(self.rfile), {}
                while True:
                    try:
                        args = reader.reply()
                    except (EOFError, ValueError, OSError):
                        return
                    self.wfile.write(fake.answer(args, state))

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
