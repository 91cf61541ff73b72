# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence entry: what a check measured for one checklist item.

Every module that proves a checklist item returns a list of these under the
result key ``evidence``; the evidence_report callback collects them by id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import SmeplatformError

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


def passed_unless(
    item_id: str, problems: Sequence[str], passed_detail: str | Callable[[], str], **kwargs: Any
) -> dict[str, Any]:
    """An entry that passed when no problem was found: its detail is then ``passed_detail`` (called only then when
    it is a function, as it may read what only a clean run measured), else the problems joined."""
    if problems:
        return entry(item_id, "failed", detail="; ".join(problems), **kwargs)
    return entry(item_id, "passed", detail=passed_detail() if callable(passed_detail) else passed_detail, **kwargs)


def missing_problems(whole: Sequence[Any], missing: Sequence[str], when_empty: str, missing_label: str) -> list[str]:
    """The problems of a set that must be non-empty with no member missing something: ``when_empty`` when it is
    empty, else ``missing_label`` naming the members that miss it, else none."""
    if not whole:
        return [when_empty]
    return [f"{missing_label}: {', '.join(missing)}"] if missing else []


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
    """The status that stands for several entries of one item: any failure wins, then any skipped part.

    An item is passed only when every part of it that was checked passed and none was skipped: a passed
    sub-check never hides a skipped one.
    """
    for status in ("failed", "skipped", "passed", "manual"):
        if status in statuses:
            return status
    return "skipped"


def exit_checked(module: Any, what: str, run: Callable[[], Any]) -> None:
    """Run a read-only check module's checks and exit with their evidence, or fail with the error's message.

    ``run`` returns the evidence list, or ``(evidence, extra)`` with more result keys. A configuration or
    connection error (any SmeplatformError) fails the task before anything is reported as checked, and so does an
    empty ``namespace`` option (namespaced API paths would become cluster-wide ones).
    """
    namespace = (getattr(module, "params", None) or {}).get("namespace")
    if isinstance(namespace, str) and not namespace.strip():
        module.fail_json(
            msg=f"{what}: the namespace is empty; set smeplatform_namespace in the inventory (or the role's "
            "*_namespace variable) to the platform's namespace"
        )
        return
    try:
        outcome = run()
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc))
        return
    found, extra = outcome if isinstance(outcome, tuple) else (outcome, {})
    failed = [e["id"] for e in found if e["status"] == "failed"]
    module.exit_json(
        changed=False,
        msg=f"checked {len(found)} {what} item(s)" + (f"; failed: {', '.join(failed)}" if failed else ""),
        **extra,
        **{RESULT_KEY: found},
    )


def not_installed(ids: Iterable[str], release: str, namespace: str, where: str) -> list[dict[str, Any]]:
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
