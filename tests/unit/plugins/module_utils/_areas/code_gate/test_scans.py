"""The code gate's scanners and parsers: what they find, and what they must not take for a finding."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import scans
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("backend/src/**/*.ts", "backend/src/main.ts", True),
        ("backend/src/**/*.ts", "backend/src/a/b/c.ts", True),
        ("backend/src/**/*.ts", "backend/srcx/main.ts", False),
        ("backend/src/**/*.ts", "backend/src/main.tsx", False),
        ("**/*.spec.ts", "backend/src/x.spec.ts", True),
        ("**/*.spec.ts", "x.spec.ts", True),
        ("**/test/**", "backend/test/app.e2e-spec.ts", True),
        ("*.md", "docs/a.md", False),
    ],
)
def test_globs(pattern, path, hit):
    assert bool(scans.glob_regex(pattern).match(path)) is hit


@pytest.mark.parametrize("pattern", ["/abs/*.ts", "", "a\\b"])
def test_bad_globs_are_configuration_errors(pattern):
    with pytest.raises(ConfigurationError):
        scans.glob_regex(pattern)


def test_console_log_found_with_line_but_not_in_comments():
    text = "a();\n// console.log('old')\n * console.log(x)\nconst y = 1; console.log ('y', y);\nlogger.log(1)\n"
    found = scans.console_logs("src/a.ts", text)
    assert [(f.path, f.line) for f in found] == [("src/a.ts", 4)]
    assert str(found[0]).startswith("src/a.ts:4: const y = 1; console.log")


def test_todo_markers_in_comments_only():
    text = "// TODO: retry\nconst TODOS = 1;\n/* FIXME later */\nconst s = 'HACK';\n"
    found = scans.todo_markers("a.ts", text, ["TODO", "FIXME", "HACK"])
    assert [f.line for f in found] == [1, 3]


@pytest.mark.parametrize(
    ("tag", "version"), [("v1.0.0", "1.0.0"), ("v1.2.3-rc.1", "1.2.3-rc.1"), ("1.0.0", None), ("vnext", None)]
)
def test_version_of(tag, version):
    assert scans.version_of(tag, r"v(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)") == version


def test_changelog_section():
    text = "# Changelog\n\n## [1.1.0] - 2025-11-17\n- a\n\n## v1.0.0\n- b\n## [1.0.10]\n"
    assert scans.changelog_section(text, "1.1.0") == (3, "## [1.1.0] - 2025-11-17")
    assert scans.changelog_section(text, "1.0.0") == (6, "## v1.0.0")
    assert scans.changelog_section(text, "1.0.1") is None  # 1.0.10 is another version


def test_coverage_json_summary_and_lcov():
    summary = {"total": {"lines": {"pct": 69.0}, "branches": {"pct": 50}}}
    assert scans.coverage_pct({"coverage-summary.json": json.dumps(summary).encode()}, "lines") == (
        69.0,
        "coverage-summary.json",
    )
    lcov = b"SF:a.ts\nLF:10\nLH:7\nend_of_record\nSF:b.ts\nLF:10\nLH:8\nend_of_record\n"
    assert scans.coverage_pct({"lcov.info": lcov}, "lines") == (75.0, "lcov.info")
    with pytest.raises(ValueError, match="no coverage summary"):
        scans.coverage_pct({"readme.txt": b"x"}, "lines")


def test_audit_findings_and_allowlist_expiry():
    report = {
        "auditReportVersion": 2,
        "vulnerabilities": {
            "lodash": {"severity": "high", "via": [{"source": 1, "url": "https://github.com/advisories/GHSA-aaaa"}]},
            "debug": {"severity": "low", "via": ["ms"]},
        },
    }
    found = scans.audit_findings(report)
    assert {"package": "lodash", "severity": "high", "ids": ["GHSA-aaaa"]} in found
    allow = scans.parse_allowlist([{"id": "GHSA-aaaa", "expires": "2026-01-31"}])
    lodash = next(f for f in found if f["package"] == "lodash")
    assert scans.allowed(lodash, allow, date(2026, 1, 31)) is not None
    assert scans.allowed(lodash, allow, date(2026, 2, 1)) is None  # expired: counts again
    with pytest.raises(ValueError):
        scans.audit_findings({"something": 1})


@pytest.mark.parametrize("entry", [{"id": "x"}, {"id": "", "expires": "2026-01-01"}, {"id": "x", "expires": "soon"}])
def test_allowlist_needs_id_and_date(entry):
    with pytest.raises(ConfigurationError):
        scans.parse_allowlist([entry])


def test_image_scans_trivy_and_sarif():
    digest = "sha256:" + "a" * 64
    trivy = {
        "ArtifactName": "r/backend:v1",
        "Metadata": {"RepoDigests": [f"r/backend@{digest}"]},
        "Results": [{"Vulnerabilities": [{"Severity": "CRITICAL"}, {"Severity": "LOW"}]}],
    }
    sarif = {
        "runs": [
            {
                "properties": {"imageName": "r/frontend:v1", "repoDigests": ["r/frontend@sha256:" + "b" * 64]},
                "tool": {"driver": {"rules": [{"id": "CVE-1", "properties": {"security-severity": "9.8"}}]}},
                "results": [{"ruleId": "CVE-1", "level": "error"}],
            }
        ]
    }
    found = scans.image_scans({"t.json": json.dumps(trivy).encode(), "s.sarif": json.dumps(sarif).encode()})
    by_image = {f["image"]: f for f in found}
    assert by_image["r/backend:v1"]["digests"] == [digest]
    assert by_image["r/backend:v1"]["counts"] == {"critical": 1, "low": 1}
    assert by_image["r/frontend:v1"]["counts"] == {"critical": 1}


def test_secrets_in_finds_a_cloud_key_by_file_and_line(tmp_path):
    (tmp_path / ".env").write_text("A=1\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n")
    (tmp_path / "main.ts").write_text("export const x = 1;\n")
    found = scans.secrets_in(str(tmp_path), [".env", "main.ts"])
    assert found == [{"file": ".env", "line": 2, "type": "AWS Access Key"}]
    assert "AKIA" not in json.dumps(found)
