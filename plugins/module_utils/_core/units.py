# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Units the checks measure in: storage quantities, durations, versions, ages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

_QUANTITY_RE = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_QUANTITY_UNITS = {
    "": 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
}


def parse_quantity(value: str | int | None) -> int:
    """Bytes of a Kubernetes storage quantity such as ``30Gi`` or ``32G``."""
    if value is None or value == "":
        raise ConfigurationError("empty storage quantity")
    match = _QUANTITY_RE.match(str(value).strip())
    if not match or match.group(2) not in _QUANTITY_UNITS:
        raise ConfigurationError(f"not a storage quantity: {value!r} (use e.g. 30Gi)")
    return int(float(match.group(1)) * _QUANTITY_UNITS[match.group(2)])


_DURATION_RE = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_duration(value: str) -> float:
    """Seconds of a Prometheus duration such as ``30d``, ``1y`` or ``720h30m``."""
    text = str(value).strip()
    parts = _DURATION_RE.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ConfigurationError(f"not a duration: {value!r} (use e.g. 30d, 720h)")
    return sum(int(n) * _DURATION_SECONDS[u] for n, u in parts)


def human_duration(seconds: float) -> str:
    """``93784`` -> ``1d2h3m4s``: short, for evidence."""
    seconds = int(round(seconds))
    if seconds <= 0:
        return "0s"
    out = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)


def version_tuple(text: str) -> tuple[int, ...]:
    """``v1.28.3-eks-1`` -> ``(1, 28, 3)``; ``15.18 (Debian)`` -> ``(15, 18)``."""
    match = re.search(r"(\d+(?:\.\d+)*)", str(text))
    if not match:
        raise ConfigurationError(f"not a version: {text!r}")
    return tuple(int(p) for p in match.group(1).split("."))


def parse_time(value: Any) -> datetime | None:
    """An API or report timestamp ('2026-01-01T02:00:00Z', ISO 8601, or a datetime) as an aware datetime (UTC when
    it names no zone); None when it is missing or not a time."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def age_seconds(moment: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds since ``moment`` (timezone-aware or UTC), None when there is no moment."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - moment).total_seconds()
