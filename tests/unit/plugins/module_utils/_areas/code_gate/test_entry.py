"""code_gate_check's entry: a configuration error fails the task with its message before anything is read."""

from __future__ import annotations

from ..area_module import run_entry


def test_a_bad_parameter_fails_the_module_naming_it(monkeypatch):
    result = run_entry(
        "code_gate",
        "code_gate_check",
        {
            "repository": "/nonexistent/repo",
            "tag": "v1.0.0",
            "github_url": "http://github.test",
            "github_repository": "o/r",
            "github_token": "t",
            "coverage_min": 150,
        },
        monkeypatch,
    )
    assert result["failed"] is True
    assert result["msg"] == "coverage_min 150.0: a percentage between 0 and 100"
