"""The release modules' option tables: what each insists on before anything runs."""

from __future__ import annotations

from ..area_module import no_log_options, validate


def test_a_release_to_install_needs_a_chart():
    _unused, errors = validate("release", "helm_release", {"name": "web", "namespace": "ns"})
    assert any("chart" in e for e in errors)
    _unused, errors = validate("release", "helm_release", {"name": "web", "namespace": "ns", "state": "rolled_back"})
    assert errors == []


def test_values_to_redact_are_no_log():
    assert "redact" in no_log_options("release", "helm_release")
    assert "redact" in no_log_options("release", "release_diagnostics")


def test_a_migration_needs_its_command():
    _unused, errors = validate("release", "migration_job", {"release": "web", "namespace": "ns", "action": "run"})
    assert any("command" in e for e in errors)
