"""post.day1.2: maintenance is lifted in a real run only, an incident is never overwritten and fails the item."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import status_page


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
