"""5.4.2: a shipper on every schedulable node, ready, and the platform's recent lines in the sink."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import logs

from .stack_fakes import FakeCluster, settings


class FakeIndex:
    where = "https://logs.test/logs-*/_count"

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.asked: list[Any] = []

    def count(self, terms: dict[str, str], since: str) -> int:
        self.asked.append((terms, since))
        return self.lines


NODES = {"items": [{"metadata": {"name": f"n{i}"}, "spec": {}} for i in range(3)] + [{"spec": {"unschedulable": True}}]}
DS = "/apis/apps/v1/namespaces/logging/daemonsets/fluent-bit"


def daemonset(desired: int, ready: int) -> dict[str, Any]:
    return {"status": {"desiredNumberScheduled": desired, "numberReady": ready}}


def test_logs_pass_with_a_shipper_on_every_node_and_lines_in_the_sink():
    index = FakeIndex(120)
    found = logs.logs_entry(FakeCluster({"/api/v1/nodes": NODES, DS: daemonset(3, 3)}), index, settings())
    assert found["status"] == "passed", found
    assert index.asked == [({"kubernetes.namespace_name": "sme-platform"}, "now-900s")]


@pytest.mark.parametrize(
    ("objects", "lines", "reason"),
    [
        ({DS: daemonset(1, 1)}, 5, "shipper not on every node: scheduled on 1 of 3 node(s)"),
        ({DS: daemonset(3, 2)}, 5, "2 of 3 shipper pod(s) ready"),
        ({}, 5, "no log shipper: daemonset logging/fluent-bit not found"),
        ({DS: daemonset(3, 3)}, 0, "the sink has no line of namespace sme-platform in the last 15m"),
    ],
)
def test_logs_fail_with_the_reason(objects, lines, reason):
    found = logs.logs_entry(FakeCluster({"/api/v1/nodes": NODES, **objects}), FakeIndex(lines), settings())
    assert found["status"] == "failed" and reason in found["detail"]
