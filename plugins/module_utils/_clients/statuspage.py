# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client of Statuspage's REST API v1: the components of one page, read and (for a post-deployment update) set.

The API key goes into the ``Authorization: OAuth`` header only; messages name the request, never the header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import ApiClient, HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
)

STATUSES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")


class Statuspage(ApiClient):
    """One status page reached with an API key."""

    def __init__(self, url: str, api_key: str, page_id: str, session: Callable[[], HttpSession]) -> None:
        super().__init__(
            url, api_key, session, f"no Statuspage API key for {url}: create one under the page's API info"
        )
        if not page_id:
            raise ConfigurationError("no Statuspage page id is set")
        self.page_id = page_id

    @property
    def where(self) -> str:
        return f"{self.url}/v1/pages/{self.page_id}"

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        url = join_url(self.url, f"/v1/pages/{quote(self.page_id, safe='')}{path}")
        response, answer = self._call(
            method,
            url,
            {"Authorization": f"OAuth {self._key}"},
            f"Statuspage refused the API key on {method} {url}",
            json_body=body,
        )
        if response.status == 404:
            raise ApiError(f"Statuspage {method} {url} answered 404: no such page or component")
        if response.status != 200:
            raise ApiError(f"Statuspage {method} {url} answered {response.status}: {response.text()}")
        return answer

    def components(self) -> list[dict[str, Any]]:
        """The page's components, groups excluded (a group's status is its members')."""
        body = self._request("GET", "/components")
        return [c for c in body or [] if isinstance(c, dict) and not c.get("group")]

    def set_status(self, component_id: str, status: str) -> dict[str, Any]:
        if status not in STATUSES:
            raise ConfigurationError(f"not a Statuspage component status: {status!r} (one of {', '.join(STATUSES)})")
        return self._request("PATCH", f"/components/{quote(component_id, safe='')}", {"component": {"status": status}})
