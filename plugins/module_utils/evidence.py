# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence entry: what a check measured for one checklist item.

Every module that proves a checklist item returns a list of these under the
result key ``evidence``; the evidence_report callback collects them by id.
"""

from __future__ import annotations

import re
from typing import Any

STATUSES = ("passed", "failed", "skipped", "manual")
RESULT_KEY = "evidence"
_ID_RE = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")
_FIELDS = ("id", "status", "measured", "threshold", "detail", "where", "duration")


class EvidenceError(ValueError):
    """An evidence entry is malformed."""


def entry(
    item_id: str,
    status: str,
    measured: Any = None,
    threshold: Any = None,
    detail: str = "",
    where: str = "",
    duration: float | None = None,
) -> dict[str, Any]:
    """Build one evidence entry, validated."""
    return validate(
        {
            "id": item_id,
            "status": status,
            "measured": measured,
            "threshold": threshold,
            "detail": detail,
            "where": where,
            "duration": duration,
        }
    )


def passed_if(item_id: str, ok: bool, **kwargs: Any) -> dict[str, Any]:
    """An entry that passed when ``ok`` is true and failed otherwise."""
    return entry(item_id, "passed" if ok else "failed", **kwargs)


def validate(raw: Any) -> dict[str, Any]:
    """Normalise an entry; raise EvidenceError naming what is wrong."""
    if not isinstance(raw, dict):
        raise EvidenceError(f"an evidence entry must be a mapping, got {type(raw).__name__}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not _ID_RE.match(item_id):
        raise EvidenceError(f"evidence entry has an invalid checklist id: {item_id!r}")
    status = raw.get("status")
    if status not in STATUSES:
        raise EvidenceError(f"evidence entry {item_id}: status {status!r} is not one of {', '.join(STATUSES)}")
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        raise EvidenceError(f"evidence entry {item_id}: unknown field(s) {', '.join(unknown)}")
    duration = raw.get("duration")
    if duration is not None:
        try:
            duration = round(float(duration), 3)
        except (TypeError, ValueError) as exc:
            raise EvidenceError(f"evidence entry {item_id}: duration must be a number") from exc
    return {
        "id": item_id,
        "status": status,
        "measured": raw.get("measured"),
        "threshold": raw.get("threshold"),
        "detail": str(raw.get("detail") or ""),
        "where": str(raw.get("where") or ""),
        "duration": duration,
    }


def worst(statuses: list[str]) -> str:
    """The status that stands for several entries of one item: any failure wins."""
    for status in ("failed", "passed", "manual", "skipped"):
        if status in statuses:
            return status
    return "skipped"
