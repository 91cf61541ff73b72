"""Fixtures of the failure-path tests: the release tests' lab fixtures (a release of its own, the platform
stand-in watching it), shared from tests/integration/release."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

RELEASE_TESTS = Path(__file__).resolve().parents[1] / "release"
if str(RELEASE_TESTS) not in sys.path:
    sys.path.insert(0, str(RELEASE_TESTS))

_spec = importlib.util.spec_from_file_location("release_lab_fixtures", RELEASE_TESTS / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

release_env = _fixtures.release_env
lab = _fixtures.lab
