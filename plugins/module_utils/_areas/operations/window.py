# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment window (the checklist's "Recommended Window: Weekend, low-traffic hours"): a deploy may start only
inside one of the environment's windows (days of the week and a time span in the environment's time zone) and while
the platform's current traffic, measured with PromQL, is at most a threshold; or when an override names a reason,
which the evidence carries into the report.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Prometheus
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings

WINDOW_ID = "deploy.window"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# "24:00" as an end: the last instant of the day, so that every minute of the day is inside.
END_OF_DAY = datetime.time.max


@dataclass(frozen=True)
class Span:
    days: tuple[int, ...]
    start: datetime.time
    end: datetime.time

    def contains(self, local: datetime.datetime) -> bool:
        """Inside when the local time is in [start, end) on one of the days; end before start runs past midnight
        (the part after midnight belongs to the day the span started)."""
        clock = local.time().replace(second=0, microsecond=0)
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= clock < self.end
        if clock >= self.start:
            return local.weekday() in self.days
        return (local.weekday() - 1) % 7 in self.days and clock < self.end

    def describe(self) -> str:
        days = ",".join(DAYS[d] for d in self.days)
        end = "24:00" if self.end == END_OF_DAY else f"{self.end:%H:%M}"
        return f"{days} {self.start:%H:%M}-{end}"


def _clock(value: Any, what: str) -> datetime.time:
    text = str(value).strip()
    if what == "end" and text == "24:00":
        return END_OF_DAY
    match = _TIME_RE.match(text)
    if not match:
        raise ConfigurationError(f"deployment window {what} {value!r}: give it as HH:MM (24 hours)")
    return datetime.time(int(match.group(1)), int(match.group(2)))


def spans(windows: list[Mapping[str, Any]]) -> tuple[Span, ...]:
    found = []
    for window in windows:
        days = []
        for day in window.get("days") or []:
            key = str(day).strip().lower()[:3]
            if key not in DAYS:
                raise ConfigurationError(f"deployment window day {day!r}: use mon, tue, wed, thu, fri, sat or sun")
            days.append(DAYS.index(key))
        if not days:
            raise ConfigurationError("a deployment window needs at least one day")
        start, end = _clock(window.get("start"), "start"), _clock(window.get("end"), "end")
        if start == end:
            raise ConfigurationError(f"deployment window {start:%H:%M}-{end:%H:%M} is empty: end it later")
        found.append(Span(tuple(sorted(set(days))), start, end))
    return tuple(found)


@dataclass(frozen=True)
class WindowSettings:
    windows: tuple[Span, ...]
    timezone: str
    prometheus_url: str
    traffic_query: str
    max_traffic: float
    override: str

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> WindowSettings:
        p = settings(options.deploy_window()["argument_spec"], params)
        try:
            ZoneInfo(p["timezone"])
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigurationError(
                f"unknown time zone {p['timezone']!r}: use an IANA name such as Asia/Kolkata"
            ) from exc
        if not p["windows"]:
            raise ConfigurationError("no deployment window is set: list the days and hours deploys may start")
        return build(cls, p, windows=spans(p["windows"]), override=str(p["override"] or "").strip())


def check_window(
    s: WindowSettings,
    session_factory: Callable[[], HttpSession],
    now: datetime.datetime | None = None,
) -> tuple[dict[str, Any], bool]:
    """(evidence of deploy.window, whether the deploy may start)."""
    local = (now or datetime.datetime.now(datetime.UTC)).astimezone(ZoneInfo(s.timezone))
    stamp = f"{DAYS[local.weekday()]} {local:%Y-%m-%d %H:%M} {s.timezone}"
    inside = [w.describe() for w in s.windows if w.contains(local)]
    traffic: float | None = None
    problem = ""
    try:
        with session_factory() as session:
            traffic = Prometheus(s.prometheus_url, session).query(s.traffic_query).value()
    except (ApiError, ConnectionFailure) as exc:
        problem = f"traffic not measured: {exc}"
    if traffic is None and not problem:
        problem = f"traffic not measured: no data for {s.traffic_query}"
    reasons = []
    if not inside:
        reasons.append(f"{stamp} is outside every window ({'; '.join(w.describe() for w in s.windows)})")
    if problem:
        reasons.append(problem)
    elif traffic is not None and traffic > s.max_traffic:
        reasons.append(f"traffic {traffic:.3g} req/s is above {s.max_traffic:g} req/s")
    measured = {"now": stamp, "window": inside[0] if inside else None, "traffic": traffic}
    threshold = f"inside a window and traffic <= {s.max_traffic:g} req/s"
    if not reasons:
        detail = f"{stamp} inside {inside[0]}; traffic {traffic:.3g} req/s"
        return entry(WINDOW_ID, "passed", measured, threshold, detail, s.prometheus_url), True
    if s.override:
        detail = f"override: {s.override} (" + "; ".join(reasons) + ")"
        return entry(WINDOW_ID, "skipped", measured, threshold, detail, s.prometheus_url), True
    detail = "; ".join(reasons) + " (set deploy_window_override to a reason to deploy anyway)"
    return entry(WINDOW_ID, "failed", measured, threshold, detail, s.prometheus_url), False
