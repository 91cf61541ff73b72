# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The web rules of checklist 7.2.x: security headers, CSP, CORS, rate limiting and JWT lifetime.

Pure functions over what a server answered; the smoke gate measures, these decide."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Outcome, failed, passed

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
)
SAFE_REFERRER_POLICIES = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
CSP_REQUIRED = ("default-src", "object-src", "frame-ancestors", "base-uri")
CSP_FORBIDDEN = ("'unsafe-eval'", "'unsafe-inline'", "*", "http:", "data:")


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, without verifying its signature (the server's key is not ours to hold)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated parts")
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (ValueError, binascii.Error) as exc:
        raise ValueError(f"JWT payload is not base64url JSON: {exc}") from exc
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not a JSON object")
    return claims


def jwt_lifetime_outcome(token: str, max_lifetime: int) -> Outcome:
    """exp - iat must be positive and at most max_lifetime seconds."""
    threshold = f"0 < exp - iat <= {max_lifetime} s ({_human(max_lifetime)})"
    try:
        claims = jwt_claims(token)
    except ValueError as exc:
        return failed(detail=str(exc), threshold=threshold, final=True)
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        missing = [k for k, v in (("exp", exp), ("iat", iat)) if not isinstance(v, int | float)]
        return failed(
            measured=None, threshold=threshold, detail=f"token has no numeric {', '.join(missing)} claim", final=True
        )
    lifetime = int(exp - iat)
    measured = f"{lifetime} s ({_human(lifetime)})"
    if lifetime <= 0:
        return failed(measured, threshold, "token expires before it is issued", final=True)
    if lifetime > max_lifetime:
        return failed(measured, threshold, f"token lives {_human(lifetime)}, longer than the policy", final=True)
    return passed(measured, threshold, f"token lifetime {_human(lifetime)}")


def _human(seconds: float) -> str:
    seconds = int(seconds)
    # Hours up to two days: token lifetimes are stated as "24h".
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0 and (unit != "d" or seconds > 2 * 86400):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_csp(value: str) -> dict[str, list[str]]:
    """Content-Security-Policy to {directive: [sources]}; the first occurrence of a directive wins (CSP3)."""
    policy: dict[str, list[str]] = {}
    for part in value.split(";"):
        tokens = part.strip().split()
        if tokens:
            policy.setdefault(tokens[0].lower(), tokens[1:])
    return policy


def csp_problems(
    value: str | None, required: tuple[str, ...] | list[str], forbidden: tuple[str, ...] | list[str]
) -> list[str]:
    """Why a CSP is not hardened: missing directives, unsafe script sources."""
    if not value:
        return ["Content-Security-Policy missing"]
    policy = parse_csp(value)
    problems = [f"directive {d} missing" for d in required if d not in policy]
    # script-src falls back to default-src; scripts are where 'unsafe-*' and wide sources hurt.
    script_directive = "script-src" if "script-src" in policy else "default-src"
    sources = [s.lower() for s in policy.get(script_directive, [])]
    bad = [s for s in forbidden if s.lower() in sources]
    if bad:
        problems.append(f"{script_directive} allows {' '.join(bad)}")
    if "object-src" in policy and policy["object-src"] != ["'none'"]:
        problems.append(f"object-src is {' '.join(policy['object-src'])}, not 'none'")
    return problems


def parse_hsts(value: str) -> tuple[int | None, bool]:
    """(max-age, includeSubDomains) of a Strict-Transport-Security value."""
    max_age = None
    subdomains = False
    for part in value.split(";"):
        key, _unused, val = part.strip().partition("=")
        key = key.strip().lower()
        if key == "max-age":
            try:
                max_age = int(val.strip().strip('"'))
            except ValueError:
                max_age = None
        elif key == "includesubdomains":
            subdomains = True
    return max_age, subdomains


def security_header_problems(
    headers: dict[str, str],
    hsts_min_max_age: int = 15552000,
    referrer_policies: tuple[str, ...] | list[str] = SAFE_REFERRER_POLICIES,
    frame_options: tuple[str, ...] | list[str] = ("DENY", "SAMEORIGIN"),
) -> list[str]:
    """Why the response's security headers fall short (header names case-insensitive)."""
    h = {k.lower(): v for k, v in headers.items()}
    problems = []
    missing = [name for name in SECURITY_HEADERS if name.lower() not in h]
    problems += [f"{name} missing" for name in missing]
    hsts = h.get("strict-transport-security")
    if hsts is not None:
        max_age, subdomains = parse_hsts(hsts)
        if max_age is None:
            problems.append("Strict-Transport-Security has no max-age")
        elif max_age < hsts_min_max_age:
            problems.append(f"Strict-Transport-Security max-age {max_age} below {hsts_min_max_age}")
        if not subdomains:
            problems.append("Strict-Transport-Security lacks includeSubDomains")
    xcto = h.get("x-content-type-options")
    if xcto is not None and xcto.strip().lower() != "nosniff":
        problems.append(f"X-Content-Type-Options is {xcto!r}, not nosniff")
    xfo = h.get("x-frame-options")
    if xfo is not None and xfo.strip().upper() not in {f.upper() for f in frame_options}:
        problems.append(f"X-Frame-Options is {xfo!r}, not one of {', '.join(frame_options)}")
    referrer = h.get("referrer-policy")
    if referrer is not None:
        # A list is allowed; the browser uses the last value it understands.
        last = [p.strip().lower() for p in referrer.split(",") if p.strip()][-1:] or [""]
        if last[0] not in referrer_policies:
            problems.append(f"Referrer-Policy is {referrer!r}, not one of {', '.join(referrer_policies)}")
    return problems


def cors_outcome(
    allowed_origin: str, allowed_answer: str | None, foreign_origin: str, foreign_answer: str | None
) -> Outcome:
    """The allowed origin must be echoed back; a foreign one must get no Access-Control-Allow-Origin (nor '*')."""
    measured = {"allowed_origin": allowed_answer, "foreign_origin": foreign_answer}
    threshold = f"{allowed_origin} accepted, {foreign_origin} refused"
    problems = []
    if allowed_answer != allowed_origin:
        problems.append(f"allowed origin {allowed_origin} not accepted (Access-Control-Allow-Origin: {allowed_answer})")
    if foreign_answer in (foreign_origin, "*"):
        problems.append(f"foreign origin {foreign_origin} accepted (Access-Control-Allow-Origin: {foreign_answer})")
    if problems:
        return failed(measured, threshold, "; ".join(problems))
    return passed(measured, threshold, "allowed origin accepted, foreign origin refused")


def _int_header(headers: dict[str, str], name: str) -> int | None:
    value = {k.lower(): v for k, v in headers.items()}.get(name.lower())
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_limit_more(first_status: int, first_headers: dict[str, str], policy: int, cap: int) -> int:
    """How many more requests the probe may send after the first one.

    0 when the first answer already decides (429, a server error, or a limit above the policy);
    otherwise X-RateLimit-Remaining + 1 when the server says it, capped so that the
    probe never sends more than `cap` requests in all.
    """
    limit = _int_header(first_headers, "x-ratelimit-limit")
    if first_status == 429 or first_status >= 500 or (limit is not None and limit > policy):
        return 0
    remaining = _int_header(first_headers, "x-ratelimit-remaining")
    wanted = remaining + 1 if remaining is not None else policy
    return max(0, min(wanted, cap - 1))


def rate_limit_outcome(first_status: int, first_headers: dict[str, str], later: list[int], policy: int) -> Outcome:
    """Rate limiting is active when the advertised limit is within the policy and a 429 came once it was used up."""
    limit = _int_header(first_headers, "x-ratelimit-limit")
    statuses = [first_status, *later]
    threshold = f"limit <= {policy} per window; 429 once exceeded"
    measured = {"limit": limit, "requests": len(statuses)}
    if limit is not None and limit > policy:
        return failed(measured, threshold, f"rate limit {limit} per window is above the policy of {policy}", final=True)
    if first_status >= 500:
        return failed(measured, threshold, f"the probed route answered {first_status}: nothing to measure", final=True)
    if 429 in statuses:
        measured["throttled"] = statuses.count(429)
        return passed(measured, threshold, f"429 within {len(statuses)} request(s) (X-RateLimit-Limit {limit})")
    return failed(
        measured,
        threshold,
        f"no 429 after {len(statuses)} requests (last status {statuses[-1]}): rate limiting is not active",
        final=True,
    )
