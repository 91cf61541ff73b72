# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's parsers and scanners: pure functions over files and CI artifacts, no I/O to servers.

Path globs, the console.log and TODO scans, the secret scan (detect-secrets), the CHANGELOG section, and the
readers of coverage summaries (Istanbul json-summary, lcov), npm audit reports and container scan results
(Trivy JSON, SARIF).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

SEVERITIES = ("info", "low", "moderate", "high", "critical")


# -- globs ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=256)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-like glob as a regex over repository paths: ``**/`` any folders, ``*`` within one name."""
    if not pattern or pattern.startswith("/") or "\\" in pattern:
        raise ConfigurationError(f"path glob {pattern!r}: use a relative path with / (e.g. backend/src/**/*.ts)")
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:[^/]+/)*"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        elif pattern[i] == "?":
            out += "[^/]"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z")


def matching(paths: list[str], include: list[str], exclude: list[str]) -> list[str]:
    inc = [glob_regex(p) for p in include]
    exc = [glob_regex(p) for p in exclude]
    return [p for p in paths if any(r.match(p) for r in inc) and not any(r.match(p) for r in exc)]


# -- code scans ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


_CONSOLE_RE = re.compile(r"\bconsole\.log\s*\(")
_COMMENT_START_RE = re.compile(r"^\s*(//|\*|/\*)")


def console_logs(path: str, text: str) -> list[Finding]:
    """console.log( calls outside comment lines."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not _COMMENT_START_RE.match(line) and _CONSOLE_RE.search(line.split("//", 1)[0]):
            found.append(Finding(path, number, line.strip()[:160]))
    return found


def todo_markers(path: str, text: str, markers: list[str]) -> list[Finding]:
    """Comments holding a marker word (TODO, FIXME...) as a whole word."""
    if not markers:
        return []
    marker_re = re.compile(r"(//|/\*|\*|#|<!--).*\b(" + "|".join(re.escape(m) for m in markers) + r")\b")
    return [
        Finding(path, number, line.strip()[:160])
        for number, line in enumerate(text.splitlines(), 1)
        if marker_re.search(line)
    ]


def secrets_in(root: str, paths: list[str]) -> list[dict[str, Any]]:
    """Secrets detect-secrets finds in the files (relative to root): type, file and line; never the value."""
    try:
        from detect_secrets import SecretsCollection
        from detect_secrets.settings import default_settings
    except ImportError as exc:
        raise ConfigurationError(
            "the secret scan needs the Python package detect-secrets on the controller: "
            "pip install detect-secrets==1.5.0"
        ) from exc
    collection = SecretsCollection(root=root)
    with default_settings():
        for path in paths:
            collection.scan_file(path)
    found = []
    for filename, secret in collection:
        found.append(
            {
                "file": os.path.relpath(filename, root) if os.path.isabs(filename) else filename,
                "line": secret.line_number,
                "type": secret.type,
            }
        )
    return sorted(found, key=lambda f: (f["file"], f["line"]))


# -- release notes -------------------------------------------------------------------------------------
def version_of(tag: str, pattern: str) -> str | None:
    """The version a release tag names (``v1.2.3`` -> ``1.2.3``) or None when it does not match the pattern."""
    try:
        match = re.fullmatch(pattern, tag)
    except re.error as exc:
        raise ConfigurationError(f"tag pattern {pattern!r} is not a regular expression: {exc}") from exc
    if not match:
        return None
    return match.groupdict().get("version") or (match.group(1) if match.groups() else tag.lstrip("v"))


def changelog_section(text: str, version: str) -> tuple[int, str] | None:
    """(line, heading) of the CHANGELOG heading for version: ``## [1.2.3] - 2025-11-03``, ``# v1.2.3``..."""
    heading_re = re.compile(r"^#{1,4}\s*\[?v?" + re.escape(version) + r"\]?(?=$|[\s(:-])")
    for number, line in enumerate(text.splitlines(), 1):
        if heading_re.match(line.strip()):
            return number, line.strip()
    return None


# -- coverage ------------------------------------------------------------------------------------------
def coverage_pct(files: dict[str, bytes], metric: str) -> tuple[float, str]:
    """(percent, file) of an Istanbul json-summary (``total.<metric>.pct``) or an lcov file (lines only)."""
    for name, body in sorted(files.items()):
        if name.endswith(".json"):
            try:
                data = json.loads(body)
            except ValueError:
                continue
            total = data.get("total") if isinstance(data, dict) else None
            if isinstance(total, dict) and isinstance(total.get(metric), dict) and "pct" in total[metric]:
                return float(total[metric]["pct"]), name
    for name, body in sorted(files.items()):
        if name.endswith((".info", ".lcov")):
            found = hit = 0
            for line in body.decode("utf-8", "replace").splitlines():
                if line.startswith("LF:"):
                    found += int(line[3:])
                elif line.startswith("LH:"):
                    hit += int(line[3:])
            if found:
                return round(100.0 * hit / found, 2), name
    raise ValueError(f"no coverage summary (json-summary with total.{metric}.pct, or lcov) in {sorted(files)}")


