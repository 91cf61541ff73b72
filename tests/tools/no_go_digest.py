"""Print why the checklist reports written after a moment said NO-GO.

A failing Molecule or demo run prints many screens; CI logs keep only their
end. This prints, last, what an operator needs first: each NO-GO report, its
reasons, and the failed items with their evidence (already redacted by the
report writer).

    no_go_digest.py REPORT_DIR [--since EPOCH_SECONDS] [--log ANSIBLE_OUTPUT]

With --log, the last failed tasks of that output follow (task name and the
lines of its failure), for failures that no report holds (a lab that did not
start, a playbook that did not parse).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

MAX_DETAIL = 300
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FAILURE = re.compile(r"^(fatal: \[|failed: \[)|ERROR!|\bERROR\b")
FRAME = re.compile(r"^\s*[│|]\s?")


def failures(text: str, last: int = 3, context: int = 8) -> list[str]:
    """The last `last` failures of an ansible-playbook output, each with its task name and `context` lines."""
    lines = [FRAME.sub("", ANSI.sub("", line)) for line in text.splitlines()]
    found = []
    task = ""
    shown_until = -1  # a failure inside the previous excerpt is not listed again
    for number, line in enumerate(lines):
        if line.startswith("TASK [") or line.startswith("PLAY ["):
            task = line.rstrip(" *")
        elif FAILURE.search(line) and number > shown_until:
            shown_until = number + context - 1
            found.append(
                [f"  {task}" if task else "  (no task)", *(f"    {x}" for x in lines[number : number + context])]
            )
    return [line for block in found[-last:] for line in block]


def digest(report: dict) -> list[str]:
    lines = [f"  verdict {report['verdict']['decision']}: {report.get('started')} .. {report.get('finished')}"]
    lines += [f"  reason: {reason}" for reason in report["verdict"]["reasons"][:10]]
    for item in report.get("items", []):
        if item.get("status") != "failed":
            continue
        for evidence in item.get("evidence") or []:
            if evidence.get("status") == "failed":
                detail = str(evidence.get("detail") or evidence.get("measured"))[:MAX_DETAIL]
                lines.append(f"  failed {item['id']} ({evidence.get('task')}): {detail}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--since", type=float, default=0.0, help="only reports written after this epoch time")
    parser.add_argument("--log", type=Path, help="ansible-playbook or molecule output to take the failed tasks from")
    args = parser.parse_args(argv)
    found = 0
    for path in sorted(args.report_dir.glob("*.json")):
        if path.stat().st_mtime < args.since:
            continue
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"{path}: unreadable ({exc})")
            continue
        if not isinstance(report, dict) or not isinstance(report.get("verdict"), dict):
            continue  # not a checklist report (a release's diagnostics, for instance)
        if report["verdict"].get("decision") == "GO":
            continue
        found += 1
        print(f"NO-GO report {path.with_suffix('.md')}")
        print("\n".join(digest(report)))
    if not found:
        print(f"no NO-GO report in {args.report_dir} since the run started: the failure is outside the checklist")
    if args.log is not None and args.log.exists():
        excerpt = failures(args.log.read_text(encoding="utf-8", errors="replace"))
        print(f"last failures in {args.log}:" if excerpt else f"no failed task in {args.log}")
        print("\n".join(excerpt))
    return 0


if __name__ == "__main__":
    sys.exit(main())
