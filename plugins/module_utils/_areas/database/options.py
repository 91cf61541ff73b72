# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the database area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import endpoint
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args


def postgres_check() -> dict[str, Any]:
    """The AnsibleModule arguments of postgres_check."""
    return dict(
        argument_spec={
            "host": {"type": "str", "required": True},
            "port": {"type": "int", "default": 5432},
            "dbname": {"type": "str", "required": True},
            **endpoint.login_args(),
            "admin_user": {"type": "str"},
            "admin_password": {"type": "str", "no_log": True},
            "app_user": {"type": "str", "required": True},
            "app_password": {"type": "str", "no_log": True},
            "app_host": {"type": "str"},
            "app_port": {"type": "int"},
            "pgbouncer_host": {"type": "str"},
            "pgbouncer_port": {"type": "int", "default": 6432},
            "pgbouncer_admin_user": {"type": "str"},
            "pgbouncer_admin_password": {"type": "str", "no_log": True},
            "min_version": {"type": "int", "default": 15},
            "min_replicas": {"type": "int", "default": 1},
            "max_lag_bytes": {"type": "int", "default": 16777216},
            "max_lag_seconds": {"type": "float", "default": 60.0},
            "max_archive_age": {"type": "int", "default": 86400},
            # The platform's own settings, read from the live cluster (4.2.4, 3.2.3).
            "namespace": {"type": "str", "required": True},
            "app_secret_name": {"type": "str", "default": "sme-platform-secrets", "no_log": False},  # a name
            "app_configmap": {"type": "str", "default": "sme-platform-config"},
            "redis_host": {"type": "str"},
            "redis_port": {"type": "int", "default": 6379},
            "redis_min_version": {"type": "int", "default": 6},
            # {"name:port": "host:port"}: where the controller reaches an address the platform's settings name.
            "routes": {"type": "dict", "default": {}},
            **connection_args(),
        },
        supports_check_mode=True,
    )
