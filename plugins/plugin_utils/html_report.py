# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filled-in checklist as one static HTML page, and an index page of an environment's runs.

Static files only: inline CSS and inline SVG plots, no script, no server, no CDN, so the page opens from
a file, an artefact store or a mail attachment. Measured series (an evidence entry whose ``measured`` is a
mapping with ``series``: a list of ``[time, value]`` pairs, time in epoch seconds or ISO 8601) are drawn
as line plots with one marker per sample; each marker carries its values in ``data-t`` and ``data-v``.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_time

STATUS_ORDER = ("passed", "failed", "skipped", "manual", "not run")
_COLOURS = {
    "passed": "#1a7f37",
    "failed": "#cf222e",
    "skipped": "#9a6700",
    "manual": "#0969da",
    "not run": "#6e7781",
}
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;
color:#1f2328}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #d0d7de}
h3{font-size:1em;margin:1em 0 .3em}
.verdict{display:inline-block;padding:.35em .9em;border-radius:6px;font-weight:700;font-size:1.3em;color:#fff}
.GO{background:#1a7f37}.NO-GO{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:.4em 0}td,th{border:1px solid #d0d7de;padding:.25em .5em;
text-align:left;vertical-align:top}th{background:#f6f8fa}
.status{font-weight:600;white-space:nowrap}
.evidence{margin:0;padding-left:1.1em;color:#424a53;font-size:.92em}
.plot{margin:.6em 0 1.2em}.plot svg{background:#fff;border:1px solid #d0d7de}
.reasons li{color:#cf222e}
.meta td:first-child{width:9em;font-weight:600}
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _epoch(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        parsed = parse_time(value)
        return parsed.timestamp() if parsed is not None else None
    return None


def series_of(entry: dict[str, Any]) -> list[tuple[float, float]]:
    """The ``[time, value]`` samples an evidence entry measured, in time order; empty when it has none."""
    measured = entry.get("measured")
    if not isinstance(measured, dict) or not isinstance(measured.get("series"), list):
        return []
    points = []
    for pair in measured["series"]:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            continue
        t, v = _epoch(pair[0]), pair[1]
        if t is None or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        points.append((t, float(v)))
    return sorted(points)


def svg_plot(points: list[tuple[float, float]], title: str, threshold: Any = None, width: int = 640) -> str:
    """A line plot of the samples, with the threshold as a dashed line when it is a number."""
    height, left, right, top, bottom = 180, 56, 12, 22, 28
    limit = float(threshold) if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) else None
    t0, t1 = points[0][0], points[-1][0]
    values = [v for _unused, v in points] + ([limit] if limit is not None else [])
    v0, v1 = min(0.0, *values), max(values)
    if v1 == v0:
        v1 = v0 + 1.0
    span_t = (t1 - t0) or 1.0

    def x(t: float) -> float:
        return left + (t - t0) / span_t * (width - left - right)

    def y(v: float) -> float:
        return top + (1 - (v - v0) / (v1 - v0)) * (height - top - bottom)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_e(title)}" data-points="{len(points)}">',
        f'<text x="{left}" y="14" font-size="12" font-weight="600">{_e(title)}</text>',
        f'<line x1="{left}" y1="{y(v0):.1f}" x2="{width - right}" y2="{y(v0):.1f}" stroke="#8c959f"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#8c959f"/>',
        f'<text x="{left - 4}" y="{y(v1) + 4:.1f}" font-size="10" text-anchor="end">{v1:.4g}</text>',
        f'<text x="{left - 4}" y="{y(v0) + 4:.1f}" font-size="10" text-anchor="end">{v0:.4g}</text>',
        f'<text x="{left}" y="{height - 8}" font-size="10">{_e(_clock(t0))}</text>',
        f'<text x="{width - right}" y="{height - 8}" font-size="10" text-anchor="end">{_e(_clock(t1))}</text>',
    ]
    if limit is not None:
        out.append(
            f'<line class="threshold" x1="{left}" y1="{y(limit):.1f}" x2="{width - right}" y2="{y(limit):.1f}" '
            f'stroke="#cf222e" stroke-dasharray="5,4"/>'
        )
    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    out.append(f'<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="{path}"/>')
    out.extend(
        f'<circle class="sample" cx="{x(t):.1f}" cy="{y(v):.1f}" r="2.5" fill="#0969da" '
        f'data-t="{t:.3f}" data-v="{v!r}"><title>{_e(_clock(t))}: {v:.6g}</title></circle>'
        for t, v in points
    )
    out.append("</svg>")
    return "".join(out)


def _clock(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _evidence_text(entry: dict[str, Any]) -> str:
    parts = []
    measured = entry.get("measured")
    if isinstance(measured, dict) and "series" in measured:
        measured = {k: v for k, v in measured.items() if k != "series"} or None
    if measured is not None:
        text = f"measured {_fmt(measured)}"
        if entry.get("threshold") is not None:
            text += f" (threshold {_fmt(entry['threshold'])})"
        parts.append(text)
    for key, label in (("detail", ""), ("where", "at "), ("host", "host ")):
        if entry.get(key):
            parts.append(f"{label}{entry[key]}")
    if entry.get("duration") is not None:
        parts.append(f"{entry['duration']:.2f}s")
    return f"{entry['status']}: " + "; ".join(parts)


def render_html(report: dict[str, Any], redactor: Any = None) -> str:
    """The report as one HTML page. ``redactor`` (``data``/``text`` methods) masks secrets when given."""
    if redactor is not None:
        report = redactor.data(report)
    items = {one["id"]: one for one in report["items"]}
    verdict = report["verdict"]
    summary = report["summary"]
    title = f"{report['title']}: {report['platform']} ({report['environment']})"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)} {_e(verdict['decision'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(report['title'])}: {_e(report['platform'])}</h1>",
        f'<p><span class="verdict {_e(verdict["decision"])}" id="verdict">{_e(verdict["decision"])}</span></p>',
        '<table class="meta">',
        f"<tr><td>Environment</td><td>{_e(report['environment'])}</td></tr>",
        f"<tr><td>Run</td><td>{_e(report['started'])} to {_e(report['finished'])} UTC</td></tr>",
        f"<tr><td>Playbooks</td><td>{_e(', '.join(report.get('playbooks') or []) or '-')}</td></tr>",
    ]
    if report.get("run_id"):
        out.append(f"<tr><td>Run id</td><td>{_e(report['run_id'])}</td></tr>")
    out.append("</table>")
    heads = "".join(f"<th>{_e(s)}</th>" for s in STATUS_ORDER)
    out.append(f'<table class="summary"><tr>{heads}<th>total</th></tr>')
    out.append(
        "<tr>" + "".join(f"<td>{summary.get(s, 0)}</td>" for s in STATUS_ORDER) + f"<td>{summary['total']}</td></tr>"
    )
    out.append("</table>")
    if verdict["reasons"]:
        out.append('<h2>Why NO-GO</h2><ul class="reasons">')
        out.extend(f"<li>{_e(reason)}</li>" for reason in verdict["reasons"])
        out.append("</ul>")
    plots = [
        (one, entry, series_of(entry))
        for one in report["items"]
        for entry in one["evidence"]
        if len(series_of(entry)) >= 1
    ]
    if plots:
        out.append('<h2 id="measured-series">Measured series</h2>')
        for one, entry, points in plots:
            label = f"{one['id']} {entry.get('detail') or one['text']}"
            out.append(f'<div class="plot" data-item="{_e(one["id"])}">')
            out.append(svg_plot(points, label, entry.get("threshold")))
            out.append("</div>")
    for section in report["sections"]:
        heading = section["title"] if not section["id"].isdigit() else f"{section['id']}. {section['title']}"
        out.append(f"<h2>{_e(heading)}</h2>")
        for group in section["groups"]:
            out.append(f"<h3>{_e(group['title'])}</h3><table>")
            out.append("<tr><th>item</th><th>checklist</th><th>status</th><th>evidence</th></tr>")
            for item_id in group["items"]:
                one = items[item_id]
                status = one["status"]
                colour = _COLOURS.get(status, "#1f2328")
                evidence = "".join(f"<li>{_e(_evidence_text(entry))}</li>" for entry in one["evidence"])
                if not evidence and status == "manual":
                    evidence = f"<li>sign-off: {_e(one.get('owner'))}</li>"
                elif not evidence and status == "not run":
                    evidence = f"<li>proven by role {_e(one.get('role'))}</li>"
                out.append(
                    f'<tr id="item-{_e(item_id)}" data-status="{_e(status)}"><td>{_e(item_id)}</td>'
                    f"<td>{_e(one['text'])}</td>"
                    f'<td class="status" style="color:{colour}">{_e(status)}</td>'
                    f'<td><ul class="evidence">{evidence}</ul></td></tr>'
                )
            out.append("</table>")
    if report.get("task_failures"):
        out.append("<h2>Failed tasks</h2><ul>")
        out.extend(
            f"<li>{_e(f.get('task'))} on {_e(f.get('host'))}: {_e(f.get('msg'))}</li>" for f in report["task_failures"]
        )
        out.append("</ul>")
    out.append("</body></html>\n")
    page = "\n".join(out)
    return redactor.text(page) if redactor is not None else page


def run_summary(report: dict[str, Any], page: str) -> dict[str, Any]:
    """What the index page lists of one run (kept in the index's data file)."""
    return {
        "page": page,
        "environment": report["environment"],
        "started": report["started"],
        "finished": report["finished"],
        "playbooks": report.get("playbooks") or [],
        "run_id": report.get("run_id", ""),
        "decision": report["verdict"]["decision"],
        "summary": {s: report["summary"].get(s, 0) for s in (*STATUS_ORDER, "total")},
    }


def render_index(environment: str, runs: Iterable[dict[str, Any]]) -> str:
    """The index page of an environment: its runs, newest first, each linking to its page."""
    ordered = sorted(runs, key=lambda run: str(run.get("started", "")), reverse=True)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(environment)}: deployment runs</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(environment)}: deployment runs</h1>",
        '<table id="runs"><tr><th>started (UTC)</th><th>playbooks</th><th>verdict</th>'
        + "".join(f"<th>{_e(s)}</th>" for s in STATUS_ORDER)
        + "</tr>",
    ]
    for run in ordered:
        decision = run.get("decision", "")
        out.append(
            f'<tr class="run" data-decision="{_e(decision)}"><td><a href="{_e(run.get("page"))}">'
            f"{_e(run.get('started'))}</a></td><td>{_e(', '.join(run.get('playbooks') or []))}</td>"
            f'<td><span class="verdict {_e(decision)}">{_e(decision)}</span></td>'
            + "".join(f"<td>{_e((run.get('summary') or {}).get(s, 0))}</td>" for s in STATUS_ORDER)
            + "</tr>"
        )
    out.append("</table></body></html>\n")
    return "\n".join(out)
