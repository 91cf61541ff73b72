# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Error tracking and APM, read from the platform's live configuration and each vendor's API:

- 6.3.1 Sentry: the DSN the ConfigMap names belongs to the project with an active key, and a test event sent through
  it is read back through Sentry's API (in check mode no event is sent: the item is skipped after the reads);
- 6.3.2 New Relic: the APM application the ConfigMap names reports, its last report younger than
  ``apm_max_report_age``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.stack_inputs import (
    LiveConfig,
    StackSettings,
    not_deployed,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.newrelic import NewRelic
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.sentry import Dsn, Sentry, send_test_event
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_unless
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import (
    age_seconds,
    human_duration,
    parse_time,
)

SENTRY_ID = "6.3.1"
APM_ID = "6.3.2"


def sentry_entry(
    sentry: Sentry, s: StackSettings, config: LiveConfig, session: Callable[[], HttpSession], check_mode: bool
) -> dict[str, Any]:
    threshold = (
        f"{s.sentry_dsn_key} in the platform's settings names a DSN of project {s.sentry_organization}/"
        f"{s.sentry_project} with an active key; a test event through it accepted and seen via the API within "
        f"{human_duration(s.sentry_event_timeout)}"
    )
    if config.data is None:
        return not_deployed(SENTRY_ID, config, threshold)
    where = f"{sentry.url}/api/0/projects/{s.sentry_organization}/{s.sentry_project}/"

    def failed(detail: str, measured: Any) -> dict[str, Any]:
        return entry(SENTRY_ID, "failed", measured=measured, threshold=threshold, detail=detail, where=where)

    raw = (config.data.get(s.sentry_dsn_key) or "").strip()
    if not raw:
        return failed(f"{config.where} has no {s.sentry_dsn_key}: the platform reports no error to Sentry", "no DSN")
    try:
        dsn = Dsn.parse(raw)
    except ConfigurationError as exc:
        return failed(f"{s.sentry_dsn_key} in {config.where}: {exc}", "invalid DSN")
    project = sentry.project(s.sentry_project)
    if project is None:
        return failed(
            f"Sentry project {s.sentry_project} not found in organization {s.sentry_organization}", "no project"
        )
    measured: dict[str, Any] = {"project": project.get("slug"), "project_id": str(project.get("id")), "dsn": dsn.host}
    if str(project.get("id")) != dsn.project_id:
        return failed(
            f"{s.sentry_dsn_key} points at project id {dsn.project_id}, not {s.sentry_project} "
            f"(id {project.get('id')})",
            measured,
        )
    keys = sentry.keys(s.sentry_project)
    key = next((k for k in keys if k.get("public") == dsn.public_key), None)
    measured["key"] = key.get("name") if key else None
    if key is None or not key.get("isActive"):
        state = "is disabled" if key else "is not a key of the project"
        return failed(f"the DSN's key {state} ({s.sentry_project} has {len(keys)} key(s))", measured)
    if check_mode:
        return entry(
            SENTRY_ID,
            "skipped",
            measured=measured,
            threshold=threshold,
            detail=f"DSN of {s.sentry_project} with an active key; in check mode no test event is sent "
            "(a write to Sentry): a real run sends one",
            where=where,
        )
    status, event_id, detail = send_test_event(
        dsn, session, s.sentry_environment, "smeplatform.deploy: error tracking check (test event)"
    )
    measured["event_id"] = event_id
    if status != 200:
        return failed(f"Sentry refused the test event at {dsn.host}: HTTP {status} {detail}".strip(), measured)
    seen, waited = sentry.wait_for_event(s.sentry_project, event_id, s.sentry_event_timeout)
    measured["seen_after"] = round(waited, 1) if seen else None
    if seen is None:
        return failed(
            f"test event {event_id} was accepted but not seen via the API after {human_duration(waited)}", measured
        )
    return entry(
        SENTRY_ID,
        "passed",
        measured=measured,
        threshold=threshold,
        detail=f"test event {event_id} accepted and seen in {s.sentry_project} after {waited:.1f}s",
        where=where,
    )


def _age(stamp: Any) -> float | None:
    age = age_seconds(parse_time(stamp))
    return None if age is None else max(0.0, age)


def apm_entry(newrelic: NewRelic, s: StackSettings, config: LiveConfig) -> dict[str, Any]:
    threshold = (
        f"{s.newrelic_app_name_key} in the platform's settings names a New Relic APM application that reports, "
        f"its last report younger than {human_duration(s.apm_max_report_age)}"
    )
    if config.data is None:
        return not_deployed(APM_ID, config, threshold)
    where = f"{newrelic.url}/v2/applications.json"
    name = (config.data.get(s.newrelic_app_name_key) or "").strip()
    if not name:
        return entry(
            APM_ID,
            "failed",
            measured="no agent",
            threshold=threshold,
            detail=f"{config.where} has no {s.newrelic_app_name_key}: the APM agent is not configured",
            where=where,
        )
    apps = newrelic.applications(name)
    if not apps:
        return entry(
            APM_ID,
            "failed",
            measured={"application": name, "found": False},
            threshold=threshold,
            detail=f"New Relic has no APM application {name}: the agent never reported",
            where=where,
        )
    app = apps[0]
    age = _age(app.get("last_reported_at")) if app.get("last_reported_at") else None
    measured = {
        "application": name,
        "id": app.get("id"),
        "language": app.get("language"),
        "reporting": app.get("reporting"),
        "health_status": app.get("health_status"),
        "last_report_age": human_duration(age) if age is not None else None,
        "instances": (app.get("application_summary") or {}).get("instance_count"),
    }
    problems = []
    if app.get("reporting") is not True:
        problems.append(f"New Relic shows {name} as not reporting")
    if age is None:
        problems.append(f"{name} has never reported")
    elif age > s.apm_max_report_age:
        problems.append(f"{name} last reported {human_duration(age)} ago")
    return passed_unless(
        APM_ID,
        problems,
        f"{name} ({app.get('language')}) reporting, last report {human_duration(age or 0)} ago, "
        f"health {app.get('health_status')}",
        measured=measured,
        threshold=threshold,
        where=where,
    )
