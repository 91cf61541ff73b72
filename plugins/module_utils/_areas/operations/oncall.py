# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PagerDuty: 10.1.5 the on-call schedule exists, rotates among at least ``oncall_min_rotation`` people and someone is
on call in it now; 10.1.4 every person of the rotation has a phone or SMS contact method PagerDuty can page."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.stack_inputs import StackSettings
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.pagerduty import PagerDuty
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import (
    entry,
    missing_problems,
    passed_unless,
)

CONTACTS_ID = "10.1.4"
ONCALL_ID = "10.1.5"
PAGEABLE = ("phone_contact_method", "sms_contact_method")


def oncall_entries(pagerduty: PagerDuty, s: StackSettings) -> list[dict[str, Any]]:
    where = f"{pagerduty.url}/schedules/{s.pagerduty_schedule_id}"
    rotation_threshold = (
        f"schedule {s.pagerduty_schedule_id} rotating among at least {s.oncall_min_rotation} people, someone on "
        "call now"
    )
    contacts_threshold = "every person of the rotation with a phone or SMS contact method"
    schedule = pagerduty.schedule(s.pagerduty_schedule_id)
    if schedule is None:
        detail = f"PagerDuty schedule {s.pagerduty_schedule_id} not found"
        return [
            entry(
                ONCALL_ID, "failed", measured="no schedule", threshold=rotation_threshold, detail=detail, where=where
            ),
            entry(
                CONTACTS_ID, "failed", measured="no schedule", threshold=contacts_threshold, detail=detail, where=where
            ),
        ]
    users = [u for u in schedule.get("users") or [] if isinstance(u, dict)]
    names = {str(u.get("id")): str(u.get("summary") or u.get("id")) for u in users}
    on_call = [o for o in pagerduty.on_call_now(s.pagerduty_schedule_id) if isinstance(o.get("user"), dict)]
    now = [names.get(str(o["user"].get("id")), str(o["user"].get("summary"))) for o in on_call]
    problems = []
    if len(users) < s.oncall_min_rotation:
        problems.append(f"rotation of {len(users)} person(s), fewer than {s.oncall_min_rotation}")
    if not on_call:
        problems.append(f"no one on call now in {schedule.get('name') or s.pagerduty_schedule_id}")
    rotation = passed_unless(
        ONCALL_ID,
        problems,
        lambda: (
            f"{', '.join(now)} on call now in {schedule.get('name')} (rotation of {len(users)}) until "
            f"{on_call[0].get('end')}"
        ),
        measured={
            "schedule": schedule.get("name"),
            "rotation": sorted(names.values()),
            "on_call": now,
            "until": on_call[0].get("end") if on_call else None,
        },
        threshold=rotation_threshold,
        where=where,
    )
    unreachable = []
    for uid, name in names.items():
        methods = pagerduty.contact_methods(uid)
        if not any(m.get("type") in PAGEABLE and m.get("address") for m in methods):
            unreachable.append(name)
    contacts = passed_unless(
        CONTACTS_ID,
        missing_problems(list(names), unreachable, "the rotation has no one", "no phone or SMS contact for"),
        f"{len(names)} person(s) of the rotation reachable by phone or SMS",
        measured={"people": len(names), "without_phone_or_sms": unreachable},
        threshold=contacts_threshold,
        where=where,
    )
    return [rotation, contacts]
