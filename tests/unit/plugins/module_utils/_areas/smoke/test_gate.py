"""The smoke gate's rules and runner: JWT lifetime, header rules, PromQL results, CORS, rate limit, retry budget."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import (
    CHECKS,
    EVIDENCE_IDS,
    Check,
    CheckResult,
    Handoff,
    RetryPolicy,
    Smoke,
    alerts_outcome,
    cors_outcome,
    csp_problems,
    error_rate_outcome,
    failed,
    jwt_claims,
    jwt_lifetime_outcome,
    parse_csp,
    parse_hsts,
    passed,
    promql_outcome,
    rate_limit_more,
    rate_limit_outcome,
    run_checks,
    run_with_retry,
    security_header_problems,
    skipped,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.promql import parse_response
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import validate
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue


def token(claims, header=None):
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{enc(header or {'alg': 'HS256', 'typ': 'JWT'})}.{enc(claims)}.c2ln"


# --- JWT lifetime ------------------------------------------------------------------------------------


def test_jwt_of_24h_passes():
    outcome = jwt_lifetime_outcome(token({"iat": 1700000000, "exp": 1700086400}), 86400)
    assert outcome.status == "passed"
    assert outcome.measured == "86400 s (24h)"


def test_jwt_shorter_than_policy_passes():
    assert jwt_lifetime_outcome(token({"iat": 1700000000, "exp": 1700000900}), 86400).status == "passed"


def test_jwt_longer_than_policy_fails_final():
    outcome = jwt_lifetime_outcome(token({"iat": 1700000000, "exp": 1700000000 + 7 * 86400}), 86400)
    assert outcome.status == "failed" and outcome.final
    assert outcome.measured == "604800 s (7d)"
    assert "longer than the policy" in outcome.detail


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"iat": 1700000000}, "exp"),
        ({"exp": 1700000000}, "iat"),
        ({"iat": "1700000000", "exp": 1700086400}, "iat"),
        ({"iat": 1700086400, "exp": 1700000000}, "before it is issued"),
    ],
)
def test_jwt_without_usable_claims_fails(claims, why):
    outcome = jwt_lifetime_outcome(token(claims), 86400)
    assert outcome.status == "failed"
    assert why in outcome.detail


@pytest.mark.parametrize("bad", ["abc", "a.b", "a.!!!.c", "a." + base64.urlsafe_b64encode(b"[1]").decode() + ".c"])
def test_not_a_jwt(bad):
    with pytest.raises(ValueError):
        jwt_claims(bad)
    assert jwt_lifetime_outcome(bad, 86400).status == "failed"


# --- security headers --------------------------------------------------------------------------------

GOOD = {
    "Content-Security-Policy": "default-src 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'; "
    "script-src 'self'; style-src 'self' 'unsafe-inline'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def test_good_headers_pass():
    assert security_header_problems(GOOD) == []
    assert security_header_problems({k.lower(): v for k, v in GOOD.items()}) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"Strict-Transport-Security": None}, "Strict-Transport-Security missing"),
        ({"Strict-Transport-Security": "max-age=300; includeSubDomains"}, "max-age 300 below 15552000"),
        ({"Strict-Transport-Security": "max-age=31536000"}, "lacks includeSubDomains"),
        ({"Strict-Transport-Security": "includeSubDomains"}, "has no max-age"),
        ({"X-Content-Type-Options": "sniff"}, "not nosniff"),
        ({"X-Frame-Options": "ALLOW-FROM https://x.test"}, "X-Frame-Options is"),
        ({"Referrer-Policy": "unsafe-url"}, "Referrer-Policy is"),
        ({"Referrer-Policy": "no-referrer, unsafe-url"}, "Referrer-Policy is"),
        ({"Content-Security-Policy": None}, "Content-Security-Policy missing"),
        ({"X-Frame-Options": None}, "X-Frame-Options missing"),
    ],
)
def test_each_header_rule(change, problem):
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    problems = security_header_problems(headers)
    assert any(problem in p for p in problems), problems


def test_referrer_policy_fallback_list_uses_the_last_value():
    assert security_header_problems({**GOOD, "Referrer-Policy": "unsafe-url, strict-origin-when-cross-origin"}) == []


def test_hsts_parsing():
    assert parse_hsts('max-age="600"; includeSubDomains; preload') == (600, True)
    assert parse_hsts("max-age=abc") == (None, False)


def test_hardened_csp_passes():
    required = ("default-src", "object-src", "frame-ancestors", "base-uri")
    forbidden = ("'unsafe-eval'", "'unsafe-inline'", "*", "http:", "data:")
    assert csp_problems(GOOD["Content-Security-Policy"], required, forbidden) == []


@pytest.mark.parametrize(
    ("csp", "problem"),
    [
        (None, "missing"),
        (
            "default-src 'self'; script-src 'self' 'unsafe-inline'; object-src 'none'",
            "script-src allows 'unsafe-inline'",
        ),
        ("default-src *; object-src 'none'", "default-src allows *"),
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "'unsafe-eval'"),
        ("default-src 'self'; object-src 'self'", "object-src is 'self'"),
        ("script-src 'self'", "directive default-src missing"),
    ],
)
def test_weak_csp_fails(csp, problem):
    problems = csp_problems(csp, ("default-src",), ("'unsafe-eval'", "'unsafe-inline'", "*"))
    assert any(problem in p for p in problems), problems


def test_csp_first_directive_wins():
    assert parse_csp("script-src 'self'; SCRIPT-SRC *")["script-src"] == ["'self'"]


# --- CORS --------------------------------------------------------------------------------------------


def test_cors_good():
    assert cors_outcome("https://a.test", "https://a.test", "https://evil.test", None).status == "passed"


@pytest.mark.parametrize(
    ("allowed_answer", "foreign_answer", "problem"),
    [
        ("https://a.test", "https://evil.test", "foreign origin https://evil.test accepted"),
        ("https://a.test", "*", "foreign origin"),
        (None, None, "allowed origin https://a.test not accepted"),
    ],
)
def test_cors_bad(allowed_answer, foreign_answer, problem):
    outcome = cors_outcome("https://a.test", allowed_answer, "https://evil.test", foreign_answer)
    assert outcome.status == "failed"
    assert problem in outcome.detail


# --- rate limit: a bounded probe ---------------------------------------------------------------------


def test_rate_limit_probe_sends_remaining_plus_one():
    assert rate_limit_more(401, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"}, 100, 101) == 100


def test_rate_limit_probe_never_exceeds_the_cap():
    assert rate_limit_more(401, {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "99"}, 100, 20) == 19
    assert rate_limit_more(200, {}, 100, 101) == 100, "no headers: the policy's limit + 1 in all"


@pytest.mark.parametrize(
    ("status", "headers"),
    [(429, {"X-RateLimit-Limit": "100"}), (401, {"X-RateLimit-Limit": "100000"}), (503, {})],
)
def test_rate_limit_probe_stops_when_the_first_answer_decides(status, headers):
    assert rate_limit_more(status, headers, 100, 101) == 0


def test_rate_limit_active():
    outcome = rate_limit_outcome(401, {"x-ratelimit-limit": "100"}, [401] * 99 + [429], 100)
    assert outcome.status == "passed"
    assert outcome.measured == {"limit": 100, "requests": 101, "throttled": 1}


def test_rate_limit_window_already_used_up_is_active():
    assert rate_limit_outcome(429, {"x-ratelimit-limit": "100"}, [], 100).status == "passed"


def test_rate_limit_above_policy_fails_without_probing():
    outcome = rate_limit_outcome(401, {"x-ratelimit-limit": "100000"}, [], 100)
    assert outcome.status == "failed"
    assert "100000 per window is above the policy of 100" in outcome.detail


def test_rate_limit_never_429_fails():
    outcome = rate_limit_outcome(200, {}, [200] * 100, 100)
    assert outcome.status == "failed"
    assert "no 429 after 101 requests" in outcome.detail


# --- PromQL results ----------------------------------------------------------------------------------


def result(*values, query="q"):
    return parse_response(
        {
            "status": "success",
            "data": {"resultType": "vector", "result": [{"metric": {}, "value": [0, v]} for v in values]},
        },
        query,
    )


def test_error_rate_below_threshold():
    outcome = promql_outcome(result("0.004"), 0.01, "fail", " %", scale=100)
    assert (outcome.status, outcome.measured, outcome.threshold) == ("passed", "0.4 %", "< 1 %")


def test_error_rate_at_threshold_fails_without_retry():
    outcome = promql_outcome(result("0.01"), 0.01, "fail", " %", scale=100)
    assert outcome.status == "failed" and outcome.final


def test_latency_in_ms():
    outcome = promql_outcome(result("0.25"), 0.2, "fail", " ms", scale=1000)
    assert (outcome.status, outcome.measured) == ("failed", "250 ms")


@pytest.mark.parametrize(("policy", "status"), [("fail", "failed"), ("pass", "passed"), ("skip", "skipped")])
def test_no_data_is_decided_by_the_policy(policy, status):
    for empty in (result(), result("NaN")):
        outcome = promql_outcome(empty, 0.2, policy)
        assert outcome.status == status
        assert outcome.measured == "no data"
        assert "no data" in outcome.detail


def test_empty_error_ratio_with_traffic_is_zero():
    outcome = error_rate_outcome(result(), result("3.2"), 0.01, "fail")
    assert (outcome.status, outcome.measured) == ("passed", "0 %")


@pytest.mark.parametrize("traffic", [result(), result("0"), None])
def test_empty_error_ratio_without_traffic_is_no_data(traffic):
    assert error_rate_outcome(result(), traffic, 0.01, "fail").measured == "no data"


def test_alerts():
    assert alerts_outcome(result()).status == "passed"
    firing = parse_response(
        {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [{"metric": {"alertname": "HighErrorRate"}, "value": [0, "1"]}],
            },
        },
        "ALERTS",
    )
    outcome = alerts_outcome(firing)
    assert outcome.status == "failed"
    assert "HighErrorRate" in outcome.detail


# --- the retry budget --------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def flaky(fail_times, clock, cost=0.0):
    calls = {"n": 0}

    def run():
        calls["n"] += 1
        clock.now += cost
        if calls["n"] <= fail_times:
            return failed(detail="not yet")
        return passed("ok")

    return run, calls


def test_retry_until_success_with_exponential_backoff():
    clock = Clock()
    run, calls = flaky(3, clock)
    outcome, attempts = run_with_retry(
        run, RetryPolicy(settle=20, backoff=0.5, backoff_max=4), 60, True, clock, clock.sleep
    )
    assert outcome.status == "passed"
    assert attempts == 4
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_backoff_is_capped():
    clock = Clock()
    run, _ = flaky(10, clock)
    run_with_retry(run, RetryPolicy(settle=100, backoff=1, backoff_max=4), 1000, True, clock, clock.sleep)
    assert clock.sleeps[:5] == [1, 2, 4, 4, 4]


def test_settling_window_ends_the_retries():
    clock = Clock()
    run, calls = flaky(1000, clock, cost=0.1)
    outcome, attempts = run_with_retry(
        run, RetryPolicy(settle=5, backoff=0.5, backoff_max=1), 60, True, clock, clock.sleep
    )
    assert outcome.status == "failed"
    assert clock.now <= 5.0 + 0.1
    assert attempts == calls["n"] and attempts >= 5
    assert f"still failing after {attempts} attempts" in outcome.detail


def test_overall_deadline_is_shorter_than_the_window():
    clock = Clock()
    run, _ = flaky(1000, clock)
    run_with_retry(run, RetryPolicy(settle=30, backoff=1, backoff_max=1), 3, True, clock, clock.sleep)
    assert clock.now <= 3


def test_final_failure_and_no_retry_checks_run_once():
    clock = Clock()
    outcome, attempts = run_with_retry(lambda: failed(final=True), RetryPolicy(), 60, True, clock, clock.sleep)
    assert attempts == 1 and outcome.status == "failed"
    outcome, attempts = run_with_retry(lambda: failed(), RetryPolicy(), 60, False, clock, clock.sleep)
    assert attempts == 1
    assert clock.sleeps == []


def test_exceptions_become_failures():
    clock = Clock()

    def boom():
        raise ConnectionFailure("refused")

    outcome, attempts = run_with_retry(
        boom, RetryPolicy(settle=1, backoff=0.5, backoff_max=0.5), 60, True, clock, clock.sleep
    )
    assert outcome.status == "failed" and "refused" in outcome.detail
    assert attempts == 3

    def bug():
        raise KeyError("x")

    assert "KeyError" in run_with_retry(bug, RetryPolicy(settle=0), 60, True, clock, clock.sleep)[0].detail


@pytest.mark.parametrize("bad", [{"settle": -1}, {"backoff": 0}, {"backoff": 2, "backoff_max": 1}, {"factor": 0.5}])
def test_bad_retry_settings(bad):
    with pytest.raises(ConfigurationError):
        RetryPolicy(**bad)


def test_checks_run_concurrently_and_the_budget_stops_stragglers():
    release = threading.Event()
    started = time.monotonic()
    checks = [Check(f"fast{i}", "health", lambda: (time.sleep(0.2), passed())[1]) for i in range(8)]
    checks.append(Check("stuck", "pods", lambda: (release.wait(5), passed())[1]))
    results = run_checks(checks, RetryPolicy(settle=0), budget=1.0, workers=16)
    elapsed = time.monotonic() - started
    release.set()
    assert elapsed < 1.5, "eight 0.2 s checks ran in parallel and the stuck one was abandoned at the budget"
    assert [r.status for r in results[:8]] == ["passed"] * 8
    assert results[8].status == "failed"
    assert "overall budget of 1 s" in results[8].detail


def test_duplicate_check_names_are_refused():
    with pytest.raises(ConfigurationError):
        run_checks([Check("a", "health", passed), Check("a", "health", passed)], RetryPolicy(), 5)


def test_handoff_waits_for_the_producer():
    handoff = Handoff()
    threading.Timer(0.05, handoff.put, args=("tok",)).start()
    assert handoff.get(2) == "tok"
    closed = Handoff()
    closed.close(failed(detail="login refused"))
    assert closed.get(2) is None
    assert closed.why == "login refused"


# --- selection and evidence --------------------------------------------------------------------------

BASE = {"api_url": "https://api.unit.test", "frontend_url": "https://unit.test"}
LOGIN = {"login": {"email": "admin@unit.test", "password": "pw"}}


def test_every_evidence_id_is_in_the_catalogue_and_owned_by_the_smoke_role():
    catalogue = Catalogue.load()
    for ids in [*EVIDENCE_IDS.values(), ("rollback.4",)]:
        for item_id in ids:
            assert catalogue.item(item_id).role == "smoke", item_id


def test_deploy_runs_every_check_by_default():
    assert Smoke({**BASE, **LOGIN}).selected == list(CHECKS)


def test_rollback_runs_the_narrow_set_and_records_rollback_4():
    smoke = Smoke({**BASE, **LOGIN, "purpose": "rollback"})
    assert smoke.selected == ["health", "frontend", "login", "pods"]
    summary = smoke.summarise([CheckResult("health", "health", "passed", "200", "200", "", "", 1, 0.1)], 0.1)
    assert [e["id"] for e in summary["evidence"]] == ["rollback.4"]


def test_token_users_bring_login_along():
    assert Smoke({**BASE, **LOGIN, "checks": ["invoice"]}).selected == ["login", "invoice"]


def test_login_checks_need_credentials_before_anything_runs():
    with pytest.raises(ConfigurationError, match="login.email and login.password"):
        Smoke({**BASE, "checks": ["jwt_lifetime"]})
    assert Smoke({**BASE, "checks": ["health"]}).selected == ["health"]


def test_unknown_check_names():
    with pytest.raises(ConfigurationError, match="unknown check"):
        Smoke({**BASE, "checks": ["helth"]})


def test_bad_resolver_and_url_fail_early():
    with pytest.raises(ConfigurationError):
        Smoke({**BASE, "checks": ["health"], "resolver": "dns.example.com"})
    with pytest.raises(ConfigurationError):
        Smoke({"api_url": "api.unit.test/health", "checks": ["health"]})


def test_summary_names_failed_checks_and_builds_valid_evidence():
    smoke = Smoke({**BASE, "checks": ["health", "tls"]})
    results = [
        CheckResult(
            "health", "health", "failed", "503", "200", "answered 503", "https://api.unit.test/health", 4, 20.1
        ),
        CheckResult("tls:old.unit.test:443", "tls", "failed", {"days_left": -35.0}, ">= 14", "expired", "", 1, 0.1),
        CheckResult("frontend", "frontend", "skipped", None, None, "no frontend", "", 1, 0.0),
    ]
    summary = smoke.summarise(results, 20.2)
    assert summary["passed"] is False
    assert summary["failed_checks"] == ["health", "tls:old.unit.test:443"]
    assert summary["summary"] == {"passed": 0, "failed": 2, "skipped": 1}
    ids = [(e["id"], e["status"]) for e in summary["evidence"]]
    assert ("deploy.7.3", "failed") in ids and ("2.2.5", "failed") in ids and ("deploy.5", "skipped") in ids
    for e in summary["evidence"]:
        assert validate(e) == e
    tls = next(e for e in summary["evidence"] if e["id"] == "deploy.7.5")
    assert tls["measured"] == {"days_left": -35.0}
    assert tls["detail"].startswith("tls:old.unit.test:443: ")


def test_check_mode_skips_the_invoice_without_any_request():
    smoke = Smoke({**BASE, **LOGIN, "checks": ["invoice"]}, check_mode=True)
    outcome = smoke.check_invoice()
    assert outcome.status == "skipped"
    assert "check mode" in outcome.detail


def test_unconfigured_integrations_are_skipped():
    smoke = Smoke({**BASE, "checks": ["email", "sms", "payment", "error_rate", "pods"]})
    for check in (smoke.check_email, smoke.check_sms, smoke.check_payment, smoke.check_error_rate, smoke.check_pods):
        assert check().status == "skipped"
    assert skipped("x").status == "skipped"


def test_narrow_ranges_cuts_windows_to_the_time_the_release_served():
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import narrow_ranges

    query = 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
    assert narrow_ranges(query, 42.2) == (
        'sum(rate(http_requests_total{status=~"5.."}[43s])) / sum(rate(http_requests_total[43s]))'
    )
    assert narrow_ranges(query, 600) == query
    assert narrow_ranges("increase(x[10m]) + increase(y[30s])", 45) == "increase(x[45s]) + increase(y[30s])"
    assert narrow_ranges('ALERTS{alertstate="firing"}', 5) == 'ALERTS{alertstate="firing"}'
