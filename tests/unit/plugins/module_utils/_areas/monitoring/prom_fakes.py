"""Prometheus answering the monitoring checks' unit tests from tables: target lists and PromQL queries."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import checks as monitoring
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import QueryResult, Sample

HEALTH = "https://api.x.com/health"
PROBE = "http://bb:9115/probe?module=http_2xx&target="


class PromApi:
    """Answers target lists and PromQL queries from dicts."""

    def __init__(self, answers, resolve=None, **options):
        self.answers = answers
        self.asked = []
        self.settings = monitoring.MonitoringSettings.from_options(
            {"prometheus_url": "http://p", "health_url": HEALTH, **options}, resolve=resolve
        )

    def query(self, expr):
        self.asked.append(expr)
        value = self.answers.get(expr)
        if value is None:
            return QueryResult(expr, "vector", [])
        if isinstance(value, list):
            return QueryResult(expr, "vector", [Sample(labels, v) for labels, v in value])
        return QueryResult(expr, "vector", [Sample({}, value)])


def probe_target(url, health="up", instance=None):
    return {
        "scrapeUrl": PROBE + url.replace(":", "%3A").replace("/", "%2F"),
        "health": health,
        "labels": {"job": "health", "instance": instance or url},
    }
