# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate's options: the module's argument spec and every default of the gate, in one table."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening.http_rules import (
    CSP_FORBIDDEN,
    CSP_REQUIRED,
    SAFE_REFERRER_POLICIES,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.ids import CHECKS
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args


def _dict(options: dict) -> dict:
    return {"type": "dict", "default": {}, "options": options}


def smoke_check_spec() -> dict[str, Any]:
    strs = {"type": "list", "elements": "str"}
    return {
        "purpose": {"type": "str", "choices": ["deploy", "rollback"], "default": "deploy"},
        "checks": {**strs, "default": [], "choices": list(CHECKS)},
        "skip_checks": {**strs, "default": [], "choices": list(CHECKS)},
        "api_url": {"type": "str", "required": True},
        "frontend_url": {"type": "str"},
        "ca_bundle": {"type": "path"},
        "resolver": {"type": "str", "default": ""},
        "resolve": {"type": "dict", "default": {}},
        "headers": {"type": "dict", "default": {}},
        "timeout": {"type": "float", "default": 5.0},
        "settle": {"type": "float", "default": 20.0},
        "backoff": {"type": "float", "default": 0.5},
        "backoff_max": {"type": "float", "default": 4.0},
        "budget": {"type": "float", "default": 60.0},
        "workers": {"type": "int", "default": 16},
        "health": _dict(
            {"path": {"type": "str", "default": "/health"}, "expected_version": {"type": "str", "default": ""}}
        ),
        "login": _dict(
            {
                "path": {"type": "str", "default": "/api/auth/login"},
                "email": {"type": "str"},
                "password": {"type": "str", "no_log": True},
                "token_field": {"type": "str", "default": "access_token", "no_log": False},
                "jwt_max_lifetime": {"type": "int", "default": 86400},
            }
        ),
        "invoice": _dict(
            {"path": {"type": "str", "default": "/api/invoices"}, "payload": {"type": "dict", "default": {}}}
        ),
        "tls": _dict({"names": {**strs, "default": []}, "min_days": {"type": "int", "default": 14}}),
        "dns": _dict(
            {
                "names": {**strs, "default": []},
                "addresses": {**strs, "default": []},
                "record_type": {"type": "str", "choices": ["A", "AAAA", "CNAME"], "default": "A"},
            }
        ),
        "security_headers": _dict(
            {
                "urls": {**strs, "default": []},
                "hsts_min_max_age": {"type": "int", "default": 15552000},
                "referrer_policies": {**strs, "default": list(SAFE_REFERRER_POLICIES)},
                "frame_options": {**strs, "default": ["DENY", "SAMEORIGIN"]},
                "csp_required": {**strs, "default": list(CSP_REQUIRED)},
                "csp_forbidden": {**strs, "default": list(CSP_FORBIDDEN)},
            }
        ),
        "cors": _dict(
            {
                "path": {"type": "str", "default": "/api/auth/login"},
                "allowed_origin": {"type": "str", "default": ""},
                "foreign_origin": {"type": "str", "default": "https://foreign-origin.invalid"},
            }
        ),
        "rate_limit": _dict(
            {
                "path": {"type": "str", "default": "/api/auth/me"},
                "max_limit": {"type": "int", "default": 100},
                "max_requests": {"type": "int"},
                "connections": {"type": "int", "default": 4},
            }
        ),
        "kubernetes": _dict(
            {
                "namespace": {"type": "str", "default": "sme-platform"},
                "deployments": {**strs, "default": []},
                "max_restarts": {"type": "int", "default": 3},
                "expected_replicas": {"type": "dict", "default": {}},
            }
        ),
        **connection_args(),
        "smtp": _dict(
            {
                "host": {"type": "str"},
                "port": {"type": "int", "default": 587},
                "server_name": {"type": "str"},
                "starttls": {"type": "bool", "default": True},
                "username": {"type": "str"},
                "password": {"type": "str", "no_log": True},
                "sender": {"type": "str", "default": "smoke@smeplatform.invalid"},
                "recipient": {"type": "str"},
            }
        ),
        "twilio": _dict(
            {
                "url": {"type": "str", "default": "https://api.twilio.com"},
                "account_sid": {"type": "str", "no_log": True},
                "auth_token": {"type": "str", "no_log": True},
            }
        ),
        "razorpay": _dict(
            {
                "url": {"type": "str", "default": "https://api.razorpay.com"},
                "key_id": {"type": "str", "no_log": False},
                "key_secret": {"type": "str", "no_log": True},
                "require_live": {"type": "bool", "default": True},
            }
        ),
        "prometheus": _dict(
            {
                "url": {"type": "str"},
                "bearer_token": {"type": "str", "no_log": True},
                "no_data": {"type": "str", "choices": ["fail", "pass", "skip"], "default": "fail"},
                "error_rate_query": {
                    "type": "str",
                    "default": 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
                },
                "traffic_query": {"type": "str", "default": "sum(rate(http_requests_total[5m]))"},
                "error_rate_max": {"type": "float", "default": 0.01},
                "latency_query": {
                    "type": "str",
                    "default": "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))",
                },
                "latency_max": {"type": "float", "default": 0.2},
                "alerts_query": {"type": "str", "default": 'ALERTS{alertstate="firing",severity="critical"}'},
                "errors_query": {"type": "str", "default": 'sum(increase(http_requests_total{status=~"5.."}[10m]))'},
                "errors_max": {"type": "float", "default": 0},
                "first_sample_wait": {"type": "float", "default": 0},
            }
        ),
    }


def smoke_check() -> dict[str, Any]:
    """The AnsibleModule arguments of smoke_check."""
    return {"argument_spec": smoke_check_spec(), "supports_check_mode": True}
