"""code_gate_check: bad input fails before anything is read; the token never reaches the result."""

from __future__ import annotations

import json

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import checks
from ansible_collections.smeplatform.deploy.plugins.modules import code_gate_check

from .utils import run_main

TOKEN = "github_pat_moduleUnitTokenValue_0123456789"


@pytest.fixture(autouse=True)
def nothing_is_read(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("the module read the repository before validating its input")

    monkeypatch.setattr(checks, "run_gate", refuse)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"items": ["7.1.1"]}, "items 7.1.1 are not proven by the code gate"),
        ({"ci_jobs": {"typecheck": []}}, "ci_jobs.typecheck: name at least one CI job"),
        ({"github_repository": "nope"}, "give it as owner/name"),
        ({"images": [{"repository": "sme/backend", "tag": "v1"}]}, "no registry_url"),
        ({"audit_allowlist": [{"id": "GHSA-1", "expires": "someday"}]}, "is not YYYY-MM-DD"),
    ],
)
def test_bad_input_fails_early_and_hides_the_token(monkeypatch, extra, message):
    args = {"repository": "/srv/app", "tag": "v1.0.0", "github_repository": "o/r", "github_token": TOKEN, **extra}
    result = run_main(code_gate_check.main, args, monkeypatch, check_mode=True)
    assert result["failed"] and message in result["msg"]
    assert TOKEN not in json.dumps(result, default=str)
