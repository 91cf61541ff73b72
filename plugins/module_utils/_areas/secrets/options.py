# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of production_secrets: its argument spec, with every default of the secrets area."""

from __future__ import annotations

import dataclasses
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import DEFAULT_GENERATED
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args

_SECRET_STR = {"type": "str", "no_log": True}


def production_secrets_spec() -> dict[str, Any]:
    return {
        "name": {"type": "str", "default": "sme-platform-secrets"},
        "namespace": {"type": "str", "default": "sme-platform"},
        "mode": {"type": "str", "choices": ["ensure", "verify"], "default": "ensure"},
        "environment": {"type": "str", "default": ""},
        "generated": {
            "type": "list",
            "elements": "dict",
            "default": [dataclasses.asdict(key) for key in DEFAULT_GENERATED],
            "options": {
                "name": {"type": "str", "required": True},
                "size": {"type": "int", "required": True},
                "encoding": {"type": "str", "choices": ["base64", "base64url", "hex"], "default": "base64"},
                "item": {"type": "str"},
            },
        },
        "rotate": {"type": "list", "elements": "str", "default": []},
        "rotate_due": {"type": "bool", "default": False},
        "rotation_max_age_days": {"type": "int", "default": 90},
        "external": {
            "type": "dict",
            "default": {},
            "options": {
                "sendgrid_api_key": dict(_SECRET_STR),
                "twilio_account_sid": dict(_SECRET_STR),
                "twilio_auth_token": dict(_SECRET_STR),
                "razorpay_key_id": dict(_SECRET_STR),
                "razorpay_key_secret": dict(_SECRET_STR),
                "aws_access_key_id": dict(_SECRET_STR),
                "aws_secret_access_key": dict(_SECRET_STR),
            },
        },
        "manage_external": {"type": "bool", "default": True},
        "external_required": {"type": "bool", "default": True},
        "verify_providers": {"type": "bool", "default": True},
        "sendgrid_url": {"type": "str", "default": "https://api.sendgrid.com"},
        "twilio_url": {"type": "str", "default": "https://api.twilio.com"},
        "razorpay_url": {"type": "str", "default": "https://api.razorpay.com"},
        "aws_sts_url": {"type": "str", "default": ""},
        "aws_region": {"type": "str", "default": "us-east-1"},
        "ca_bundle": {"type": "path"},
        "validate_certs": {"type": "bool", "default": True},
        "provider_timeout": {"type": "float", "default": 10.0},
        "compare_with": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "label": {"type": "str"},
                "namespace": {"type": "str"},
                "name": {"type": "str", "default": "sme-platform-secrets"},
                "kubeconfig": {"type": "path"},
                "context": {"type": "str"},
                "fingerprint_file": {"type": "path"},
            },
        },
        "export_fingerprints": {"type": "path"},
        "create_namespace": {"type": "bool", "default": False},
        **connection_args(),
    }


def production_secrets() -> dict[str, Any]:
    """The AnsibleModule arguments of production_secrets."""
    return {"argument_spec": production_secrets_spec(), "supports_check_mode": True}
