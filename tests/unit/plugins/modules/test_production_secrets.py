"""The production_secrets module: argument spec, no_log, check mode and the failure path."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import entry, options
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import EXTERNAL_KEYS
from ansible_collections.smeplatform.deploy.plugins.modules import production_secrets

from ..module_utils.secrets_fakes import EXTERNAL, FakeCore, FakeKube
from .utils import run_main


@pytest.fixture
def core(monkeypatch):
    core = FakeCore()
    monkeypatch.setattr(entry, "Kube", lambda *a, **k: FakeKube(core))
    return core


def args(**over):
    base = {"external": dict(EXTERNAL), "verify_providers": False, "_ansible_diff": True}
    base.update(over)
    return base


def _values(core):
    obj = core.secrets[("sme-platform", "sme-platform-secrets")]
    return {k: base64.b64decode(v).decode() for k, v in obj["data"].items()}


def test_every_credential_option_is_no_log():
    spec = options.production_secrets()["argument_spec"]
    assert all(option["no_log"] for option in spec["external"]["options"].values())
    assert set(spec["external"]["options"]) == {k.option for k in EXTERNAL_KEYS}


def test_check_mode_then_real_run_then_no_change(core, monkeypatch):
    planned = run_main(production_secrets.main, args(), monkeypatch, check_mode=True)
    assert planned["changed"] is True and not planned["failed"] and core.secrets == {}
    made = run_main(production_secrets.main, args(), monkeypatch)
    assert made["changed"] is True and core.writes == ["create sme-platform/sme-platform-secrets"]
    again = run_main(production_secrets.main, args(), monkeypatch, check_mode=True)
    final = run_main(production_secrets.main, args(), monkeypatch)
    assert again["changed"] is False and final["changed"] is False
    text = json.dumps([planned, made, again, final])
    for value in _values(core).values():
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text
        assert value.encode().hex() not in text


def test_failure_names_the_key_and_rule_but_not_the_value(core, monkeypatch):
    bad = "rzp_test_ABCDEFGHIJKLMN"
    result = run_main(production_secrets.main, args(external={**EXTERNAL, "razorpay_key_id": bad}), monkeypatch)
    assert result["failed"] is True
    assert "RAZORPAY_KEY_ID is a Razorpay test-mode key (rzp_test_)" in result["msg"]
    assert bad not in json.dumps(result)
    assert core.secrets == {}


def test_bad_generated_spec_is_refused_before_anything(core, monkeypatch):
    result = run_main(
        production_secrets.main, args(generated=[{"name": "JWT_SECRET", "size": 8}]), monkeypatch, check_mode=True
    )
    assert result["failed"] and "below 16 bytes" in result["msg"]
