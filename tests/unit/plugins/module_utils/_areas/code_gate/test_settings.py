"""The gate's parameters checked before anything is read: each bad one named with what to do."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate.settings import settings_from
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from .gate_support import gate_params

LAB = {"path": "/nonexistent/repo"}


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"items": ["1.1.1", "9.9.9"]}, "items 9.9.9 are not proven by the code gate"),
        ({"ci_jobs": {"typecheck": ["tsc"], "style": ["x"]}}, "ci_jobs.style: not a job group"),
        ({"docs": {"2.1.1": "docs/x.md"}}, "docs: 2.1.1 are not section 10 items"),
        ({"audit_fail_levels": ["severe"]}, "audit_fail_levels"),
        ({"coverage_min": 120}, "coverage_min 120: a percentage between 0 and 100"),
        ({"docs_max_age_days": -1}, "docs_max_age_days: must be 0 or more"),
        ({"images": [{"repository": "sme/backend", "tag": "v1.0.0"}]}, "no registry_url"),
        ({"images": [{"repository": "sme/backend"}]}, "needs a repository and a valid tag"),
    ],
)
def test_bad_parameters_are_named(over, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        settings_from(gate_params(LAB, "http://github.test", "t", **over), lambda: None)


def test_good_parameters_are_taken_as_given():
    settings = settings_from(gate_params(LAB, "http://github.test", "t", tag="v2.0.0"), lambda: None)
    assert (settings.tag, settings.registry, settings.images) == ("v2.0.0", None, [])
    assert set(settings.ci_jobs) == {"typecheck", "lint", "unit", "e2e", "security"}
