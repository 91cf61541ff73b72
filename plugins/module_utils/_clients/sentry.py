# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client of Sentry: its Web API (``/api/0/``, an organization auth token) and its ingestion endpoint (a DSN).

What the error tracking checks need: a project and its client keys, one event sent through a DSN (an envelope, as
the SDKs send it) and read back once Sentry has processed it, and the project's unresolved issues. The auth token
goes into the Authorization header only; a DSN's public key is not a secret (Sentry ships it in browser bundles), but
messages name the project and the host, never the key.
"""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import ApiClient, HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
)

CLIENT = "smeplatform.deploy/1"


@dataclass(frozen=True)
class Dsn:
    """A Sentry DSN taken apart: ``https://<public key>@<host>[/<path>]/<project id>``."""

    scheme: str
    public_key: str
    netloc: str
    path: str
    project_id: str

    @classmethod
    def parse(cls, dsn: str) -> Dsn:
        parts = urlsplit(dsn.strip())
        segments = [s for s in parts.path.split("/") if s]
        if parts.scheme not in ("http", "https") or not parts.username or not parts.hostname or not segments:
            raise ConfigurationError("not a Sentry DSN (https://<public key>@<host>/<project id>)")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        return cls(parts.scheme, parts.username, netloc, "/".join(segments[:-1]), segments[-1])

    @property
    def host(self) -> str:
        return f"{self.scheme}://{self.netloc}"

    @property
    def envelope_url(self) -> str:
        prefix = f"/{self.path}" if self.path else ""
        return f"{self.host}{prefix}/api/{self.project_id}/envelope/"


class Sentry(ApiClient):
    """One Sentry organization reached with an auth token; each call opens its own session."""

    def __init__(self, url: str, token: str, organization: str, session: Callable[[], HttpSession]) -> None:
        super().__init__(
            url,
            token,
            session,
            f"no Sentry auth token for {url}: create an organization auth token with project:read and event:read",
        )
        if not organization:
            raise ConfigurationError("no Sentry organization slug is set")
        self.organization = organization

    def _get(self, path: str) -> tuple[int, Any]:
        url = join_url(self.url, path)
        response, body = self._call(
            "GET",
            url,
            {"Authorization": f"Bearer {self._key}"},
            f"Sentry refused the auth token on GET {url}",
            "use an organization auth token with project:read and event:read",
        )
        return response.status, body

    def _project_path(self, project: str) -> str:
        return f"/api/0/projects/{quote(self.organization, safe='')}/{quote(project, safe='')}/"

    def project(self, project: str) -> dict[str, Any] | None:
        """The project, or None when the organization has no project with that slug."""
        status, body = self._get(self._project_path(project))
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"Sentry GET {self.url}{self._project_path(project)} answered {status}: {_detail(body)}")
        return body

    def keys(self, project: str) -> list[dict[str, Any]]:
        path = self._project_path(project) + "keys/"
        status, body = self._get(path)
        if status != 200 or not isinstance(body, list):
            raise ApiError(f"Sentry GET {self.url}{path} answered {status}: {_detail(body)}")
        return [k for k in body if isinstance(k, dict)]

    def event(self, project: str, event_id: str) -> dict[str, Any] | None:
        """The processed event, or None while Sentry does not have it (yet)."""
        path = self._project_path(project) + f"events/{quote(event_id, safe='')}/"
        status, body = self._get(path)
        if status == 404:
            return None
        if status != 200 or not isinstance(body, dict):
            raise ApiError(f"Sentry GET {self.url}{path} answered {status}: {_detail(body)}")
        return body

    def wait_for_event(self, project: str, event_id: str, timeout: float, interval: float = 1.0) -> tuple[Any, float]:
        """(the event or None, seconds waited): polls until Sentry has processed the event or the time is up."""
        started = time.monotonic()
        while True:
            found = self.event(project, event_id)
            waited = time.monotonic() - started
            if found is not None or waited >= timeout:
                return found, waited
            time.sleep(min(interval, max(0.0, timeout - waited)))

    def unresolved_issues(self, project: str, period: str) -> list[dict[str, Any]]:
        path = self._project_path(project) + "issues/?" + urlencode({"query": "is:unresolved", "statsPeriod": period})
        status, body = self._get(path)
        if status != 200 or not isinstance(body, list):
            raise ApiError(f"Sentry GET {self.url}{path.split('?', maxsplit=1)[0]} answered {status}: {_detail(body)}")
        return [i for i in body if isinstance(i, dict)]


def send_test_event(
    dsn: Dsn, session: Callable[[], HttpSession], environment: str, message: str
) -> tuple[int, str, str]:
    """Send one info-level event through the DSN as an envelope: (HTTP status, event id, Sentry's detail)."""
    event_id = uuid.uuid4().hex
    sent_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    event = {
        "event_id": event_id,
        "timestamp": sent_at,
        "platform": "other",
        "level": "info",
        "logger": "smeplatform.deploy",
        "environment": environment or None,
        "message": message,
        "tags": {"source": "smeplatform.deploy"},
    }
    payload = "\n".join(
        json.dumps(part)
        for part in (
            {"event_id": event_id, "sent_at": sent_at},
            {"type": "event"},
            {k: v for k, v in event.items() if v},
        )
    ).encode()
    auth = f"Sentry sentry_version=7, sentry_client={CLIENT}, sentry_key={dsn.public_key}"
    with session() as s:
        response = s.request(
            "POST",
            dsn.envelope_url,
            headers={"X-Sentry-Auth": auth, "Content-Type": "application/x-sentry-envelope"},
            body=payload,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    return response.status, event_id, _detail(body) or response.text()


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or "")[:200]
    return ""
