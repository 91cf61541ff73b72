# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only client of PagerDuty's REST API v2: a schedule, who is on call in it now, a user's contact methods.

The API key goes into the ``Authorization: Token token=`` header only; messages name the request, never the header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import ApiClient, HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
)

ACCEPT = "application/vnd.pagerduty+json;version=2"


class PagerDuty(ApiClient):
    """One PagerDuty account reached with a REST API key (read-only access suffices)."""

    def __init__(self, url: str, api_key: str, session: Callable[[], HttpSession]) -> None:
        super().__init__(url, api_key, session, f"no PagerDuty API key for {url}: create a read-only REST API key")

    def _get(self, path: str) -> tuple[int, Any]:
        url = join_url(self.url, path)
        response, body = self._call(
            "GET",
            url,
            {"Authorization": f"Token token={self._key}", "Accept": ACCEPT},
            f"PagerDuty refused the API key on GET {url.split('?', maxsplit=1)[0]}",
        )
        return response.status, body

    def schedule(self, schedule_id: str) -> dict[str, Any] | None:
        status, body = self._get(f"/schedules/{quote(schedule_id, safe='')}")
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"PagerDuty GET {self.url}/schedules/{schedule_id} answered {status}")
        return body.get("schedule") or {}

    def on_call_now(self, schedule_id: str) -> list[dict[str, Any]]:
        status, body = self._get("/oncalls?" + urlencode({"schedule_ids[]": schedule_id}))
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"PagerDuty GET {self.url}/oncalls answered {status}")
        return [o for o in body.get("oncalls") or [] if isinstance(o, dict)]

    def contact_methods(self, user_id: str) -> list[dict[str, Any]]:
        status, body = self._get(f"/users/{quote(user_id, safe='')}/contact_methods")
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"PagerDuty GET {self.url}/users/{user_id}/contact_methods answered {status}")
        return [m for m in body.get("contact_methods") or [] if isinstance(m, dict)]
