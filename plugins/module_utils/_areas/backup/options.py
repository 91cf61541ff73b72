# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the backup area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args

# The backup CronJob: backup_cronjob writes it (its name), backup_check and backup_restore_drill read it (cronjob).
CRONJOB = {"type": "str", "default": "sme-platform-db-backup"}
# Seconds a backup stays fresh (the role's backup_max_success_age): for the check, the CronJob's backup when stale and
# the drill's dump alike.
FRESH_FOR = 93600


def _secret_env() -> dict[str, Any]:
    """Environment variables of a backup pod taken from Secret keys: references, no values."""
    return {
        "type": "list",
        "elements": "dict",
        "default": [],
        "no_log": False,
        "options": {
            "name": {"type": "str", "required": True},
            "secret_name": {"type": "str", "required": True},
            "key": {"type": "str", "required": True, "no_log": False},
        },
    }


def backup_check() -> dict[str, Any]:
    """The AnsibleModule arguments of backup_check."""
    return dict(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "cronjob": dict(CRONJOB),
            "schedule": {"type": "str", "default": "0 2 * * *"},
            "retention_days": {"type": "int", "default": 30},
            "max_success_age": {"type": "int", "default": FRESH_FOR},
            "rpo_hours": {"type": "float", "default": 24.0},
            "release": {"type": "str", "required": True},
            "config_dest": {"type": "path", "required": True},
            "db_host": {"type": "str", "default": ""},
            "db_port": {"type": "int", "default": 5432},
            "db_name": {"type": "str", "default": "postgres"},
            "db_user": {"type": "str"},
            "db_password": {"type": "str", "no_log": True},
            "db_sslmode": {"type": "str", "default": "prefer"},
            **connection_args(),
        },
        supports_check_mode=True,
    )


def backup_cronjob() -> dict[str, Any]:
    """The AnsibleModule arguments of backup_cronjob."""
    return dict(
        argument_spec={
            "name": dict(CRONJOB),
            "namespace": {"type": "str", "required": True},
            "schedule": {"type": "str", "default": "0 2 * * *"},
            "time_zone": {"type": "str", "default": ""},
            "image": {"type": "str", "required": True},
            "command": {"type": "list", "elements": "str", "required": True},
            "env": {"type": "dict", "default": {}},
            "secret_env": _secret_env(),
            "retention_days": {"type": "int", "default": 30},
            "volume_claim": {"type": "str", "default": ""},
            "volume_claim_manage": {"type": "bool", "default": False},
            "volume_size": {"type": "str", "default": "30Gi"},
            "volume_storage_class": {"type": "str", "default": ""},
            "node_selector": {"type": "dict", "default": {}},
            "tolerations": {"type": "list", "elements": "dict", "default": []},
            "labels": {"type": "dict", "default": {}},
            "history_limit": {"type": "int", "default": 7},
            "run_now": {"type": "bool", "default": False},
            "run_when_stale": {"type": "bool", "default": False},
            "stale_after": {"type": "float", "default": float(FRESH_FOR)},
            "wait_timeout": {"type": "float", "default": 900.0},
            **connection_args(),
        },
        supports_check_mode=True,
    )


def config_backup() -> dict[str, Any]:
    """The AnsibleModule arguments of config_backup."""
    return dict(
        argument_spec={
            "release": {"type": "str", "required": True},
            "namespace": {"type": "str", "required": True},
            "dest": {"type": "path", "required": True},
            **connection_args(),
        },
        supports_check_mode=True,
    )


def backup_restore_drill() -> dict[str, Any]:
    """The AnsibleModule arguments of backup_restore_drill."""
    return dict(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "cronjob": dict(CRONJOB),
            "rto_hours": {"type": "float", "default": 4.0},
            "max_dump_age": {"type": "int", "default": FRESH_FOR},
            "scratch_prefix": {"type": "str", "default": "restore_drill"},
            "env": {"type": "dict", "default": {}},
            "secret_env": _secret_env(),
            "timeout": {"type": "float", "default": 1800.0},
            **connection_args(),
        },
        supports_check_mode=True,
    )
