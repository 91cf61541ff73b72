# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the monitoring area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import client_args


def monitoring_check() -> dict[str, Any]:
    """The AnsibleModule arguments of monitoring_check."""
    return dict(
        argument_spec={
            "prometheus_url": {"type": "str", "required": True},
            "alertmanager_url": {"type": "str", "default": ""},
            "grafana_url": {"type": "str", "default": ""},
            "bearer_token": {"type": "str", "no_log": True},
            **client_args(),
            "backend_job": {"type": "str", "default": "sme-platform-backend"},
            "health_path": {"type": "str", "default": "/health"},
            "health_url": {"type": "str", "default": ""},
            "release_version": {"type": "str", "default": ""},
            "version_metric": {"type": "str", "default": "app_info"},
            "metric": {"type": "str", "default": "http_requests_total"},
            "max_sample_age": {"type": "float", "default": 120.0},
            "min_retention": {"type": "str", "default": "30d"},
            "rules_file": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
