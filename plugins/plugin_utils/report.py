# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filled-in checklist: item statuses, the go/no-go verdict and its renderings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import EvidenceError, validate, worst
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import Redactor
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue, CatalogueError

NOT_RUN = "not run"
GO = "GO"
NO_GO = "NO-GO"
ORDER = ("passed", "failed", "skipped", "manual", NOT_RUN)


@dataclass
class RunLog:
    """What one run recorded: evidence entries, failed tasks and errors, in order."""

    environment: str = "unknown"
    started: str = ""
    finished: str = ""
    playbooks: list[str] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    task_failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # what the run must prove, as its verdict task declared it: {name, items, require_signoffs}
    scope: dict[str, Any] | None = None
    interrupted: str = ""
    # the report's own name (<environment>-<UTC time>), set when it is written
    run_id: str = ""

    def add_record(self, record: dict[str, Any]) -> None:
        """Fold one journal record into the log."""
        kind = record.get("kind")
        if kind == "evidence":
            self.entries.append(record)
        elif kind == "scope":
            self.scope = record
        elif kind == "task_failed":
            self.task_failures.append(record)
        elif kind == "error":
            self.errors.append(str(record.get("msg")))


def check_entries(catalogue: Catalogue, raw_entries: list[Any]) -> list[dict[str, Any]]:
    """Validate entries a task wants to record; raise naming the bad id."""
    checked = []
    for raw in raw_entries:
        try:
            one = validate(raw)
        except EvidenceError as exc:
            raise CatalogueError(str(exc)) from exc
        catalogue.item(one["id"])
        checked.append(one)
    return checked


def item_status(evidence: list[dict[str, Any]], proof: str) -> str:
    """An item's status from its evidence: the worst part; manual or not run when nothing was recorded."""
    if evidence:
        return worst([e["status"] for e in evidence])
    return "manual" if proof == "manual" else NOT_RUN


def build(catalogue: Catalogue, log: RunLog) -> dict[str, Any]:
    """The report as data: every catalogue item with its status and evidence."""
    by_id: dict[str, list[dict[str, Any]]] = {}
    errors = list(log.errors)
    for record in log.entries:
        raw = record.get("entry")
        try:
            one = validate(raw)
            catalogue.item(one["id"])
        except (EvidenceError, CatalogueError) as exc:
            errors.append(f"task {record.get('task')!r} on {record.get('host')}: {exc}")
            continue
        if one["duration"] is None and record.get("task_duration") is not None:
            one["duration"] = round(float(record["task_duration"]), 3)
        one["host"] = record.get("host")
        one["task"] = record.get("task")
        by_id.setdefault(one["id"], []).append(one)

    items = []
    for item in catalogue.items():
        evidence = by_id.get(item.id, [])
        status = item_status(evidence, item.proof)
        durations = [e["duration"] for e in evidence if e["duration"] is not None]
        items.append(
            {
                "id": item.id,
                "section": item.section,
                "group": item.group,
                "text": item.text,
                "proof": item.proof,
                "role": item.role,
                "owner": item.owner,
                "status": status,
                "duration": round(sum(durations), 3) if durations else None,
                "evidence": evidence,
            }
        )

    summary = {status: 0 for status in ORDER}
    for one in items:
        summary[one["status"]] += 1
    summary["total"] = len(items)

    scope = log.scope or {}
    in_scope = set(scope.get("items") or [])
    for one in items:
        one["in_scope"] = one["id"] in in_scope
    reasons = [*decide(items, scope, log.interrupted), *(_task_reason(f) for f in log.task_failures), *errors]
    hosts = per_host(items, scope, log)
    return {
        "schema": 1,
        "title": catalogue.meta.get("title", "Checklist"),
        "platform": catalogue.meta.get("platform", ""),
        "environment": log.environment,
        "started": log.started,
        "finished": log.finished,
        "playbooks": log.playbooks,
        "run_id": log.run_id,
        "follows": scope.get("follows", ""),
        "scope": {
            "name": scope.get("name", ""),
            "items": sorted(in_scope, key=[one["id"] for one in items].index),
            "require_signoffs": bool(scope.get("require_signoffs")),
        },
        "verdict": {"decision": NO_GO if reasons else GO, "reasons": reasons},
        "summary": summary,
        "hosts": hosts,
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "phase": s.phase,
                "groups": [{"id": g.id, "title": g.title, "items": [i.id for i in g.items]} for g in s.groups],
            }
            for s in catalogue.sections
        ],
        "items": items,
        "task_failures": log.task_failures,
        "errors": errors,
    }


