"""The PagerDuty client: the schedule, who is on call and how people are reached, read with a REST API key."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.pagerduty import PagerDuty
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

from .answers import Answers


def test_reads_the_schedule_on_call_and_contact_methods_with_the_key():
    answers = Answers(
        (200, {"schedule": {"name": "Platform"}}),
        (200, {"oncalls": [{"user": {"id": "U1"}}, "junk"]}),
        (200, {"contact_methods": [{"type": "phone_contact_method", "address": "+15550100"}]}),
    )
    pd = PagerDuty("https://pd.test", "key", answers)
    assert pd.schedule("P 1") == {"name": "Platform"}
    assert pd.on_call_now("P1") == [{"user": {"id": "U1"}}]
    assert pd.contact_methods("U1")[0]["type"] == "phone_contact_method"
    method, url, headers, _body = answers.sent[0]
    assert (method, url, headers["Authorization"]) == ("GET", "https://pd.test/schedules/P%201", "Token token=key")
    assert answers.sent[1][1] == "https://pd.test/oncalls?schedule_ids%5B%5D=P1"


def test_an_unknown_schedule_is_none_and_other_answers_are_api_errors():
    pd = PagerDuty("https://pd.test", "key", Answers((404, {}), (500, b"oops")))
    assert pd.schedule("P1") is None
    with pytest.raises(ApiError, match="oncalls answered 500"):
        pd.on_call_now("P1")


def test_a_refused_key_names_the_request_without_its_query():
    with pytest.raises(
        ConnectionFailure, match=r"PagerDuty refused the API key on GET https://pd.test/oncalls: HTTP 401$"
    ):
        PagerDuty("https://pd.test", "key", Answers((401, {}))).on_call_now("P1")
    with pytest.raises(ConfigurationError, match="create a read-only REST API key"):
        PagerDuty("https://pd.test", "", Answers())