# -- npm audit -----------------------------------------------------------------------------------------
def audit_findings(report: dict[str, Any]) -> list[dict[str, str]]:
    """Vulnerabilities of an npm audit --json report (v2 of npm 7+, or v1 advisories): package, severity, ids."""
    found = []
    if isinstance(report.get("vulnerabilities"), dict):
        for name, vuln in report["vulnerabilities"].items():
            ids = []
            for via in vuln.get("via") or []:
                if isinstance(via, dict):
                    url = str(via.get("url") or "")
                    ids.append(url.rsplit("/", 1)[-1] if "GHSA-" in url else str(via.get("source", "")))
            found.append(
                {"package": name, "severity": str(vuln.get("severity", "")).lower(), "ids": [i for i in ids if i]}
            )
    elif isinstance(report.get("advisories"), dict):
        for key, adv in report["advisories"].items():
            url = str(adv.get("url") or "")
            ghsa = url.rsplit("/", 1)[-1] if "GHSA-" in url else ""
            found.append(
                {
                    "package": adv.get("module_name", ""),
                    "severity": str(adv.get("severity", "")).lower(),
                    "ids": [i for i in (ghsa, str(key)) if i],
                }
            )
    else:
        raise ValueError("not an npm audit --json report (no 'vulnerabilities' or 'advisories')")
    return found


def allowed(finding: dict[str, Any], allowlist: list[dict[str, Any]], today: date) -> dict[str, Any] | None:
    """The allow-list entry that covers a finding and has not expired, if any."""
    for entry in allowlist:
        covers = entry["id"] in finding["ids"] or entry["id"] == finding["package"]
        if covers and entry["expires"] >= today:
            return entry
    return None


def parse_allowlist(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in raw or []:
        ident, expires = str(item.get("id") or "").strip(), item.get("expires")
        if not ident or not expires:
            raise ConfigurationError(
                f"audit allow-list entry {item!r}: needs an id (GHSA id, advisory number or "
                "package) and an expiry date (YYYY-MM-DD)"
            )
        try:
            day = date.fromisoformat(str(expires))
        except ValueError as exc:
            raise ConfigurationError(f"audit allow-list entry {ident}: expires {expires!r} is not YYYY-MM-DD") from exc
        out.append({"id": ident, "expires": day, "reason": str(item.get("reason") or "")})
    return out


# -- container scans -----------------------------------------------------------------------------------
_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")


def image_scans(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """One record per scanned image in Trivy JSON or SARIF files: digests, and counts by severity."""
    scans = []
    for name, body in sorted(files.items()):
        if not name.endswith((".json", ".sarif")):
            continue
        try:
            data = json.loads(body)
        except ValueError:
            continue
        if isinstance(data, dict) and "Results" in data and "ArtifactName" in data:
            meta = data.get("Metadata") or {}
            counts: dict[str, int] = {}
            for result in data.get("Results") or []:
                for vuln in result.get("Vulnerabilities") or []:
                    sev = str(vuln.get("Severity", "UNKNOWN")).lower()
                    counts[sev] = counts.get(sev, 0) + 1
            digests = set(_DIGEST_RE.findall(" ".join(meta.get("RepoDigests") or [])))
            scans.append({"file": name, "image": data["ArtifactName"], "digests": sorted(digests), "counts": counts})
        elif isinstance(data, dict) and isinstance(data.get("runs"), list):
            for run in data["runs"]:
                props = run.get("properties") or {}
                rules = {r.get("id"): r for r in (run.get("tool", {}).get("driver", {}).get("rules") or [])}
                counts = {}
                for result in run.get("results") or []:
                    sev = _sarif_severity(rules.get(result.get("ruleId")) or {}, result)
                    counts[sev] = counts.get(sev, 0) + 1
                digests = set(_DIGEST_RE.findall(json.dumps(props.get("repoDigests") or [])))
                scans.append(
                    {"file": name, "image": props.get("imageName", name), "digests": sorted(digests), "counts": counts}
                )
    return scans


def _sarif_severity(rule: dict[str, Any], result: dict[str, Any]) -> str:
    props = rule.get("properties") or {}
    for tag in props.get("tags") or []:
        if str(tag).lower() in ("critical", "high", "medium", "low"):
            return str(tag).lower()
    try:
        score = float(props.get("security-severity"))
    except (TypeError, ValueError):
        return {"error": "high", "warning": "medium", "note": "low"}.get(str(result.get("level")), "unknown")
    return "critical" if score >= 9.0 else "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"
