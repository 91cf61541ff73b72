# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only client of New Relic's REST API v2: the APM applications of an account, by name.

The user key (``NRAK-…``) goes into the X-Api-Key header only; messages name the request, never the header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import ApiClient, HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
)


class NewRelic(ApiClient):
    """One New Relic account reached with a user key."""

    def __init__(self, url: str, api_key: str, session: Callable[[], HttpSession]) -> None:
        super().__init__(
            url, api_key, session, f"no New Relic user key for {url}: create a user key (NRAK-…) of the account"
        )

    def applications(self, name: str) -> list[dict[str, Any]]:
        """The APM applications whose name is exactly ``name`` (New Relic's filter matches parts of names)."""
        url = join_url(self.url, "/v2/applications.json?" + urlencode({"filter[name]": name}))
        where = join_url(self.url, "/v2/applications.json")
        response, body = self._call(
            "GET",
            url,
            {"X-Api-Key": self._key},
            f"New Relic refused the user key on GET {where}",
            "use a user key of the account",
        )
        if response.status != 200 or not isinstance(body, dict):
            raise ApiError(f"New Relic GET {where} answered {response.status}: {response.text()}")
        return [a for a in body.get("applications") or [] if isinstance(a, dict) and a.get("name") == name]
