"""post.week1.5: every HPA reading its metrics; one that cannot fails, or is skipped when asked, with its message."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import period_autoscaling

from .period_fakes import clients, run


class Kube:
    server = "https://k8s"

    def __init__(self, hpas, events=()):
        self.hpas, self.events = hpas, list(events)


def hpa(active="True", reason="ValidMetricFound"):
    return {
        "metadata": {"name": "api"},
        "spec": {"minReplicas": 2, "maxReplicas": 6},
        "status": {
            "currentReplicas": 3,
            "desiredReplicas": 3,
            "conditions": [
                {"type": "AbleToScale", "status": "True"},
                {"type": "ScalingActive", "status": active, "reason": reason, "message": "m"},
            ],
        },
    }


@pytest.fixture
def kube_items(monkeypatch):
    def items(kube, what, gv, plural, ns, selector=None):
        return kube.hpas if plural == "horizontalpodautoscalers" else kube.events

    monkeypatch.setattr(period_autoscaling.k8s, "items", items)


def test_autoscaling_passes_when_the_hpa_reads_its_metrics(kube_items):
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([hpa()])), namespace="ns")
    assert e["id"] == "post.week1.5" and e["status"] == "passed"


def test_autoscaling_without_metrics_fails_or_is_skipped_with_the_hpa_message(kube_items):
    broken = hpa("False", "FailedGetResourceMetric")
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([broken])), namespace="ns")
    assert e["status"] == "failed" and "FailedGetResourceMetric" in e["detail"]
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([broken])), namespace="ns", autoscaling_without_metrics="skip")
    assert e["status"] == "skipped" and "FailedGetResourceMetric" in e["detail"]


def test_no_hpa_fails(kube_items):
    [e] = run(["autoscaling"], clients(kube=lambda: Kube([])), namespace="ns")
    assert e["status"] == "failed"
