from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening import checks as hardening


def _policy(match_labels=None, types=("Ingress",), ingress=None):
    spec = {"podSelector": {"matchLabels": match_labels} if match_labels else {}, "policyTypes": list(types)}
    if ingress is not None:
        spec["ingress"] = ingress
    return {"metadata": {"name": "p"}, "spec": spec}


def test_default_deny_is_every_pod_and_no_ingress_rule():
    assert hardening._is_default_deny(_policy())
    assert not hardening._is_default_deny(_policy(match_labels={"app": "x"}))
    assert not hardening._is_default_deny(_policy(types=("Egress",)))
    assert not hardening._is_default_deny(_policy(ingress=[{}]))


def test_default_denied_requests_cover_cluster_secrets_and_admin():
    texts = [a.text() for a in hardening.default_denied("sme")]
    assert "list secrets cluster-wide" in texts
    assert "get secrets in sme" in texts
    assert "* *.* cluster-wide" in texts
