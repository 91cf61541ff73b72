"""The post-deployment option tables: one pair of ceilings for the watch and the reviews, the role's own defaults,
credentials no_log."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import options

from ..area_module import no_log_options, validate

ROLE_DEFAULTS = Path(__file__).resolve().parents[6] / "roles" / "post_deploy" / "defaults" / "main.yml"


def test_the_watch_and_the_reviews_hold_the_same_ceilings_as_the_role():
    watch = options.post_deploy_watch()["argument_spec"]
    review = options.post_deploy_check()["argument_spec"]
    role = yaml.safe_load(ROLE_DEFAULTS.read_text(encoding="utf-8"))
    for name in ("error_rate_max", "latency_p95_max"):
        assert watch[name] == review[name] == options.LIMITS[name]
        assert options.LIMITS[name]["default"] == role[f"post_deploy_{name}"]


def test_credentials_are_no_log():
    assert "bearer_token" in no_log_options("post_deploy", "post_deploy_watch")
    assert {"bearer_token", "database.password"} <= no_log_options("post_deploy", "post_deploy_check")


def test_prometheus_is_required_and_the_rest_defaults():
    _unused, errors = validate("post_deploy", "post_deploy_watch", {})
    assert any("prometheus_url" in e for e in errors)
    params, errors = validate("post_deploy", "post_deploy_check", {"prometheus_url": "https://p", "checks": ["alerts"]})
    assert errors == []
    assert params["timeout"] == 10.0 and params["database"]["sslmode"] == "prefer"