def per_host(items: list[dict[str, Any]], scope: dict[str, Any], log: RunLog) -> dict[str, dict[str, Any]]:
    """The verdict of each host of a run over several (a fleet of environments), from that host's evidence alone.

    Sign-offs count for every host (a person signs the run off). Empty for a run over one host: the run's verdict
    is that host's. The run's own verdict stays NO-GO when any host's is.
    """
    names = sorted(
        {e["host"] for one in items for e in one["evidence"] if e.get("host") and e.get("where") != "sign-off"}
        | {f["host"] for f in log.task_failures if f.get("host")}
    )
    if len(names) < 2:
        return {}
    out = {}
    for name in names:
        mine = []
        for one in items:
            evidence = [e for e in one["evidence"] if e.get("host") == name or e.get("where") == "sign-off"]
            mine.append({**one, "status": item_status(evidence, one["proof"]), "evidence": evidence})
        failures = [f for f in log.task_failures if f.get("host") == name]
        reasons = [*decide(mine, scope, log.interrupted), *(_task_reason(f) for f in failures)]
        summary = {status: sum(one["status"] == status for one in mine) for status in ORDER}
        out[name] = {"decision": NO_GO if reasons else GO, "reasons": reasons, "summary": summary}
    return out


def _ids(items: list[dict[str, Any]], limit: int = 25) -> str:
    ids = [one["id"] for one in items]
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _causes(failed: list[dict[str, Any]], limit: int = 10, width: int = 400) -> list[str]:
    """One line per distinct cause of the failed items (the first failed evidence's detail), with the items it
    failed: a dead server failing six items is one line naming it and what to do."""
    causes: dict[str, list[str]] = {}
    for one in failed:
        detail = next((e.get("detail") for e in one.get("evidence") or [] if e.get("status") == "failed"), "")
        if detail:
            causes.setdefault(" ".join(str(detail).split())[:width], []).append(one["id"])
    lines = [f"{', '.join(ids)}: {detail}" for detail, ids in causes.items()]
    return lines[:limit] + ([f"and {len(lines) - limit} more cause(s) in the report"] if len(lines) > limit else [])


def _task_reason(failure: dict[str, Any]) -> str:
    return f"task {failure.get('task')!r} failed on {failure.get('host')}: {failure.get('msg')}"


def decide(items: list[dict[str, Any]], scope: dict[str, Any], interrupted: str = "") -> list[str]:
    """Why the run is NO-GO, from its items; empty when GO.

    GO needs a declared scope, and every item of it proven in this run: automated items passed (or skipped with
    the reason the check gave), manual items signed off when sign-offs are required. An automated item whose
    check answered "manual" (it cannot be proven from here, and says why) counts as a manual item. Any failed
    item, in scope or not, is NO-GO. A run that declared no scope (it did not reach its verdict task) is never GO.
    """
    reasons = []
    if interrupted:
        reasons.append(f"the run was interrupted: {interrupted}")
    failed = [one for one in items if one["status"] == "failed"]
    if failed:
        reasons.append(f"{len(failed)} checklist item(s) failed: {_ids(failed)}")
        reasons.extend(_causes(failed))
    if not scope.get("items"):
        reasons.append(
            "no report scope was declared: the run ended before its verdict task (interrupted or stopped by an "
            "earlier failure), or the play does not run the report role; nothing it did is proof of a GO"
        )
        return reasons
    in_scope = [one for one in items if one["in_scope"]]
    unproven = [one for one in in_scope if one["status"] == NOT_RUN]
    if unproven:
        reasons.append(
            f"{len(unproven)} item(s) of scope {scope.get('name')!r} not proven in this run: {_ids(unproven)} "
            "(run the whole playbook; a run limited by --tags or --limit cannot be GO)"
        )
    unexplained = [
        one
        for one in in_scope
        if one["status"] == "skipped" and any(e["status"] == "skipped" and not e["detail"] for e in one["evidence"])
    ]
    if unexplained:
        reasons.append(f"{len(unexplained)} item(s) skipped without a reason: {_ids(unexplained)}")
    if scope.get("require_signoffs"):
        # manual items, and automated items whose check could only say "manual" here (it names why)
        unsigned = [one for one in in_scope if one["status"] == "manual"]
        if unsigned:
            reasons.append(
                f"{len(unsigned)} manual item(s) not signed off: {_ids(unsigned)} (report_signoffs or "
                "report_signoffs_file: who signed, and when)"
            )
    return reasons


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _evidence_line(entry: dict[str, Any]) -> str:
    parts = []
    if entry.get("measured") is not None:
        measured = f"measured {_fmt(entry['measured'])}"
        if entry.get("threshold") is not None:
            measured += f" (threshold {_fmt(entry['threshold'])})"
        parts.append(measured)
    if entry.get("detail"):
        parts.append(entry["detail"])
    if entry.get("where"):
        parts.append(f"at {entry['where']}")
    if entry.get("host"):
        parts.append(f"host {entry['host']}")
    if entry.get("duration") is not None:
        parts.append(f"{entry['duration']:.2f}s")
    return f"{entry['status']}: " + "; ".join(parts)


