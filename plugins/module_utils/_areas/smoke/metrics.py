# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate's metric probes (checklist post.hour.1, post.hour.2, success.3-5, deploy.7.2): PromQL held against
thresholds, over the time the release has served."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Prometheus, QueryResult
from ansible_collections.smeplatform.deploy.plugins.module_utils._core import units
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Outcome, failed, passed, skipped


def promql_outcome(
    result: QueryResult,
    maximum: float,
    no_data: str,
    unit: str = "",
    inclusive: bool = False,
    scale: float = 1.0,
) -> Outcome:
    """One number held against a maximum (value < max, or <= with inclusive); "no data" decided by `no_data`."""
    sign = "<=" if inclusive else "<"
    threshold = f"{sign} {maximum * scale:g}{unit}"
    value = result.value()
    if value is None:
        detail = f"no data for {result.query}"
        if no_data == "pass":
            return passed("no data", threshold, detail + " (accepted: no_data=pass)")
        if no_data == "skip":
            return skipped(detail + " (no_data=skip)", "no data", threshold)
        return failed("no data", threshold, detail + " (no_data=fail)")
    ok = value <= maximum if inclusive else value < maximum
    shown = f"{value * scale:.4g}{unit}"
    if ok:
        return passed(shown, threshold, f"{shown} {sign} {maximum * scale:g}{unit}")
    # A rate over minutes does not change within a settling window: retrying only delays the verdict.
    return failed(shown, threshold, f"{shown} not {sign} {maximum * scale:g}{unit}", final=True)


def error_rate_outcome(ratio: QueryResult, traffic: QueryResult | None, maximum: float, no_data: str) -> Outcome:
    """The 5xx ratio below `maximum`. An empty ratio with traffic means no 5xx series: 0 %, not "no data"."""
    if ratio.no_data and traffic is not None:
        requests = traffic.value()
        if requests:
            threshold = f"< {maximum * 100:g} %"
            return passed("0 %", threshold, f"no 5xx answer among {requests:.3g} requests/s over 5 minutes")
    return promql_outcome(ratio, maximum, no_data, " %", scale=100)


def alerts_outcome(result: QueryResult) -> Outcome:
    """Firing critical alerts: none passes (an empty result is the good answer here)."""
    firing = sorted({s.labels.get("alertname", "?") for s in result.samples if s.value == s.value and s.value != 0})
    if firing:
        return failed(len(firing), 0, f"firing: {', '.join(firing)}", final=True)
    return passed(0, 0, "no critical alert firing")


_RANGE = re.compile(r"\[(\d+(?:\.\d+)?)([smhd])\]")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def narrow_ranges(query: str, seconds: float) -> str:
    """Shorten every range selector of ``query`` to at most ``seconds``.

    After a rollout, the metrics that judge the release must cover only the time it has served: a 5-minute
    window would still hold the errors of the release it replaced.
    """

    def shorten(match: re.Match[str]) -> str:
        original = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        return match.group(0) if original <= seconds else f"[{math.ceil(seconds)}s]"

    return _RANGE.sub(shorten, query)


