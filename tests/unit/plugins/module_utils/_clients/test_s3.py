"""The S3 client: what it needs before a request, the regional endpoint it defaults to, and AWS's time format."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.s3 import S3Bucket, parse_time
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError


def test_the_default_endpoint_is_the_regions():
    bucket = S3Bucket("", "b", "ap-southeast-1", "AKIA", "s", HttpSession)
    assert bucket.where == "https://s3.ap-southeast-1.amazonaws.com/b"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("", "", "r", "k", "s"), "no S3 bucket"),
        (("", "b", "", "k", "s"), "no region for S3 bucket b"),
        (("", "b", "r", "k", ""), "no S3 credentials for bucket b"),
        (("s3.local", "b", "r", "k", "s"), "absolute"),
    ],
)
def test_missing_input_is_a_configuration_error(args, needle):
    with pytest.raises(ConfigurationError, match=needle):
        S3Bucket(*args, HttpSession)


def test_times_are_read_as_utc():
    assert parse_time("2026-01-02T03:04:05.000Z") == datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert parse_time("yesterday") is None
