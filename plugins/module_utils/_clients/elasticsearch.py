# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A read-only client of Elasticsearch's Count API (Elasticsearch, Elastic Cloud, OpenSearch alike): how many log
lines an index pattern holds for some field values since a moment.

The API key (the encoded form Kibana shows) goes into the ``Authorization: ApiKey`` header only; messages name the
request, never the header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import ApiClient, HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
)


class LogIndex(ApiClient):
    """An index pattern of a log cluster reached with an API key."""

    def __init__(self, url: str, api_key: str, index: str, session: Callable[[], HttpSession]) -> None:
        super().__init__(
            url, api_key, session, f"no API key for the log sink {url}: create one allowed to read {index or '*'}"
        )
        self.index = index or "*"

    @property
    def where(self) -> str:
        return f"{self.url}/{self.index}/_count"

    def count(self, terms: Mapping[str, str], since: str) -> int:
        """Lines matching every term whose @timestamp is at or after ``since`` (date math such as ``now-15m``)."""
        query: dict[str, Any] = {
            "query": {
                "bool": {
                    "filter": [{"term": {field: value}} for field, value in terms.items()]
                    + [{"range": {"@timestamp": {"gte": since}}}]
                }
            }
        }
        url = join_url(self.url, f"/{quote(self.index, safe='*,')}/_count")
        response, body = self._call(
            "POST",
            url,
            {"Authorization": f"ApiKey {self._key}"},
            f"the log sink refused the API key on POST {url}",
            json_body=query,
        )
        if response.status != 200 or not isinstance(body, dict) or not isinstance(body.get("count"), int):
            reason = ((body or {}).get("error") or {}).get("reason") if isinstance(body, dict) else None
            raise ApiError(f"the log sink's POST {url} answered {response.status}: {reason or response.text()}")
        return body["count"]
