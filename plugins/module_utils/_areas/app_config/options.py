# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the app_config area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import client_args
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args


def app_config_check() -> dict[str, Any]:
    """The AnsibleModule arguments of app_config_check."""
    return dict(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "configmap": {"type": "str", "default": "sme-platform-config"},
            "source": {"type": "str", "default": "auto", "choices": ["auto", "live", "planned"]},
            "planned": {"type": "dict"},
            "frontend_url": {"type": "str", "required": True},
            "domain": {"type": "str", "required": True},
            "node_env": {"type": "str", "default": "production"},
            "log_level": {"type": "str", "default": "info"},
            "rate_limit_max": {"type": "int", "default": 100},
            "rate_limit_window_ms": {"type": "int", "default": 900000},
            "feature_flags": {"type": "dict", "default": {}},
            "smtp_host": {"type": "str", "default": ""},
            "smtp_port": {"type": "int"},
            "smtp_username": {"type": "str"},
            "smtp_password": {"type": "str", "no_log": True},
            "mail_domain": {"type": "str", "required": True},
            "dkim_selectors": {"type": "list", "elements": "str", "default": ["s1"]},
            **client_args(),
            **connection_args(),
        },
        required_if=[("source", "planned", ("planned",))],
        supports_check_mode=True,
    )
