# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The first hour's watch (checklist post.hour.1-4): every ``interval`` seconds over the whole ``window``, one
sample of the error rate, p95 latency, 5xx answers and firing alerts (Prometheus), the pods' restarts and pending
pods (Kubernetes), CPU and memory against the containers' limits (Prometheus container metrics) and error lines per
minute in the pods' logs (Kubernetes pod logs). The watch stops at the first sample that crosses a threshold and
names it; the evidence carries every series it measured, so the report can plot them."""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration, parse_time

Entries = list[dict[str, Any]]
# The series of a watch, in sampling order, each with the checklist item it proves.
SERIES_ITEMS = {
    "error_rate": "post.hour.1",
    "errors_5xx": "post.hour.1",
    "alerts": "post.hour.1",
    "latency_p95": "post.hour.2",
    "restarts": "post.hour.3",
    "pending": "post.hour.3",
    "cpu": "post.hour.3",
    "memory": "post.hour.3",
    "log_errors_per_minute": "post.hour.4",
}


class Sources(Protocol):
    """Where a sample is read from: the live servers in a module run, recorded answers in a unit test."""

    def value(self, query: str) -> float | None: ...

    def vector(self, query: str) -> list[tuple[dict[str, str], float]]: ...

    def pods(self) -> list[dict[str, Any]]: ...

    def log(self, pod: str, container: str, since_seconds: int) -> str: ...


class Unavailable(Exception):
    """A source that cannot answer at all (pod logs on a cluster without kubelets that serve them)."""


@dataclass
class Breach:
    """The first sample that crossed a threshold."""

    index: int
    at: float
    metric: str
    value: Any
    threshold: str

    def describe(self, total: int) -> str:
        return (
            f"sample {self.index + 1} of {total} at {iso(self.at)}: {self.metric} {self.value} "
            f"crossed its threshold ({self.threshold})"
        )

    def as_dict(self, total: int) -> dict[str, Any]:
        return {
            "sample": self.index + 1,
            "of": total,
            "at": iso(self.at),
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "detail": self.describe(total),
        }


@dataclass
class WatchResult:
    series: dict[str, list[list[Any]]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    samples: int = 0
    planned: int = 0
    started: float = 0.0
    ended: float = 0.0
    breach: Breach | None = None


def iso(moment: float) -> str:
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Watch:
    """One watch over a window: sample, judge, stop at the first breach."""

    def __init__(
        self,
        params: Mapping[str, Any],
        sources: Sources,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.p = settings(options.post_deploy_watch()["argument_spec"], params)
        if self.p["interval"] <= 0 or self.p["window"] < 0:
            raise ConfigurationError(
                f"post_deploy_watch: interval must be > 0 and window >= 0 seconds, got interval "
                f"{self.p['interval']:g} and window {self.p['window']:g}"
            )
        try:
            self.pattern = re.compile(self.p["logs"]["pattern"])
        except re.error as exc:
            raise ConfigurationError(f"post_deploy_watch: logs.pattern is not a regular expression: {exc}") from exc
        self.sources = sources
        self.clock = clock
        self.sleep = sleep
        self.baseline: dict[str, int] = {}
        self.logs_on = bool(self.p["logs"]["enabled"])
        self.resources_on = True

    # --- one sample ------------------------------------------------------------------------------

    def _queries(self) -> dict[str, str]:
        q = self.p["queries"]
        return {name: q[name].replace("{namespace}", self.p["namespace"]) for name in q}

    def sample(self, index: int, at: float, result: WatchResult) -> Breach | None:
        """Take sample ``index``, append it to the series; the first threshold it crosses, if any."""
        q = self._queries()
        p = self.p
        found: dict[str, Any] = {}

        rate = self.sources.value(q["error_rate"])
        if rate is None:
            # an empty ratio is either no traffic or no 5xx series yet: the traffic query tells which
            traffic = self.sources.value(q["traffic"])
            rate = 0.0 if traffic else None
        found["error_rate"] = rate
        latency = self.sources.value(q["latency_p95"])
        found["latency_p95"] = latency
        errors = self.sources.value(q["errors_5xx"])
        # no 5xx series at all means no 5xx answer was counted
        found["errors_5xx"] = round(errors) if errors is not None else 0
        firing = sorted({labels.get("alertname", "?") for labels, v in self.sources.vector(q["alerts"]) if v})
        found["alerts"] = len(firing)

        pods = self.sources.pods()
        restarts, pending = self._pods(pods, at, first=index == 0)
        found["restarts"] = restarts
        found["pending"] = pending

        if self.resources_on:
            found["cpu"], found["memory"] = self._usage(pods, q, result)
        if self.logs_on:
            found["log_errors_per_minute"] = self._log_errors(pods, result)

        for name, value in found.items():
            result.series.setdefault(name, []).append([round(at, 3), value])
        result.samples = index + 1

        checks: list[tuple[str, Any, str, bool]] = [
            ("error_rate", rate, f"< {p['error_rate_max'] * 100:g} %", rate is not None and rate < p["error_rate_max"]),
            (
                "latency_p95",
                latency,
                f"< {p['latency_p95_max'] * 1000:g} ms",
                latency is not None and latency < p["latency_p95_max"],
            ),
            (
                "errors_5xx",
                found["errors_5xx"],
                f"<= {p['errors_5xx_max']:g}",
                found["errors_5xx"] <= p["errors_5xx_max"],
            ),
            (
                "alerts",
                f"{len(firing)} ({', '.join(firing)})" if firing else 0,
                f"<= {p['alerts_max']}",
                len(firing) <= p["alerts_max"],
            ),
            ("restarts", restarts, f"<= {p['restarts_max']}", restarts is not None and restarts <= p["restarts_max"]),
            (
                "pending",
                pending,
                f"<= {p['pending_max']} pods pending longer than {p['pending_grace']:g} s",
                pending is not None and pending <= p["pending_max"],
            ),
        ]
        for name in ("cpu", "memory"):
            if found.get(name) is not None:
                checks.append((name, found[name], f"< {p['usage_max']:g} of the limit", found[name] < p["usage_max"]))
        if found.get("log_errors_per_minute") is not None:
            per_minute = found["log_errors_per_minute"]
            limit = p["logs"]["max_per_minute"]
            checks.append(("log_errors_per_minute", per_minute, f"<= {limit:g} lines per minute", per_minute <= limit))
        for name, value, threshold, ok in checks:
            if ok:
                continue
            if value is None:
                if name in ("error_rate", "latency_p95") and p["no_data"] == "skip":
                    continue
                value = "no data"
            return Breach(index, at, name, value, threshold)
        return None

    def _pods(self, pods: list[dict[str, Any]], at: float, first: bool) -> tuple[int | None, int | None]:
        if not pods:
            return None, None
        restarts = 0
        pending = 0
        for pod in pods:
            meta, status = pod.get("metadata") or {}, pod.get("status") or {}
            uid = meta.get("uid") or meta.get("name")
            count = sum(int(c.get("restartCount") or 0) for c in status.get("containerStatuses") or [])
            # a pod that existed when the watch started counts from there; a new pod from zero
            restarts += count - self.baseline.setdefault(uid, count if first else 0)
            if status.get("phase") == "Pending":
                created = parse_time(meta.get("creationTimestamp"))
                if created is not None and at - created.timestamp() > self.p["pending_grace"]:
                    pending += 1
        return restarts, pending

    def _usage(self, pods: list[dict[str, Any]], q: dict[str, str], result: WatchResult) -> tuple[Any, Any]:
        """The highest usage / limit ratio of any container, for CPU and memory; None when not measured."""
        limits: dict[tuple[str, str], dict[str, float]] = {}
        for pod in pods:
            name = (pod.get("metadata") or {}).get("name", "")
            for container in (pod.get("spec") or {}).get("containers") or []:
                raw = ((container.get("resources") or {}).get("limits")) or {}
                limits[(name, container.get("name", ""))] = {
                    k: quantity(v) for k, v in raw.items() if k in ("cpu", "memory")
                }
        ratios: dict[str, Any] = {}
        for resource, query in (("cpu", q["cpu"]), ("memory", q["memory"])):
            samples = self.sources.vector(query)
            measured = [
                value / limits[(labels.get("pod", ""), labels.get("container", ""))][resource]
                for labels, value in samples
                if limits.get((labels.get("pod", ""), labels.get("container", "")), {}).get(resource)
            ]
            if measured:
                ratios[resource] = round(max(measured), 4)
            else:
                why = (
                    f"no {resource} usage in Prometheus ({query})"
                    if not samples
                    else f"no container with a {resource} limit among the {len(samples)} measured"
                )
                ratios[resource] = None
                result.notes[resource] = why
        if ratios["cpu"] is None and ratios["memory"] is None and self.p["resources_no_data"] == "skip":
            self.resources_on = False
        return ratios["cpu"], ratios["memory"]

    def _log_errors(self, pods: list[dict[str, Any]], result: WatchResult) -> float | None:
        since = max(1, int(round(self.p["interval"])))
        wanted = self.p["logs"]["container"]
        lines = 0
        try:
            for pod in pods:
                name = (pod.get("metadata") or {}).get("name", "")
                for container in (pod.get("spec") or {}).get("containers") or []:
                    if wanted and container.get("name") != wanted:
                        continue
                    text = self.sources.log(name, container.get("name", ""), since)
                    lines += sum(1 for line in text.splitlines() if self.pattern.search(line))
        except Unavailable as exc:
            result.notes["log_errors_per_minute"] = f"pod logs cannot be read: {exc}"
            if self.p["logs"]["unavailable"] == "skip":
                self.logs_on = False
                return None
            raise ConnectionFailure(f"pod logs cannot be read: {exc}") from exc
        return round(lines / (since / 60.0), 3)

    # --- the window --------------------------------------------------------------------------------

    def run(self) -> WatchResult:
        p = self.p
        result = WatchResult(planned=int(p["window"] // p["interval"]) + 1)
        result.started = self.clock()
        for index in range(result.planned):
            due = result.started + index * p["interval"]
            wait = due - self.clock()
            if wait > 0:
                self.sleep(wait)
            at = self.clock()
            try:
                breach = self.sample(index, at, result)
            except (ConnectionFailure, ApiError) as exc:
                breach = Breach(index, at, "sample", "not taken", str(exc))
            if breach is not None:
                result.breach = breach
                break
        result.ended = self.clock()
        return result


def quantity(raw: Any) -> float:
    """CPU cores or bytes of a Kubernetes quantity (``500m``, ``1``, ``512Mi``, ``1G``)."""
    text = str(raw).strip()
    suffixes = {
        "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
        "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    }  # fmt: skip
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * suffixes[suffix]
    return float(text)


# --- evidence -------------------------------------------------------------------------------------

_LABELS = {
    "error_rate": ("error rate", lambda v: f"{v * 100:.3g} %"),
    "errors_5xx": ("5xx answers", lambda v: f"{v:g}"),
    "alerts": ("firing alerts", lambda v: f"{v:g}"),
    "latency_p95": ("p95 latency", lambda v: f"{v * 1000:.4g} ms"),
    "restarts": ("container restarts", lambda v: f"{v:g}"),
    "pending": ("pods pending", lambda v: f"{v:g}"),
    "cpu": ("CPU / limit", lambda v: f"{v:.3g}"),
    "memory": ("memory / limit", lambda v: f"{v:.3g}"),
    "log_errors_per_minute": ("error log lines per minute", lambda v: f"{v:g}"),
}


def _thresholds(p: Mapping[str, Any]) -> dict[str, str]:
    return {
        "error_rate": f"< {p['error_rate_max'] * 100:g} % in every sample",
        "errors_5xx": f"<= {p['errors_5xx_max']:g} in every sample",
        "alerts": f"<= {p['alerts_max']} firing in every sample",
        "latency_p95": f"< {p['latency_p95_max'] * 1000:g} ms in every sample",
        "restarts": f"<= {p['restarts_max']} since the watch began",
        "pending": f"<= {p['pending_max']} pods pending longer than {p['pending_grace']:g} s",
        "cpu": f"< {p['usage_max']:g} of the limit in every sample",
        "memory": f"< {p['usage_max']:g} of the limit in every sample",
        "log_errors_per_minute": (
            f"<= {p['logs']['max_per_minute']:g} lines matching {p['logs']['pattern']!r} per minute"
        ),
    }


def evidence(watch: Watch, result: WatchResult, where: str) -> Entries:
    """One entry a series: passed when every sample of the whole window held, failed for the breach, skipped with
    the reason for a series the watch could not take or did not finish."""
    p = watch.p
    thresholds = _thresholds(p)
    window = f"{human_duration(p['window'])} window, a sample every {human_duration(p['interval'])}"
    found: Entries = []
    breach = result.breach
    for name, item in SERIES_ITEMS.items():
        label, shown = _LABELS[name]
        points = result.series.get(name) or []
        values = [v for _t, v in points if v is not None]
        measured: dict[str, Any] = {"series": points, "samples": len(values), "of": result.planned}
        if values:
            measured["max"] = max(values)
        common = {"measured": measured, "threshold": thresholds[name], "where": where}
        if breach is not None and breach.metric in (name, "sample"):
            found.append(entry(item, "failed", detail=f"{label}: {breach.describe(result.planned)}", **common))
        elif not values:
            why = result.notes.get(name) or f"{label}: no sample measured"
            if name in ("error_rate", "latency_p95") and p["no_data"] == "fail":
                found.append(entry(item, "failed", detail=f"{why} (no_data=fail)", **common))
            elif name in ("cpu", "memory") and p["resources_no_data"] == "fail":
                found.append(entry(item, "failed", detail=f"{why} (resources_no_data=fail)", **common))
            elif name == "log_errors_per_minute" and not p["logs"]["enabled"]:
                found.append(entry(item, "skipped", detail="the log watch is off (logs.enabled=false)", **common))
            else:
                found.append(entry(item, "skipped", detail=f"not measured: {why}", **common))
        elif breach is not None:
            found.append(
                entry(
                    item,
                    "skipped",
                    detail=f"{label} held in {len(values)} sample(s), max {shown(max(values))}, but the watch "
                    f"stopped early: {breach.describe(result.planned)}",
                    **common,
                )
            )
        elif len(values) < result.planned:
            found.append(
                entry(
                    item,
                    "failed",
                    detail=f"{label} measured in {len(values)} of {result.planned} samples: the window was not "
                    "watched whole",
                    **common,
                )
            )
        else:
            found.append(
                entry(
                    item,
                    "passed",
                    detail=f"{label} held over the {window}: max {shown(max(values))} in {len(values)} samples "
                    f"({iso(result.started)} to {iso(result.ended)})",
                    **common,
                )
            )
    # post.hour.3 is "CPU/memory usage": the pods' restarts and pending counts alone do not prove it
    usage_passed = any(
        e["status"] == "passed" for n, e in zip(SERIES_ITEMS, found, strict=True) if n in ("cpu", "memory")
    )
    if not usage_passed:
        for name, one in zip(SERIES_ITEMS, found, strict=True):
            if name in ("restarts", "pending") and one["status"] == "passed":
                one["status"] = "skipped"
                one["detail"] += "; neither CPU nor memory was measured, so this alone does not prove post.hour.3"
    return found
