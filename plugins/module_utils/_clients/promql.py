# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PromQL queries (instant and range) against the Prometheus HTTP API, and reading their results.

"No data" is a result of its own (:attr:`QueryResult.no_data`): an empty
vector, or only NaN samples (a ratio of two zero rates). Callers decide what
it means for them; this module never turns it into a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ApiError


class PromQLError(ApiError):
    """Prometheus refused the query or answered something that is not a query result."""


@dataclass
class Sample:
    labels: dict[str, str]
    value: float


@dataclass
class QueryResult:
    query: str
    result_type: str
    samples: list[Sample] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def no_data(self) -> bool:
        """True when nothing was measured: no series, or only NaN values."""
        return not any(not math.isnan(s.value) for s in self.samples)

    def value(self) -> float | None:
        """The single number of a one-series result; None when there is no data.

        Several series are an error: the query should aggregate (sum, max, ...).
        """
        numbers = [s for s in self.samples if not math.isnan(s.value)]
        if not numbers:
            return None
        if len(numbers) > 1:
            raise PromQLError(
                f"query returned {len(numbers)} series where one number was expected; aggregate it: {self.query}"
            )
        return numbers[0].value


def _number(raw: Any, query: str) -> float:
    try:
        return float(raw[1])
    except (TypeError, ValueError, IndexError) as exc:
        raise PromQLError(f"unexpected sample {raw!r} in the result of {query}") from exc


def parse_response(payload: Any, query: str = "") -> QueryResult:
    """Read the JSON body of /api/v1/query."""
    if not isinstance(payload, dict):
        raise PromQLError(f"Prometheus answered with something that is not a query result for {query}")
    if payload.get("status") != "success":
        kind = payload.get("errorType", "error")
        raise PromQLError(f"Prometheus rejected {query}: {kind}: {payload.get('error', 'no message')}")
    data = payload.get("data")
    if not isinstance(data, dict) or "resultType" not in data:
        raise PromQLError(f"Prometheus answer without data for {query}")
    result_type = data["resultType"]
    result = data.get("result")
    samples: list[Sample] = []
    if result_type == "vector":
        for series in result or []:
            samples.append(Sample(dict(series.get("metric") or {}), _number(series.get("value"), query)))
    elif result_type in ("scalar", "string"):
        if result_type == "scalar":
            samples.append(Sample({}, _number(result, query)))
    elif result_type == "matrix":
        for series in result or []:
            values = series.get("values") or []
            if values:
                samples.append(Sample(dict(series.get("metric") or {}), _number(values[-1], query)))
    else:
        raise PromQLError(f"unknown result type {result_type!r} for {query}")
    return QueryResult(query, result_type, samples, list(payload.get("warnings") or []))


class Prometheus:
    """Instant queries through an HttpSession (one per thread)."""

    def __init__(self, url: str, session: HttpSession, bearer_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.session = session
        self.headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else {}

    def query(self, expr: str, timeout: float | None = None) -> QueryResult:
        return parse_response(self.get("/api/v1/query", {"query": expr}, "query", timeout), expr)

    def get(self, path: str, params: dict[str, str], what: str, timeout: float | None = None) -> Any:
        """The JSON answer of one API call; refused (401, 403) or not JSON is a PromQLError naming ``what``."""
        url = join_url(self.url, path) + "?" + urlencode(params)
        response = self.session.request("GET", url, headers=self.headers, timeout=timeout)
        if response.status in (401, 403):
            raise PromQLError(f"Prometheus at {self.url} refused the {what}: {response.status}")
        try:
            return response.json()
        except ValueError as exc:
            raise PromQLError(
                f"Prometheus at {self.url} answered {response.status} without JSON: {response.text()}"
            ) from exc


@dataclass
class Series:
    """One series of a range query: its labels and its (epoch seconds, value) points, NaN points left out."""

    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)


def parse_range(payload: Any, query: str = "") -> list[Series]:
    """Read the JSON body of /api/v1/query_range (a matrix); an empty list is "no data"."""
    if not isinstance(payload, dict) or payload.get("status") != "success":
        parse_response(payload, query)  # raises with Prometheus's own message
    data = payload.get("data") or {}
    if data.get("resultType") != "matrix":
        raise PromQLError(f"range query answered {data.get('resultType')!r}, not a matrix, for {query}")
    found = []
    for raw in data.get("result") or []:
        points = []
        for point in raw.get("values") or []:
            try:
                stamp, value = float(point[0]), float(point[1])
            except (TypeError, ValueError, IndexError) as exc:
                raise PromQLError(f"unexpected point {point!r} in the result of {query}") from exc
            if not math.isnan(value):
                points.append((stamp, value))
        if points:
            found.append(Series(dict(raw.get("metric") or {}), points))
    return found


def query_range(prom: Prometheus, expr: str, start: float, end: float, step: float) -> list[Series]:
    """A range query from ``start`` to ``end`` (epoch seconds) every ``step`` seconds."""
    params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{max(step, 1.0):g}"}
    return parse_range(prom.get("/api/v1/query_range", params, "range query"), expr)