def render_markdown(report: dict[str, Any], redactor: Redactor | None = None) -> str:
    redactor = redactor or Redactor()
    report = redactor.data(report)
    items = {one["id"]: one for one in report["items"]}
    verdict = report["verdict"]
    summary = report["summary"]
    out = [
        f"# {report['title']}: {report['platform']}",
        "",
        f"**Environment**: {report['environment']}  ",
        f"**Run**: {report['started']} to {report['finished']} UTC  ",
        f"**Playbooks**: {', '.join(report['playbooks']) or '-'}  ",
        *([f"**Run id**: {report['run_id']}  "] if report.get("run_id") else []),
        *([f"**Follows**: {report['follows']}  "] if report.get("follows") else []),
        f"**Scope**: {report['scope']['name'] or 'none declared'} ({len(report['scope']['items'])} items)  ",
        f"**Verdict**: **{verdict['decision']}**",
        "",
        "| " + " | ".join(ORDER) + " | total |",
        "|" + "---|" * (len(ORDER) + 1),
        "| " + " | ".join(str(summary[s]) for s in ORDER) + f" | {summary['total']} |",
        "",
    ]
    if report.get("hosts"):
        out.extend(["## Per host", "", "| host | verdict | " + " | ".join(ORDER) + " | first reason |"])
        out.append("|" + "---|" * (len(ORDER) + 3))
        for name, one in report["hosts"].items():
            first = one["reasons"][0] if one["reasons"] else ""
            counts = " | ".join(str(one["summary"][s]) for s in ORDER)
            out.append(f"| {name} | **{one['decision']}** | {counts} | {first} |")
        out.append("")
    if verdict["reasons"]:
        out.append("## Why NO-GO")
        out.append("")
        out.extend(f"- {reason}" for reason in verdict["reasons"])
        out.append("")
    for section in report["sections"]:
        heading = section["title"] if not section["id"].isdigit() else f"{section['id']}. {section['title']}"
        out.extend(["---", "", f"## {heading}", ""])
        for group in section["groups"]:
            out.extend([f"### {group['title']}", ""])
            for item_id in group["items"]:
                one = items[item_id]
                box = "x" if one["status"] == "passed" else " "
                line = f"- [{box}] **{one['id']}** {one['text']} — _{one['status']}_"
                if one["status"] == "manual" and not one["evidence"]:
                    line += f" (sign-off: {one['owner']})"
                elif one["status"] == NOT_RUN:
                    line += f" (proven by role {one['role']})"
                out.append(line)
                out.extend(f"  - {_evidence_line(entry)}" for entry in one["evidence"])
            out.append("")
    if report["task_failures"]:
        out.extend(["---", "", "## Failed tasks", ""])
        out.extend(f"- {f.get('task')} on {f.get('host')}: {f.get('msg')}" for f in report["task_failures"])
        out.append("")
    return redactor.text("\n".join(out))


def render_json(report: dict[str, Any], redactor: Redactor | None = None) -> str:
    redactor = redactor or Redactor()
    return redactor.text(json.dumps(redactor.data(report), indent=2, sort_keys=False, default=str) + "\n")


def render_junit(report: dict[str, Any], redactor: Redactor | None = None) -> str:
    redactor = redactor or Redactor()
    report = redactor.data(report)
    items = {one["id"]: one for one in report["items"]}
    summary = report["summary"]
    root = ET.Element(
        "testsuites",
        name=f"{report['title']} ({report['environment']}): {report['verdict']['decision']}",
        tests=str(summary["total"]),
        failures=str(summary["failed"]),
        skipped=str(summary["total"] - summary["passed"] - summary["failed"]),
    )
    for section in report["sections"]:
        ids = [i for g in section["groups"] for i in g["items"]]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{section['id']} {section['title']}",
            tests=str(len(ids)),
            failures=str(sum(items[i]["status"] == "failed" for i in ids)),
            skipped=str(sum(items[i]["status"] not in ("passed", "failed") for i in ids)),
        )
        for item_id in ids:
            one = items[item_id]
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"checklist.{section['id']}",
                name=f"{one['id']} {one['text']}",
                time=f"{one['duration'] or 0:.3f}",
            )
            lines = "\n".join(_evidence_line(e) for e in one["evidence"])
            if one["status"] == "failed":
                failed = [e for e in one["evidence"] if e["status"] == "failed"]
                ET.SubElement(case, "failure", message=(failed[0]["detail"] if failed else "failed")).text = lines
            elif one["status"] != "passed":
                why = f"manual: sign-off by {one['owner']}" if one["status"] == "manual" else one["status"]
                ET.SubElement(case, "skipped", message=why)
            if lines:
                ET.SubElement(case, "system-out").text = lines
    ET.indent(root)
    return redactor.text(ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n")
