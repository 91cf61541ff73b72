# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a batch of checks and the small parsers the checks share."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry

Entries = list[dict[str, Any]]


@dataclass(frozen=True)
class Check:
    """One check: the checklist ids it proves and the function that measures them."""

    ids: tuple[str, ...]
    run: Callable[[], Entries]
    where: str = ""


def run_checks(checks: Iterable[Check], max_workers: int = 6) -> Entries:
    """Run checks concurrently; a server that cannot be reached fails the items of that check only.

    Bad input (ConfigurationError) is not a measurement: it propagates and fails the module.
    Entries come back in the order of the checks, whatever order they finished in.
    """
    checks = list(checks)

    def one(check: Check) -> Entries:
        started = time.monotonic()
        try:
            found = check.run()
        except ConfigurationError:
            raise
        except (ConnectionFailure, ApiError) as exc:
            found = [entry(i, "failed", detail=str(exc), where=check.where) for i in check.ids]
        elapsed = time.monotonic() - started
        for item in found:
            if item.get("duration") is None:
                item["duration"] = round(elapsed, 3)
        return found

    if not checks:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(checks)))) as pool:
        results = list(pool.map(one, checks))
    return [e for found in results for e in found]


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


def age_seconds(moment: datetime | None, now: datetime | None = None) -> float | None:
    """Seconds since ``moment`` (timezone-aware or UTC), None when there is no moment."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return ((now or datetime.now(UTC)) - moment).total_seconds()


def release_installed(kube: Any, namespace: str, release: str) -> bool:
    """A revision of the Helm release is deployed in the namespace (read from helm's own release Secrets)."""
    found = kube.call(
        f"list Helm releases in {namespace}",
        kube.core.list_namespaced_secret,
        namespace,
        label_selector=f"owner=helm,name={release}",
    )
    return any((s.metadata.labels or {}).get("status") == "deployed" for s in found.items)


def not_installed(ids: Iterable[str], release: str, namespace: str, where: str) -> Entries:
    """Items about a release's own objects, before its first install: skipped, to be checked after the deploy."""
    return [
        entry(
            item_id,
            "skipped",
            measured="no release",
            detail=f"release {release} is not installed in {namespace} yet: checked after the deploy",
            where=where,
        )
        for item_id in ids
    ]
