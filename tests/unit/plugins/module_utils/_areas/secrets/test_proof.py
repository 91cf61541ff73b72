"""The secrets' provider checks: skipped when asked, only for keys that are present and usable."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import plan, proof


def test_provider_checks_are_skipped_when_not_asked():
    request = plan.build_request({"name": "s", "namespace": "ns", "verify_providers": False})
    assert proof.check_providers(request, {"sendgrid_api_key": "SG.x"}) == {}


def test_only_providers_with_every_key_are_asked(monkeypatch):
    asked = []
    monkeypatch.setattr(proof.saas, "check_sendgrid", lambda *a: asked.append("sendgrid") or "sg")
    monkeypatch.setattr(proof.saas, "check_twilio", lambda *a: asked.append("twilio") or "tw")
    request = plan.build_request({"name": "s", "namespace": "ns"})
    answers = proof.check_providers(request, {"sendgrid_api_key": "SG.x", "twilio_account_sid": "AC1"})
    assert asked == ["sendgrid"] and answers == {"sendgrid": "sg"}
