"""Fixtures of the database lab tests: the pre-deployment checks' lab fixtures (the lab's settings, a role runner
reading the report, throw-away namespaces), shared from tests/integration/checks, and the platform's Secret."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

CHECKS_TESTS = Path(__file__).resolve().parents[1] / "checks"
if str(CHECKS_TESTS) not in sys.path:
    sys.path.insert(0, str(CHECKS_TESTS))

_spec = importlib.util.spec_from_file_location("checks_lab_fixtures", CHECKS_TESTS / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

lab = _fixtures.lab
run_role = _fixtures.run_role
platform_release = _fixtures.platform_release
namespace = _fixtures.namespace
