"""What the stack checks read: the live configuration (absent before the first release, never passed as empty) and the
cluster, on one session opened at the first read."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import stack_inputs

from ...kube_fakes import JsonKube
from .stack_fakes import settings

CONFIGMAP = "/api/v1/namespaces/sme-platform/configmaps/sme-platform-config"


def test_the_live_configuration_is_none_before_a_release_and_strings_after():
    s = settings(namespace="sme-platform", configmap="sme-platform-config")
    kube = JsonKube({})
    missing = stack_inputs.read_config(stack_inputs.Cluster(lambda: kube), s)
    assert missing.data is None and missing.where == "configmap sme-platform/sme-platform-config"
    kube = JsonKube({CONFIGMAP: {"data": {"SENTRY_DSN": "https://k@s/1", "WORKERS": 4}}})
    live = stack_inputs.read_config(stack_inputs.Cluster(lambda: kube), s)
    assert live.data == {"SENTRY_DSN": "https://k@s/1", "WORKERS": "4"}


def test_the_cluster_opens_one_session_at_the_first_read():
    opened = []

    def connect():
        opened.append(JsonKube({"/api/v1/nodes": {"items": [{"metadata": {"name": "n1"}}]}}))
        return opened[-1]

    cluster = stack_inputs.Cluster(connect)
    assert opened == []
    assert cluster.items("nodes", "/api/v1/nodes") == [{"metadata": {"name": "n1"}}]
    assert cluster.items("pods", "/api/v1/pods") == []
    assert len(opened) == 1
