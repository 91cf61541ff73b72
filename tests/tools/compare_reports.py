"""Compare two checklist reports item by item: which items changed status.

A restructuring that must not change behaviour is held to this: a lab deploy's
report before it and after it list the same status for every item.

    compare_reports.py BEFORE.json AFTER.json [--ignore ID ...]

Prints one line a difference (`ID: before -> after`, `missing` for an item one
report does not list), then a summary line; exits 1 when a status differs
(items named with --ignore are listed but do not count), 0 when none does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MISSING = "missing"


def statuses(report: dict) -> dict[str, str]:
    """id -> status of every item a report lists."""
    items = report.get("items")
    if not isinstance(items, list):
        raise ValueError("not a checklist report: no items list")
    return {str(item["id"]): str(item.get("status")) for item in items if isinstance(item, dict) and "id" in item}


def differences(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """(id, status before, status after) of every item whose status differs, in the order of the reports."""
    order = list(before) + [i for i in after if i not in before]
    return [
        (i, before.get(i, MISSING), after.get(i, MISSING))
        for i in order
        if before.get(i, MISSING) != after.get(i, MISSING)
    ]


def load(path: str) -> dict[str, str]:
    try:
        return statuses(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"compare_reports: {path}: {exc}") from exc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--ignore", action="append", default=[], metavar="ID", help="an item whose change is expected")
    args = parser.parse_args(argv)
    before, after = load(args.before), load(args.after)
    found = differences(before, after)
    counted = [d for d in found if d[0] not in args.ignore]
    for item_id, old, new in found:
        print(f"{item_id}: {old} -> {new}" + (" (expected)" if item_id in args.ignore else ""))
    same = len(set(before) | set(after)) - len(found)
    print(f"{same} item(s) with the same status, {len(found)} different ({len(found) - len(counted)} expected)")
    return 1 if counted else 0


if __name__ == "__main__":
    sys.exit(main())
