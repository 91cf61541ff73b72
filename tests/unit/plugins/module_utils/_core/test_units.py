"""Units the checks measure in."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._core import units
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


@pytest.mark.parametrize(
    ("text", "size"),
    [("30Gi", 30 * 2**30), ("32G", 32 * 10**9), ("512Mi", 512 * 2**20), ("1.5Ti", int(1.5 * 2**40)), ("100", 100)],
)
def test_parse_quantity(text, size):
    assert units.parse_quantity(text) == size


@pytest.mark.parametrize("text", ["", "30 GB", "Gi", "30Xi"])
def test_parse_quantity_rejects(text):
    with pytest.raises(ConfigurationError):
        units.parse_quantity(text)


@pytest.mark.parametrize(("text", "seconds"), [("30d", 2592000), ("1y", 31536000), ("720h", 2592000), ("1h30m", 5400)])
def test_parse_duration(text, seconds):
    assert units.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "30", "30 days", "d30"])
def test_parse_duration_rejects(text):
    with pytest.raises(ConfigurationError):
        units.parse_duration(text)


def test_version_and_age_helpers():
    assert units.version_tuple("v1.28.3-eks-1") == (1, 28, 3)
    assert units.version_tuple("15.18 (Debian 15.18-0+deb12u1)") == (15, 18)
    assert units.human_duration(93784) == "1d2h3m4s"
    assert units.human_duration(0) == "0s"
    now = datetime.now(UTC)
    assert 3599 < units.age_seconds(now - timedelta(hours=1), now) < 3601
    assert units.age_seconds(None) is None
    assert units.age_seconds((now - timedelta(seconds=5)).replace(tzinfo=None), now.replace()) is not None
    time.sleep(0)
