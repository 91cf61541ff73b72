"""hardening_check's option table: the policy it yields."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening.checks import (
    Access,
    HardeningPolicy,
    default_denied,
)

from ..area_module import validate


def test_without_denied_requests_the_defaults_for_the_namespace_apply():
    params, errors = validate("hardening", "hardening_check", {"namespace": "ns", "service_account": "app"})
    assert errors == []
    policy = HardeningPolicy.from_options(params)
    assert policy.denied == default_denied("ns")
    assert isinstance(policy.allowed_ports, tuple)


def test_given_denied_requests_replace_the_defaults():
    denied = [{"verb": "list", "resource": "secrets", "group": "", "namespace": "ns"}]
    policy = HardeningPolicy.from_options({"namespace": "ns", "service_account": "app", "denied": denied})
    assert policy.denied == (Access(**denied[0]),)
