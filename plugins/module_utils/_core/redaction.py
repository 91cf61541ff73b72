# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction every output passes through: a secret never leaves in any form."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any

MASK = "********"
MIN_SECRET_LENGTH = 6  # shorter values are words, not secrets, and masking them would garble reports
# Variables whose names match are treated as secret wherever their values turn up.
# A Secret's name is not a secret: "secrets", "secret_name", secretRef and secretKeyRef name one.
SECRET_NAME_PATTERN = (
    r"(?i)(password|passwd|secret(?!s|_?name|_?ref|_?key_?ref)|token|api_?key|private_?key|credential|_auth)"  # noqa: S105
)


def forms(secret: str) -> set[str]:
    """The value and the encodings it is commonly shown in."""
    raw = secret.encode("utf-8")
    found = {
        secret,
        base64.b64encode(raw).decode("ascii"),
        base64.urlsafe_b64encode(raw).decode("ascii"),
        base64.b64encode(raw).decode("ascii").rstrip("="),
        binascii.hexlify(raw).decode("ascii"),
        binascii.hexlify(raw).decode("ascii").upper(),
    }
    return {f for f in found if len(f) >= MIN_SECRET_LENGTH}


class Redactor:
    """Replaces known secret values (and their encodings) by a mask."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._forms: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: Any) -> None:
        if not isinstance(secret, str) or len(secret) < MIN_SECRET_LENGTH:
            return
        new = forms(secret) - set(self._forms)
        # longest first, so a value is masked before a shorter part of it
        self._forms = sorted(set(self._forms) | new, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, MASK)
        return value

    def data(self, value: Any) -> Any:
        """Redact every string inside nested data, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.data(k): self.data(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.data(v) for v in value]
        return value


def secret_strings(data: Any, name_pattern: str = SECRET_NAME_PATTERN, secret: bool = False) -> list[str]:
    """String values found under keys whose names look secret, at any depth."""
    pattern = re.compile(name_pattern)
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(secret_strings(value, name_pattern, secret or bool(pattern.search(str(key)))))
    elif isinstance(data, (list, tuple)):
        for value in data:
            found.extend(secret_strings(value, name_pattern, secret))
    elif secret and isinstance(data, str) and "{{" not in data and "{%" not in data:
        found.append(str(data))
    return found
