"""What the reviews' unit tests share: the period's clients answering from tables, and one run of named checks."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import period
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import Series

NOW = 1_800_000_000.0
BASE = {"prometheus_url": "http://prom", "period": 600, "points": 11, "min_coverage": 0.9}


def full(value: float, points: int = 11) -> list[Series]:
    return [Series({}, [(NOW - 600 + i * 60, value) for i in range(points)])]


def clients(range_answers=None, **kw) -> period.Clients:
    answers = range_answers or {}
    return period.Clients(
        range_query=lambda q, s, e, st: answers.get(q, []),
        alertmanager=kw.get("alertmanager"),
        kube=kw.get("kube"),
        database=kw.get("database"),
        certificate=kw.get("certificate"),
        rules=kw.get("rules"),
    )


def run(checks, c, **params):
    return period.check_period({**BASE, "checks": checks, **params}, c, now=NOW)
