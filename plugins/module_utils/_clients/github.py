# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only client of the GitHub REST API (api.github.com or GitHub Enterprise Server's /api/v3).

Only what a release gate reads: check runs and workflow runs of a commit, workflows and their state,
repository (and environment) secret names, releases, and run artifacts. The token goes into the Authorization
header and nowhere else: messages name the request, never the header; artifact downloads follow GitHub's
redirect to blob storage without the token, as GitHub's documentation requires.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import (
    HttpSession,
    Response,
    join_url,
    split_url,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

API_VERSION = "2022-11-28"
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_NEXT_RE = re.compile(r'<([^>]+)>;\s*rel="next"')
MAX_PAGES = 20
MAX_ARTIFACT_BYTES = 64 << 20


class GitHub:
    """One repository on one GitHub API endpoint; each call opens its own session (thread-safe)."""

    def __init__(self, api_url: str, repository: str, token: str, session: Callable[[], HttpSession]) -> None:
        split_url(api_url)  # a ConfigurationError for anything but an absolute http(s) URL
        if not _REPO_RE.match(repository or ""):
            raise ConfigurationError(f"GitHub repository {repository!r}: give it as owner/name")
        if not token:
            raise ConfigurationError(
                f"no GitHub token for {repository}: set one with read access to Actions, secrets (names) and contents"
            )
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self._token = token
        self._session = session

    @property
    def where(self) -> str:
        return f"{self.api_url}/repos/{self.repository}"

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }

    def _get(self, url: str) -> Response:
        with self._session() as session:
            return session.request("GET", url, headers=self._headers())

    def _fail(self, response: Response, what: str) -> None:
        try:
            message = str(response.json().get("message") or "")
        except (ValueError, AttributeError):
            message = response.text(120)
        if response.status == 401:
            raise ConnectionFailure(
                f"GitHub refused the token for {self.repository} ({message}): "
                "renew the token or fix code_gate_github_token"
            )
        if response.status == 403:
            raise ConnectionFailure(
                f"GitHub denied {what} on {self.repository} (403 {message}): the token needs "
                "read access to Actions, secrets and contents, or the rate limit was hit"
            )
        raise ApiError(f"GitHub answered {response.status} to {what} on {self.repository}: {message}")

    def get(self, path: str, params: dict[str, Any] | None = None, missing_ok: bool = False) -> Any:
        """GET one JSON document under /repos/<owner>/<name>; None for 404 when missing_ok."""
        url = f"{self.where}{path}" + (f"?{urlencode(params)}" if params else "")
        response = self._get(url)
        if response.status == 404 and missing_ok:
            return None
        if response.status != 200:
            self._fail(response, f"GET {path}")
        try:
            return response.json()
        except ValueError as exc:
            raise ApiError(f"GitHub's answer to GET {path} on {self.repository} is not JSON") from exc

    def paged(self, path: str, key: str, params: dict[str, Any] | None = None, limit: int = 0) -> list[Any]:
        """Every element of a paged list (following Link: rel="next"); at most ``limit`` when given."""
        url = f"{self.where}{path}?" + urlencode({"per_page": 100, **(params or {})})
        found: list[Any] = []
        for _page in range(MAX_PAGES):
            response = self._get(url)
            if response.status != 200:
                self._fail(response, f"GET {path}")
            try:
                body = response.json()
            except ValueError as exc:
                raise ApiError(f"GitHub's answer to GET {path} on {self.repository} is not JSON") from exc
            items = body.get(key) if isinstance(body, dict) else body
            found.extend(items or [])
            if limit and len(found) >= limit:
                return found[:limit]
            link = _NEXT_RE.search(response.header("link") or "")
            if not link:
                return found
            url = link.group(1)
        return found

    # -- what the gate reads ----------------------------------------------------------------------------
    def check_runs(self, sha: str) -> list[dict[str, Any]]:
        return self.paged(f"/commits/{sha}/check-runs", "check_runs")

    def workflow_runs(self, sha: str) -> list[dict[str, Any]]:
        return self.paged("/actions/runs", "workflow_runs", {"head_sha": sha})

    def workflows(self) -> list[dict[str, Any]]:
        return self.paged("/actions/workflows", "workflows")

    def runs_of_workflow(self, workflow: str, params: dict[str, Any], limit: int = 1) -> list[dict[str, Any]]:
        return self.paged(f"/actions/workflows/{quote(workflow, safe='')}/runs", "workflow_runs", params, limit)

    def secret_names(self, environment: str = "") -> list[str]:
        path = f"/environments/{quote(environment, safe='')}/secrets" if environment else "/actions/secrets"
        return [s.get("name", "") for s in self.paged(path, "secrets")]

    def release(self, tag: str) -> dict[str, Any] | None:
        return self.get(f"/releases/tags/{quote(tag, safe='')}", missing_ok=True)

    def artifacts(self, run_id: int) -> list[dict[str, Any]]:
        return self.paged(f"/actions/runs/{int(run_id)}/artifacts", "artifacts")

    def artifact_files(self, artifact: dict[str, Any]) -> dict[str, bytes]:
        """The files of an artifact (its zip, unpacked in memory)."""
        url = artifact.get("archive_download_url") or join_url(self.where, f"/actions/artifacts/{artifact['id']}/zip")
        what = f"artifact {artifact.get('name')} ({artifact.get('id')})"
        response = self._get(url)
        if response.status in (301, 302, 303, 307, 308):
            location = response.header("location") or ""
            split_url(location)
            # The signed blob URL carries its own authorization; GitHub's token must not travel there.
            with self._session() as session:
                response = session.request("GET", location, headers={"Accept": "application/zip"})
            if response.status != 200:
                raise ApiError(
                    f"downloading {what} of {self.repository} from {urlsplit(location).netloc} "
                    f"answered {response.status}"
                )
        elif response.status != 200:
            self._fail(response, f"download of {what}")
        if len(response.body) > MAX_ARTIFACT_BYTES:
            raise ApiError(f"{what} of {self.repository} is larger than {MAX_ARTIFACT_BYTES >> 20} MiB")
        try:
            with zipfile.ZipFile(io.BytesIO(response.body)) as archive:
                return {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
        except zipfile.BadZipFile as exc:
            raise ApiError(f"{what} of {self.repository} is not a zip archive") from exc
