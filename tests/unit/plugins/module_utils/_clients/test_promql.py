"""Reading Prometheus query results, with "no data" kept apart from zero."""

from __future__ import annotations

import math

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import Response
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import (
    Prometheus,
    PromQLError,
    parse_response,
)


def vector(*values, labels=None):
    return {
        "status": "success",
        "data": {
            "resultType": "vector",
            "result": [{"metric": labels or {}, "value": [1700000000.0, v]} for v in values],
        },
    }


def test_single_number():
    result = parse_response(vector("0.0042"), "q")
    assert result.value() == pytest.approx(0.0042)
    assert not result.no_data


def test_zero_is_data():
    result = parse_response(vector("0"), "q")
    assert result.value() == 0.0
    assert not result.no_data


def test_empty_vector_is_no_data():
    result = parse_response(vector(), "q")
    assert result.no_data
    assert result.value() is None


@pytest.mark.parametrize("nan", ["NaN", "nan"])
def test_nan_is_no_data(nan):
    result = parse_response(vector(nan), "q")
    assert math.isnan(result.samples[0].value)
    assert result.no_data
    assert result.value() is None


def test_several_series_must_be_aggregated():
    with pytest.raises(PromQLError, match="aggregate"):
        parse_response(vector("1", "2"), "q").value()


def test_scalar_and_matrix():
    scalar = parse_response({"status": "success", "data": {"resultType": "scalar", "result": [1.0, "3"]}}, "q")
    assert scalar.value() == 3.0
    matrix = parse_response(
        {
            "status": "success",
            "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[1, "1"], [2, "5"]]}]},
        },
        "q",
    )
    assert matrix.value() == 5.0


def test_labels_are_kept():
    result = parse_response(vector("1", labels={"alertname": "BackendDown", "severity": "critical"}), "q")
    assert result.samples[0].labels["alertname"] == "BackendDown"


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "error", "errorType": "bad_data", "error": "parse error at char 5"},
        {"status": "success"},
        ["not", "a", "dict"],
        {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1]}]}},
        {"status": "success", "data": {"resultType": "histogram", "result": []}},
    ],
)
def test_malformed_answers_are_errors(payload):
    with pytest.raises(PromQLError):
        parse_response(payload, "q")


def test_error_names_the_query_and_the_reason():
    with pytest.raises(PromQLError) as e:
        parse_response({"status": "error", "errorType": "bad_data", "error": "parse error"}, "sum(x")
    assert "sum(x" in str(e.value) and "parse error" in str(e.value)


class FakeSession:
    def __init__(self, status, body):
        self.status, self.body, self.calls = status, body, []

    def request(self, method, url, headers=None, timeout=None):
        self.calls.append((method, url, headers))
        return Response(self.status, {}, self.body, 0.01, url)


def test_client_sends_the_query_and_token():
    session = FakeSession(200, b'{"status":"success","data":{"resultType":"vector","result":[]}}')
    result = Prometheus("http://prom:9090/", session, bearer_token="tok").query('up{job="x"}')
    method, url, headers = session.calls[0]
    assert method == "GET"
    assert url == "http://prom:9090/api/v1/query?query=up%7Bjob%3D%22x%22%7D"
    assert headers == {"Authorization": "Bearer tok"}
    assert result.no_data


@pytest.mark.parametrize(("status", "body"), [(401, b"unauthorized"), (502, b"<html>bad gateway</html>")])
def test_client_refusals_are_errors(status, body):
    with pytest.raises(PromQLError):
        Prometheus("http://prom:9090", FakeSession(status, body)).query("up")


def test_range_results_keep_every_point_and_drop_nan():
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import parse_range

    payload = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {"metric": {"job": "a"}, "values": [[1.0, "0.5"], [2.0, "NaN"], [3.0, "0.25"]]},
                {"metric": {"job": "b"}, "values": [[1.0, "NaN"]]},
            ],
        },
    }
    [series] = parse_range(payload, "q")
    assert series.labels == {"job": "a"} and series.points == [(1.0, 0.5), (3.0, 0.25)]


def test_range_query_refused_raises_with_prometheus_message():
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import PromQLError, parse_range

    with pytest.raises(PromQLError, match="bad_data"):
        parse_range({"status": "error", "errorType": "bad_data", "error": "parse error"}, "q(")
