"""The New Relic client: the APM application of exactly the given name, read with a user key."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.newrelic import NewRelic
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

from .answers import Answers


def test_keeps_only_the_application_of_that_exact_name():
    apps = [{"name": "sme-platform"}, {"name": "sme-platform-worker"}, "junk"]
    answers = Answers((200, {"applications": apps}))
    assert NewRelic("https://nr.test", "NRAK-1", answers).applications("sme-platform") == [{"name": "sme-platform"}]
    method, url, headers, _body = answers.sent[0]
    assert (method, headers) == ("GET", {"X-Api-Key": "NRAK-1"})
    assert url == "https://nr.test/v2/applications.json?filter%5Bname%5D=sme-platform"


def test_refusals_and_bad_answers_say_what_failed():
    with pytest.raises(
        ConnectionFailure,
        match="refused the user key on GET https://nr.test/v2/applications.json: HTTP 403; use a user key",
    ):
        NewRelic("https://nr.test", "k", Answers((403, {}))).applications("x")
    with pytest.raises(ApiError, match="answered 200: not json"):
        NewRelic("https://nr.test", "k", Answers((200, b"not json"))).applications("x")
    with pytest.raises(ConfigurationError, match="no New Relic user key"):
        NewRelic("https://nr.test", "", Answers())
