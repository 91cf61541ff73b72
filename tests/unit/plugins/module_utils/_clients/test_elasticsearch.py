"""The log sink client: lines of an index pattern counted by terms and age, with an API key."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.elasticsearch import LogIndex
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

from .answers import Answers


def test_counts_the_lines_matching_every_term_since_a_time():
    answers = Answers((200, {"count": 42}))
    index = LogIndex("https://logs.test/", "key", "logs-*", answers)
    assert index.count({"kubernetes.namespace": "sme-platform"}, "now-15m") == 42
    method, url, headers, query = answers.sent[0]
    assert (method, url, headers) == ("POST", "https://logs.test/logs-*/_count", {"Authorization": "ApiKey key"})
    assert query["query"]["bool"]["filter"] == [
        {"term": {"kubernetes.namespace": "sme-platform"}},
        {"range": {"@timestamp": {"gte": "now-15m"}}},
    ]
    assert index.where == "https://logs.test/logs-*/_count"


def test_errors_name_the_sinks_reason():
    bad = {"error": {"reason": "no such index [logs-*]"}}
    with pytest.raises(ApiError, match=r"answered 404: no such index \[logs-\*\]"):
        LogIndex("https://logs.test", "key", "", Answers((404, bad))).count({}, "now-1h")
    with pytest.raises(ConnectionFailure, match="the log sink refused the API key on POST"):
        LogIndex("https://logs.test", "key", "", Answers((403, {}))).count({}, "now-1h")
    with pytest.raises(ConfigurationError, match="allowed to read logs-"):
        LogIndex("https://logs.test", "", "logs-", Answers())
