"""6.3.1 and 6.3.2 on what Sentry and New Relic answer: each passes only on a measured answer and fails with the
reason, the Sentry test event is never sent in check mode, and no release means skipped, not passed."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import stack_inputs, tracking

from .stack_fakes import CONFIG, ago, settings


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

    monkeypatch.setattr(tracking, "send_test_event", fake_send)
    return calls


def test_sentry_passes_on_a_test_event_seen_and_skips_it_in_check_mode(sent):
    found = tracking.sentry_entry(FakeSentry(), settings(), CONFIG, None, check_mode=False)
    assert found["status"] == "passed" and found["measured"]["seen_after"] == 1.2
    assert sent == [("https://sentry.example.test/api/42/envelope/", "production")]
    found = tracking.sentry_entry(FakeSentry(), settings(), CONFIG, None, check_mode=True)
    assert found["status"] == "skipped" and "no test event is sent" in found["detail"]
    assert len(sent) == 1


@pytest.mark.parametrize(
    ("sentry", "config", "reason"),
    [
        (FakeSentry(), stack_inputs.LiveConfig({}, "configmap ns/c"), "configmap ns/c has no SENTRY_DSN"),
        (FakeSentry(), stack_inputs.LiveConfig({"SENTRY_DSN": "not a dsn"}, "configmap ns/c"), "not a Sentry DSN"),
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
    found = tracking.sentry_entry(sentry, settings(), config, None, check_mode=False)
    assert found["status"] == "failed" and reason in found["detail"]


def test_sentry_and_apm_are_skipped_before_the_first_release():
    none = stack_inputs.LiveConfig(None, "configmap ns/app-config")
    assert tracking.sentry_entry(FakeSentry(), settings(), none, None, False)["status"] == "skipped"
    assert tracking.apm_entry(FakeNewRelic([]), settings(), none)["status"] == "skipped"


class FakeNewRelic:
    url = "https://api.newrelic.test"

    def __init__(self, apps: list[dict[str, Any]]) -> None:
        self.apps = apps

    def applications(self, _name: str) -> list[dict[str, Any]]:
        return self.apps


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
    found = tracking.apm_entry(FakeNewRelic(apps), settings(), CONFIG)
    assert found["status"] == status and reason in found["detail"]


def test_apm_fails_when_the_agent_is_not_configured():
    found = tracking.apm_entry(FakeNewRelic([]), settings(), stack_inputs.LiveConfig({}, "configmap ns/c"))
    assert found["detail"] == "configmap ns/c has no NEW_RELIC_APP_NAME: the APM agent is not configured"
