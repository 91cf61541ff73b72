"""5.3.2 and 5.3.4 on what SendGrid answers: the sender domain authenticated and valid, every template active."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import mail

from .stack_fakes import settings


class FakeSendGrid:
    url = "https://sendgrid.test"

    def __init__(self, domains: list[dict[str, Any]], templates: list[dict[str, Any]]) -> None:
        self._domains, self._templates = domains, templates

    def domains(self) -> list[dict[str, Any]]:
        return self._domains

    def templates(self) -> list[dict[str, Any]]:
        return self._templates


def domain(valid: bool, dkim1: bool = True) -> dict[str, Any]:
    return {"domain": "example.test", "valid": valid, "dns": {"dkim1": {"valid": dkim1}, "mail_cname": {"valid": True}}}


def test_the_sender_domain_must_be_authenticated_and_valid():
    assert mail.sender_domain_entry(FakeSendGrid([domain(True)], []), settings())["status"] == "passed"
    found = mail.sender_domain_entry(FakeSendGrid([domain(False, dkim1=False)], []), settings())
    assert found["detail"] == "sender domain example.test unverified: invalid DNS record(s) dkim1"
    found = mail.sender_domain_entry(FakeSendGrid([], []), settings())
    assert found["detail"] == "sender domain example.test is not authenticated in SendGrid"


def test_every_template_must_exist_with_an_active_version():
    active = [{"name": "welcome", "versions": [{"active": 1, "name": "v1"}]}]
    found = mail.templates_entry(FakeSendGrid([], active), settings())
    assert found["status"] == "failed" and found["detail"] == "template reset missing"
    both = [*active, {"name": "reset", "versions": [{"active": 0, "name": "v1"}]}]
    found = mail.templates_entry(FakeSendGrid([], both), settings())
    assert found["detail"] == "template reset has no active version"
    both[1]["versions"][0]["active"] = 1
    assert mail.templates_entry(FakeSendGrid([], both), settings())["status"] == "passed"
