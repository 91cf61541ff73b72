"""The web rules of checklist 7.2.x: JWT lifetime, security headers, CSP, CORS, rate limit."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening.http_rules import (
    cors_outcome,
    csp_problems,
    jwt_claims,
    jwt_lifetime_outcome,
    parse_csp,
    parse_hsts,
    rate_limit_more,
    rate_limit_outcome,
    security_header_problems,
)


def token(claims, header=None):
    def enc(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

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
