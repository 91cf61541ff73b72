"""The SMTP client: the socket goes to the pinned address, STARTTLS keeps the relay's own name."""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.smtp import PinnedSMTP


class _Relay(socketserver.StreamRequestHandler):
    def handle(self):
        self.wfile.write(b"220 relay.unit.test ESMTP\r\n")
        for line in self.rfile:
            verb = line.split(b" ", 1)[0].strip().upper()
            if verb in (b"EHLO", b"HELO"):
                self.wfile.write(b"250-relay.unit.test\r\n250 AUTH PLAIN\r\n")
            elif verb == b"QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"502 not here\r\n")


@pytest.fixture
def relay():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Relay)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_connects_to_the_pinned_address_and_keeps_the_name(relay):
    asked = []

    def address_for(name):
        asked.append(name)
        return "127.0.0.1"

    with PinnedSMTP(address_for, timeout=5) as smtp:
        code, _unused = smtp.connect("relay.unit.invalid", relay)
        assert code == 220
        assert smtp.ehlo("unit.test")[0] == 250
        assert smtp._host == "relay.unit.invalid"  # the name STARTTLS would verify
    assert asked == ["relay.unit.invalid"]


def test_without_an_answer_the_name_itself_is_used(relay):
    with PinnedSMTP(lambda _name: None, host="127.0.0.1", port=relay, timeout=5) as smtp:
        assert smtp.noop()[0] == 502  # connected: the relay answered


def test_an_unreachable_address_fails_with_os_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        PinnedSMTP(lambda _name: "127.0.0.1", host="relay.unit.invalid", port=port, timeout=2)