class MetricProbes:
    """Probes of the smoke gate that ask Prometheus."""

    def _prom(self) -> tuple[dict[str, Any], Prometheus | None]:
        cfg = self.p["prometheus"]
        if not cfg["url"]:
            return cfg, None
        if cfg["bearer_token"]:
            self.secrets.add(cfg["bearer_token"])
        session = self.session()
        session.headers = {}
        return cfg, Prometheus(cfg["url"], session, cfg["bearer_token"] or None)

    def _promql(
        self,
        query_key: str,
        judge: Callable[[QueryResult, dict[str, Any], Prometheus], Outcome],
    ) -> Outcome:
        cfg, prom = self._prom()
        if prom is None:
            return skipped("no Prometheus URL configured")
        query = self._since_rollout(cfg[query_key], cfg)
        try:
            outcome = judge(prom.query(query), cfg, prom)
        finally:
            prom.session.close()
        outcome.where = f"{cfg['url']} {query}"
        return outcome

    def _since_rollout(self, query: str, cfg: dict[str, Any]) -> str:
        """``query`` with its windows cut to the time since the newest rollout of the checked Deployments.

        With ``first_sample_wait`` set, the first metric check waits for Prometheus's first samples of the release
        now running (the traffic query answers over the cut window), at most that many seconds after the rollout:
        as long as the data needs, not a fixed time. The window is fixed then, for every query of the gate.
        """
        wait = float(cfg["first_sample_wait"])
        if wait <= 0:
            return query
        with self._rollout_lock:
            if self._served is None:
                self._served = self._first_sample_window(cfg, wait)
        return narrow_ranges(query, self._served)

    def _first_sample_window(self, cfg: dict[str, Any], wait: float) -> float:
        """Seconds since the rollout once the traffic query has data over them, or `wait` seconds after it.

        Unknown rollout: the queries keep their windows (inf). A rollout older than `wait`: no wait at all.
        """
        rolled = self._rollout_moment()
        if rolled is None:
            return float("inf")
        prom = self._prom()[1]
        try:
            while True:
                served = time.time() - rolled
                if served >= wait or prom is None:
                    return max(served, wait)
                if served >= 1 and not prom.query(narrow_ranges(cfg["traffic_query"], served)).no_data:
                    return served
                time.sleep(min(1.0, wait - served))
        finally:
            if prom is not None:
                prom.session.close()

    def _rollout_moment(self) -> float | None:
        """When the checked Deployments last progressed (a rollout), as a Unix time; None when unknown."""
        cfg = self.p["kubernetes"]
        names = list(cfg["deployments"])
        if self.kube_factory is None or not names:
            return None
        namespace = cfg["namespace"]
        kube = self.kube_factory()
        moments = []
        for name in names:
            dep = k8s.get(kube, f"Deployment {namespace}/{name}", k8s.path("apps/v1", "deployments", namespace, name))
            for condition in ((dep or {}).get("status") or {}).get("conditions") or []:
                moment = units.parse_time(condition.get("lastUpdateTime"))
                if condition.get("type") == "Progressing" and moment is not None:
                    moments.append(moment.timestamp())
        return max(moments) if moments else None

    def check_error_rate(self) -> Outcome:
        def judge(ratio: QueryResult, cfg: dict[str, Any], prom: Prometheus) -> Outcome:
            traffic = None
            if ratio.no_data:
                # An empty ratio is either "no traffic" or "no 5xx series yet"; the traffic query tells which.
                traffic = prom.query(self._since_rollout(cfg["traffic_query"], cfg))
            return error_rate_outcome(ratio, traffic, float(cfg["error_rate_max"]), cfg["no_data"])

        return self._promql("error_rate_query", judge)

    def check_latency(self) -> Outcome:
        return self._promql(
            "latency_query",
            lambda r, c, _p: promql_outcome(r, float(c["latency_max"]), c["no_data"], " ms", scale=1000),
        )

    def check_alerts(self) -> Outcome:
        return self._promql("alerts_query", lambda r, _c, _p: alerts_outcome(r))

    def check_errors_10m(self) -> Outcome:
        def judge(result: QueryResult, cfg: dict[str, Any], prom: Prometheus) -> Outcome:
            maximum = float(cfg["errors_max"])
            if result.no_data:
                # No 5xx series: zero errors only if requests were counted at all (traffic_query has data);
                # otherwise the metric is missing and nothing was measured.
                traffic = prom.query(self._since_rollout(cfg["traffic_query"], cfg))
                threshold = f"<= {maximum:g}"
                if not traffic.no_data:
                    return passed(
                        0,
                        threshold,
                        f"no 5xx answer counted in the last 10 minutes; {traffic.value():.3g} requests/s counted "
                        f"({traffic.query})",
                    )
                if self._served is not None and self._served < 60:
                    return skipped(
                        f"no data for {result.query} nor {traffic.query}: the release has served for only "
                        f"{self._served:.0f} s, too short a window to count requests",
                        "no data",
                        threshold,
                    )
                return failed(
                    "no data",
                    threshold,
                    f"no data for {result.query} nor {traffic.query}: the request metric is missing, so the 5xx "
                    "count was not measured (is the platform scraped? see smoke_prometheus_traffic_query)",
                )
            result.samples = [type(s)(s.labels, round(s.value)) for s in result.samples]
            return promql_outcome(result, float(cfg["errors_max"]), "fail", " 5xx", inclusive=True)

        return self._promql("errors_query", judge)
