# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the preflight area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any


def registry_check() -> dict[str, Any]:
    """The AnsibleModule arguments of registry_check."""
    return dict(
        argument_spec={
            "registry_url": {"type": "str", "required": True},
            "username": {"type": "str"},
            "password": {"type": "str", "no_log": True},
            "images": {
                "type": "list",
                "elements": "dict",
                "required": True,
                "options": {
                    "repository": {"type": "str", "required": True},
                    "tag": {"type": "str", "required": True},
                },
            },
            "ca_bundle": {"type": "path"},
            "timeout": {"type": "float", "default": 10.0},
        },
        supports_check_mode=True,
    )
