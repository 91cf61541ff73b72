# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only client of Grafana's HTTP API (Grafana 9 and later).

Only what the operations checks read: health, data sources and their health check, dashboards by uid, the
organisation's users and teams. The service account token goes into the Authorization header and nowhere else:
messages name the request, never the header.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import ApiClient, HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
)


class Grafana(ApiClient):
    """One Grafana organisation reached with a service account token; each call opens its own session."""

    def __init__(self, url: str, token: str, session: Callable[[], HttpSession]) -> None:
        super().__init__(
            url,
            token,
            session,
            f"no Grafana token for {url}: set a service account token with the Viewer role and "
            "the permission to read users, teams and data sources (org Admin)",
        )

    def get(self, path: str, authenticated: bool = True) -> tuple[int, Any]:
        """(status, JSON body or None) of GET path; a refused token is a ConnectionFailure naming the request."""
        url = join_url(self.url, path)
        response, body = self._call(
            "GET",
            url,
            {"Authorization": f"Bearer {self._key}"} if authenticated else {},
            # an anonymous request's refusal is an answer: it is what the anonymous-access check looks for
            f"Grafana refused the token on GET {url}" if authenticated else "",
            "give the service account the org Admin role (users, teams and data sources are read)",
        )
        return response.status, body

    def _ok(self, path: str) -> Any:
        status, body = self.get(path)
        if status != 200:
            raise ApiError(f"Grafana GET {self.url}{path} answered {status}: {_message(body)}")
        return body

    def health(self) -> tuple[int, dict[str, Any]]:
        status, body = self.get("/api/health", authenticated=False)
        return status, body if isinstance(body, dict) else {}

    def datasources(self) -> list[dict[str, Any]]:
        body = self._ok("/api/datasources")
        return body if isinstance(body, list) else []

    def datasource_health(self, uid: str) -> tuple[bool, str]:
        """Grafana's own health check of a data source (it queries the source): (healthy, Grafana's message)."""
        status, body = self.get(f"/api/datasources/uid/{quote(uid, safe='')}/health")
        message = _message(body)
        healthy = status == 200 and isinstance(body, dict) and str(body.get("status", "")).upper() == "OK"
        return healthy, message or f"HTTP {status}"

    def dashboard(self, uid: str) -> dict[str, Any] | None:
        """The dashboard's model, or None when Grafana has no dashboard with that uid."""
        status, body = self.get(f"/api/dashboards/uid/{quote(uid, safe='')}")
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"Grafana GET {self.url}/api/dashboards/uid/{uid} answered {status}: {_message(body)}")
        return body.get("dashboard") or {}

    def org_users(self) -> list[dict[str, Any]]:
        body = self._ok("/api/org/users")
        return body if isinstance(body, list) else []

    def teams(self) -> list[dict[str, Any]]:
        body = self._ok("/api/teams/search?" + urlencode({"perpage": 1000, "page": 1}))
        return (body or {}).get("teams") or [] if isinstance(body, dict) else []

    def anonymous_status(self) -> int:
        """Status of an unauthenticated read of the dashboard list: 401 when anonymous access is off."""
        status, _unused = self.get("/api/search?" + urlencode({"limit": 1}), authenticated=False)
        return status


def _message(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or "")[:200]
    return ""


def panel_titles(dashboard: dict[str, Any]) -> list[str]:
    """Titles of every panel of a dashboard model, those inside collapsed rows included (rows themselves not)."""
    found: list[str] = []

    def walk(panels: Any) -> None:
        for panel in panels or []:
            if not isinstance(panel, dict):
                continue
            if panel.get("type") != "row" and panel.get("title"):
                found.append(str(panel["title"]))
            walk(panel.get("panels"))

    walk(dashboard.get("panels"))
    for row in dashboard.get("rows") or []:  # the schema before Grafana 5, still accepted on import
        if isinstance(row, dict):
            walk(row.get("panels"))
    return found
