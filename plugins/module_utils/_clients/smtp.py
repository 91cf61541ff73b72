# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMTP to the address a chosen resolver gives, while STARTTLS verifies the relay's own name."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from typing import Any


class PinnedSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` whose socket goes to ``address_for(name)`` (or the name itself when it has no answer).

    The name given to ``connect`` stays the one STARTTLS sends (SNI) and checks the certificate against.
    """

    def __init__(self, address_for: Callable[[str], str | None] | None, **kwargs: Any) -> None:
        self._address_for = address_for
        super().__init__(**kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self._host = host
        address = self._address_for(host) if self._address_for else None
        return socket.create_connection((address or host, port), timeout, self.source_address)
