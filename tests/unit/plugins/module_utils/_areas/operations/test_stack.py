"""The operations stack's judgements on what the tools answer: each item passes only on a measured answer and fails
with the reason, the Sentry test event is never sent in check mode, and no release means skipped, not passed."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import stack

DSN = "https://5f2c8e1a9b7d4c3e8f6a1b2c3d4e5f60@sentry.example.test/42"


def settings(**extra: Any) -> stack.StackSettings:
    return stack.StackSettings.from_options(
        {
            "sentry_token": "t",
            "sentry_organization": "org",
            "sentry_project": "backend",
            "sentry_event_timeout": 2,
            "newrelic_api_key": "k",
            "statuspage_api_key": "k",
            "statuspage_page_id": "p",
            "sendgrid_api_key": "k",
            "sendgrid_domain": "example.test",
            "sendgrid_templates": ["welcome", "reset"],
            **extra,
        }
    )


CONFIG = stack.LiveConfig({"SENTRY_DSN": DSN, "NEW_RELIC_APP_NAME": "backend"}, "configmap ns/app-config")


class FakeSentry:
    url = "https://sentry.example.test"

    def __init__(self, project: Any = None, keys: Any = None, event: Any = True) -> None:
        self._project = {"id": "42", "slug": "backend"} if project is None else project
        self._keys = [{"name": "Default", "public": "5f2c8e1a9b7d4c3e8f6a1b2c3d4e5f60", "isActive": True}]
        self._keys = self._keys if keys is None else keys
        self._event = event

    def project(self, _slug: str) -> Any:
        return self._project or None

    def keys(self, _slug: str) -> Any:
        return self._keys

    def wait_for_event(self, _slug: str, event_id: str, timeout: float) -> Any:
        return ({"id": event_id}, 1.2) if self._event else (None, timeout)


@pytest.fixture
def sent(monkeypatch):
    calls: list[Any] = []

    def fake_send(dsn, _session, environment, _message):
        calls.append((dsn.envelope_url, environment))
        return 200, "e" * 32, ""

    monkeypatch.setattr(stack, "send_test_event", fake_send)
    return calls


def test_sentry_passes_on_a_test_event_seen_and_skips_it_in_check_mode(sent):
    found = stack.sentry_entry(FakeSentry(), settings(), CONFIG, None, check_mode=False)
    assert found["status"] == "passed" and found["measured"]["seen_after"] == 1.2
    assert sent == [("https://sentry.example.test/api/42/envelope/", "production")]
    found = stack.sentry_entry(FakeSentry(), settings(), CONFIG, None, check_mode=True)
    assert found["status"] == "skipped" and "no test event is sent" in found["detail"]
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("sentry", "config", "reason"),
    [
        (FakeSentry(), stack.LiveConfig({}, "configmap ns/c"), "configmap ns/c has no SENTRY_DSN"),
        (FakeSentry(), stack.LiveConfig({"SENTRY_DSN": "not a dsn"}, "configmap ns/c"), "not a Sentry DSN"),
        (FakeSentry(project={}), CONFIG, "Sentry project backend not found in organization org"),
        (FakeSentry(project={"id": "7", "slug": "backend"}), CONFIG, "points at project id 42, not backend (id 7)"),
        (FakeSentry(keys=[]), CONFIG, "the DSN's key is not a key of the project"),
        (
            FakeSentry(keys=[{"name": "D", "public": "5f2c8e1a9b7d4c3e8f6a1b2c3d4e5f60", "isActive": False}]),
            CONFIG,
            "the DSN's key is disabled",
        ),
        (FakeSentry(event=False), CONFIG, "was accepted but not seen via the API after 2s"),
    ],
)
def test_sentry_fails_with_the_reason(sent, sentry, config, reason):
    found = stack.sentry_entry(sentry, settings(), config, None, check_mode=False)
    assert found["status"] == "failed" and reason in found["detail"]


def test_sentry_and_apm_are_skipped_before_the_first_release():
    none = stack.LiveConfig(None, "configmap ns/app-config")
    assert stack.sentry_entry(FakeSentry(), settings(), none, None, False)["status"] == "skipped"
    assert stack.apm_entry(FakeNewRelic([]), settings(), none)["status"] == "skipped"


class FakeNewRelic:
    url = "https://api.newrelic.test"

    def __init__(self, apps: list[dict[str, Any]]) -> None:
        self.apps = apps

    def applications(self, _name: str) -> list[dict[str, Any]]:
        return self.apps


def ago(seconds: float) -> str:
    return (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)).isoformat()


@pytest.mark.parametrize(
    ("apps", "status", "reason"),
    [
        ([{"name": "backend", "reporting": True, "last_reported_at": ago(30)}], "passed", "reporting, last report"),
        ([], "failed", "New Relic has no APM application backend: the agent never reported"),
        ([{"name": "backend", "reporting": True, "last_reported_at": ago(3600)}], "failed", "backend last reported 1h"),
        ([{"name": "backend", "reporting": False}], "failed", "not reporting; backend has never reported"),
    ],
)
def test_apm_needs_a_recent_report(apps, status, reason):
    found = stack.apm_entry(FakeNewRelic(apps), settings(), CONFIG)
    assert found["status"] == status and reason in found["detail"]


def test_apm_fails_when_the_agent_is_not_configured():
    found = stack.apm_entry(FakeNewRelic([]), settings(), stack.LiveConfig({}, "configmap ns/c"))
    assert found["detail"] == "configmap ns/c has no NEW_RELIC_APP_NAME: the APM agent is not configured"


class FakePage:
    where = "https://statuspage.test/v1/pages/p"

    def __init__(self, components: list[dict[str, Any]]) -> None:
        self._components = components

    def components(self) -> list[dict[str, Any]]:
        return self._components


def test_status_page_needs_every_component_operational():
    ok = [{"name": "API", "status": "operational"}, {"name": "Web", "status": "operational"}]
    assert stack.status_page_entry(FakePage(ok), settings())["status"] == "passed"
    degraded = [{"name": "API", "status": "major_outage"}, {"name": "Web", "status": "operational"}]
    assert stack.status_page_entry(FakePage(degraded), settings())["detail"] == "component API is major_outage"
    assert stack.status_page_entry(FakePage([]), settings())["detail"] == "the page has no component"
    found = stack.status_page_entry(FakePage(ok), settings(statuspage_components=["API", "Payments"]))
    assert found["detail"] == "component Payments missing"


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
    assert stack.sender_domain_entry(FakeSendGrid([domain(True)], []), settings())["status"] == "passed"
    found = stack.sender_domain_entry(FakeSendGrid([domain(False, dkim1=False)], []), settings())
    assert found["detail"] == "sender domain example.test unverified: invalid DNS record(s) dkim1"
    found = stack.sender_domain_entry(FakeSendGrid([], []), settings())
    assert found["detail"] == "sender domain example.test is not authenticated in SendGrid"


def test_every_template_must_exist_with_an_active_version():
    active = [{"name": "welcome", "versions": [{"active": 1, "name": "v1"}]}]
    found = stack.templates_entry(FakeSendGrid([], active), settings())
    assert found["status"] == "failed" and found["detail"] == "template reset missing"
    both = [*active, {"name": "reset", "versions": [{"active": 0, "name": "v1"}]}]
    found = stack.templates_entry(FakeSendGrid([], both), settings())
    assert found["detail"] == "template reset has no active version"
    both[1]["versions"][0]["active"] = 1
    assert stack.templates_entry(FakeSendGrid([], both), settings())["status"] == "passed"


class FakeCluster:
    """Kubernetes reads by API path."""

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = objects

    def get(self, _what: str, path: str) -> Any:
        return self.objects.get(path)

    def items(self, what: str, path: str) -> list[dict[str, Any]]:
        return (self.get(what, path) or {}).get("items") or []


def test_unconfigured_tools_fail_naming_the_setting():
    s = settings(sentry_token="", newrelic_api_key="", statuspage_page_id="", sendgrid_api_key="")
    found = {e["id"]: e for e in stack.check_stack(s, None, FakeCluster({}), check_mode=True)}
    assert {i: e["status"] for i, e in found.items()} == {
        **dict.fromkeys(("6.3.1", "6.3.2", "6.4.1", "5.3.2", "5.3.4", "5.4.2", "10.1.4", "10.1.5"), "failed"),
        "7.1.4": "skipped",
    }
    assert "operations_sentry_token" in found["6.3.1"]["detail"]
    assert "operations_statuspage_page_id" in found["6.4.1"]["detail"]
    assert "operations_logsink_url" in found["5.4.2"]["detail"]
    assert "requires no service mesh" in found["7.1.4"]["detail"]
    assert "operations_pagerduty_schedule_id" in found["10.1.5"]["detail"]


class FakeIndex:
    where = "https://logs.test/logs-*/_count"

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.asked: list[Any] = []

    def count(self, terms: dict[str, str], since: str) -> int:
        self.asked.append((terms, since))
        return self.lines


NODES = {"items": [{"metadata": {"name": f"n{i}"}, "spec": {}} for i in range(3)] + [{"spec": {"unschedulable": True}}]}
DS = "/apis/apps/v1/namespaces/logging/daemonsets/fluent-bit"


def daemonset(desired: int, ready: int) -> dict[str, Any]:
    return {"status": {"desiredNumberScheduled": desired, "numberReady": ready}}


def test_logs_pass_with_a_shipper_on_every_node_and_lines_in_the_sink():
    index = FakeIndex(120)
    found = stack.logs_entry(FakeCluster({"/api/v1/nodes": NODES, DS: daemonset(3, 3)}), index, settings())
    assert found["status"] == "passed", found
    assert index.asked == [({"kubernetes.namespace_name": "sme-platform"}, "now-900s")]


@pytest.mark.parametrize(
    ("objects", "lines", "reason"),
    [
        ({DS: daemonset(1, 1)}, 5, "shipper not on every node: scheduled on 1 of 3 node(s)"),
        ({DS: daemonset(3, 2)}, 5, "2 of 3 shipper pod(s) ready"),
        ({}, 5, "no log shipper: daemonset logging/fluent-bit not found"),
        ({DS: daemonset(3, 3)}, 0, "the sink has no line of namespace sme-platform in the last 15m"),
    ],
)
def test_logs_fail_with_the_reason(objects, lines, reason):
    found = stack.logs_entry(FakeCluster({"/api/v1/nodes": NODES, **objects}), FakeIndex(lines), settings())
    assert found["status"] == "failed" and reason in found["detail"]


def mesh_objects(sidecar: bool = True, crds: bool = True, strict: bool = True) -> dict[str, Any]:
    objects: dict[str, Any] = {
        "/api/v1/namespaces/sme-platform": {"metadata": {"labels": {"istio-injection": "enabled"}}},
        "/api/v1/namespaces/sme-platform/pods": {
            "items": [
                {
                    "metadata": {"name": "backend-1"},
                    "status": {"phase": "Running"},
                    "spec": {"containers": [{"name": "backend"}] + ([{"name": "istio-proxy"}] if sidecar else [])},
                }
            ]
        },
        "/apis/security.istio.io/v1beta1/namespaces/istio-system/peerauthentications": {
            "items": [{"spec": {"mtls": {"mode": "STRICT" if strict else "PERMISSIVE"}}}]
        },
    }
    if crds:
        for name in stack.ISTIO_CRDS:
            objects[f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}"] = {"metadata": {"name": name}}
    return objects


def test_a_required_mesh_passes_only_with_crds_sidecars_and_strict_mtls():
    required = settings(mesh_required=True)
    assert stack.mesh_entry(FakeCluster(mesh_objects()), required)["status"] == "passed"
    found = stack.mesh_entry(FakeCluster(mesh_objects(sidecar=False, strict=False)), required)
    assert found["detail"] == (
        "1 of 1 pod(s) without the istio-proxy sidecar: backend-1; "
        "no PeerAuthentication with mTLS STRICT in sme-platform or istio-system"
    )
    found = stack.mesh_entry(FakeCluster(mesh_objects(crds=False)), required)
    assert found["detail"].startswith("Istio CRDs missing: destinationrules.networking.istio.io")
    assert stack.mesh_entry(FakeCluster({}), settings())["status"] == "skipped"


class WritablePage:
    """A page whose components the status_page writer may set."""

    page_id = "p"
    where = "https://statuspage.test/v1/pages/p"

    def __init__(self, statuses: dict[str, str]) -> None:
        self.statuses = dict(statuses)
        self.writes: list[tuple[str, str]] = []

    def components(self) -> list[dict[str, Any]]:
        return [{"id": name, "name": name, "status": status} for name, status in self.statuses.items()]

    def set_status(self, component_id: str, status: str) -> None:
        self.writes.append((component_id, status))
        self.statuses[component_id] = status


PAGE_PARAMS = {
    "statuspage_url": "https://statuspage.test",
    "statuspage_api_key": "k",
    "statuspage_page_id": "p",
    "components": [],
    "lift_maintenance": True,
}


def update(monkeypatch, page: WritablePage, check_mode: bool) -> dict[str, Any]:
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import status_page

    monkeypatch.setattr(status_page, "Statuspage", lambda *_args: page)
    return status_page.update_status_page(PAGE_PARAMS, None, check_mode)


def test_maintenance_is_lifted_in_a_real_run_only(monkeypatch):
    page = WritablePage({"API": "under_maintenance", "Web": "operational"})
    result = update(monkeypatch, page, check_mode=True)
    assert result["changed"] and page.writes == [] and result["evidence"][0]["status"] == "skipped"
    assert result["diff"]["after"] == {"API": "operational", "Web": "operational"}
    result = update(monkeypatch, page, check_mode=False)
    assert result["changed"] and page.writes == [("API", "operational")]
    assert result["evidence"][0]["status"] == "passed"
    assert not update(monkeypatch, page, check_mode=False)["changed"]


def test_an_incident_is_never_overwritten_and_fails_the_item(monkeypatch):
    page = WritablePage({"API": "partial_outage", "Web": "under_maintenance"})
    result = update(monkeypatch, page, check_mode=False)
    assert page.writes == [("Web", "operational")]
    assert result["evidence"][0]["status"] == "failed"
    assert (
        result["evidence"][0]["detail"]
        == "component API is partial_outage: an open incident, left to the on-call engineer"
    )


def test_the_error_review_counts_unresolved_issues_of_the_levels_seen_in_the_period(monkeypatch):
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import errors

    issues = [
        {"shortId": "B-1", "title": "TypeError", "level": "error", "count": "42", "lastSeen": ago(3600)},
        {"shortId": "B-2", "title": "Slow query", "level": "warning", "count": "9", "lastSeen": ago(3600)},
        {"shortId": "B-3", "title": "Old", "level": "error", "count": "1", "lastSeen": ago(30 * 86400)},
    ]

    class Project:
        url = "https://sentry.test"

        def __init__(self, *_args: Any) -> None:
            pass

        def unresolved_issues(self, _project: str, period: str) -> list[dict[str, Any]]:
            assert period == "168h"
            return issues

    monkeypatch.setattr(errors, "Sentry", Project)
    params = {
        "sentry_url": "https://sentry.test",
        "sentry_token": "t",
        "sentry_organization": "org",
        "sentry_project": "backend",
        "period": "7d",
        "levels": ["error", "fatal"],
        "max_unresolved": 0,
    }
    [found] = errors.review_errors(params, None)
    assert found["status"] == "failed"
    assert found["detail"] == "1 unresolved error/fatal issue(s) seen in the last 7d: B-1 TypeError (42 events)"
    [found] = errors.review_errors({**params, "max_unresolved": 1}, None)
    assert found["status"] == "passed"


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
    rotation, contacts = stack.oncall_entries(FakePagerDuty(["asha", "ravi"], ["asha"], {"asha", "ravi"}), s)
    assert (rotation["status"], contacts["status"]) == ("passed", "passed")
    assert rotation["detail"] == "Asha on call now in Primary (rotation of 2) until 2026-12-07T03:30:00Z"
    rotation, contacts = stack.oncall_entries(FakePagerDuty(["asha"], [], {"ravi"}), s)
    assert rotation["detail"] == "rotation of 1 person(s), fewer than 2; no one on call now in Primary"
    assert contacts["detail"] == "no phone or SMS contact for: Asha"
    rotation, contacts = stack.oncall_entries(FakePagerDuty(None, [], set()), s)
    assert rotation["detail"] == contacts["detail"] == "PagerDuty schedule P1 not found"
