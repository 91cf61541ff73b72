"""10.1.4 and 10.1.5 on what PagerDuty answers: a rotation, someone on call now, pageable contacts."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import oncall

from .stack_fakes import settings


class FakePagerDuty:
    url = "https://pagerduty.test"

    def __init__(self, users: list[str], on_call: list[str], phones: set[str]) -> None:
        self.users, self.on_call, self.phones = users, on_call, phones

    def schedule(self, _sid: str) -> Any:
        if self.users is None:
            return None
        return {"name": "Primary", "users": [{"id": u, "summary": u.title()} for u in self.users]}

    def on_call_now(self, _sid: str) -> list[dict[str, Any]]:
        return [{"user": {"id": u, "summary": u.title()}, "end": "2026-12-07T03:30:00Z"} for u in self.on_call]

    def contact_methods(self, uid: str) -> list[dict[str, Any]]:
        kind = "phone_contact_method" if uid in self.phones else "email_contact_method"
        return [{"type": kind, "address": "x"}]


def test_on_call_needs_a_rotation_someone_on_call_and_pageable_contacts():
    s = settings(pagerduty_schedule_id="P1")
    rotation, contacts = oncall.oncall_entries(FakePagerDuty(["asha", "ravi"], ["asha"], {"asha", "ravi"}), s)
    assert (rotation["status"], contacts["status"]) == ("passed", "passed")
    assert rotation["detail"] == "Asha on call now in Primary (rotation of 2) until 2026-12-07T03:30:00Z"
    rotation, contacts = oncall.oncall_entries(FakePagerDuty(["asha"], [], {"ravi"}), s)
    assert rotation["detail"] == "rotation of 1 person(s), fewer than 2; no one on call now in Primary"
    assert contacts["detail"] == "no phone or SMS contact for: Asha"
    rotation, contacts = oncall.oncall_entries(FakePagerDuty(None, [], set()), s)
    assert rotation["detail"] == contacts["detail"] == "PagerDuty schedule P1 not found"
