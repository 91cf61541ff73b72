"""The secrets request: parameters completed from the option table, bad input named."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import plan
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


def test_a_bare_request_takes_the_tables_defaults():
    request = plan.build_request({"name": "s", "namespace": "ns"})
    assert [g.name for g in request.generated] == [
        "JWT_SECRET",
        "DATABASE_PASSWORD",
        "REDIS_PASSWORD",
        "ENCRYPTION_KEY",
    ]
    assert request.mode == "ensure" and request.rotation_max_age_days == 90


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"generated": [{"name": "jwt", "size": 32}]}, "not an environment variable name"),
        ({"generated": [{"name": "JWT", "size": 8}]}, "below 16 bytes"),
        ({"generated": [{"name": "A", "size": 32}, {"name": "A", "size": 32}]}, "listed twice"),
        ({"generated": [{"name": "SENDGRID_API_KEY", "size": 32}]}, "external keys"),
        ({"rotate": ["NOPE"]}, "not generated keys"),
        ({"rotation_max_age_days": -1}, r"must be 0 \(no policy\) or more"),
        ({"compare_with": [{"label": "x"}]}, "either fingerprint_file or namespace"),
    ],
)
def test_bad_requests_are_refused_naming_what_is_wrong(change, words):
    with pytest.raises(ConfigurationError, match=words):
        plan.build_request({"name": "s", "namespace": "ns", **change})


def test_rotate_all_means_every_generated_key():
    request = plan.build_request({"name": "s", "namespace": "ns", "rotate": ["all"]})
    assert set(request.rotate) == {g.name for g in request.generated}
