"""cluster_check's option table: the policy it yields, validated before anything connects."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster.checks import ClusterPolicy
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from ..area_module import validate


def test_the_table_needs_a_namespace_and_a_backend():
    _unused, errors = validate("cluster", "cluster_check", {})
    assert any("namespace" in e and "backend_deployment" in e for e in errors)


def test_the_policy_takes_every_option_from_the_table():
    params, _unused = validate("cluster", "cluster_check", {"namespace": "ns", "backend_deployment": "b"})
    policy = ClusterPolicy.from_options(params)
    assert (policy.namespace, policy.min_nodes, policy.volume_claims) == ("ns", params["min_nodes"], ())


@pytest.mark.parametrize(("option", "bad"), [("volume_size", "thirty"), ("min_version", "latest")])
def test_bad_thresholds_are_refused(option, bad):
    with pytest.raises(ConfigurationError):
        ClusterPolicy.from_options({"namespace": "ns", "backend_deployment": "b", option: bad})
