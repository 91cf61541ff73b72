# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the hardening area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args


def hardening_check() -> dict[str, Any]:
    """The AnsibleModule arguments of hardening_check."""
    return dict(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "release": {"type": "str", "default": ""},
            "service_account": {"type": "str", "required": True},
            "allowed_ports": {"type": "list", "elements": "int", "default": [80, 443]},
            "psa_level": {"type": "str", "default": "restricted", "choices": ["baseline", "restricted"]},
            "denied": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": {
                    "verb": {"type": "str", "required": True},
                    "resource": {"type": "str", "required": True},
                    "group": {"type": "str", "default": ""},
                    "namespace": {"type": "str", "default": ""},
                },
            },
            **connection_args(),
        },
        supports_check_mode=True,
    )
