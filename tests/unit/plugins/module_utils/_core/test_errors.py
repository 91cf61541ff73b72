"""Domain errors: one root that main() catches once; each kind of failure its own class."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core import errors


@pytest.mark.parametrize(
    "kind", [errors.ConfigurationError, errors.ConnectionFailure, errors.ApiError, errors.CheckFailed, errors.LockHeld]
)
def test_every_error_is_a_smeplatform_error(kind):
    with pytest.raises(errors.SmeplatformError, match="what failed"):
        raise kind("what failed")


def test_the_kinds_are_distinct():
    kinds = [errors.ConfigurationError, errors.ConnectionFailure, errors.ApiError, errors.CheckFailed]
    for kind in kinds:
        assert [k for k in kinds if issubclass(kind, k)] == [kind]
