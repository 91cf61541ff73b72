"""The operations stack's batch and 6.4.1: a tool that is not configured fails its items naming the setting, and the
status page passes only with every component operational."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import stack

from .stack_fakes import FakeCluster, settings


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
