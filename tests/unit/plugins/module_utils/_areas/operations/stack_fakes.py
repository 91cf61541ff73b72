"""What the operations stack's unit tests share: the settings from the option table, a live configuration, Kubernetes
reads by API path."""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import stack_inputs

DSN = "https://5f2c8e1a9b7d4c3e8f6a1b2c3d4e5f60@sentry.example.test/42"


def settings(**extra: Any) -> stack_inputs.StackSettings:
    return stack_inputs.StackSettings.from_options(
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


CONFIG = stack_inputs.LiveConfig({"SENTRY_DSN": DSN, "NEW_RELIC_APP_NAME": "backend"}, "configmap ns/app-config")


def ago(seconds: float) -> str:
    return (datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=seconds)).isoformat()


class FakeCluster:
    """Kubernetes reads by API path."""

    def __init__(self, objects: dict[str, Any]) -> None:
        self.objects = objects

    def get(self, _what: str, path: str) -> Any:
        return self.objects.get(path)

    def items(self, what: str, path: str) -> list[dict[str, Any]]:
        return (self.get(what, path) or {}).get("items") or []
