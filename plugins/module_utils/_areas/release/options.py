# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the release area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args


def deploy_lock() -> dict[str, Any]:
    """The AnsibleModule arguments of deploy_lock."""
    return dict(
        argument_spec={
            "name": {"type": "str", "required": True},
            "namespace": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["acquired", "free", "renewing", "released"], "default": "acquired"},
            "holder": {"type": "str"},
            "duration": {"type": "int", "default": 60},
            "break_lock": {"type": "bool", "default": False},
            "controller_pid": {"type": "int", "default": 0},
            "ensure_namespace": {"type": "bool", "default": True},
            "namespace_labels": {"type": "dict", "default": {}},
            "heartbeat": {"type": "int", "default": 0},
            **connection_args(),
        },
        required_if=[("state", "released", ["holder"]), ("state", "renewing", ["holder"])],
        supports_check_mode=True,
    )


def helm_release() -> dict[str, Any]:
    """The AnsibleModule arguments of helm_release."""
    return dict(
        argument_spec={
            "name": {"type": "str", "required": True},
            "namespace": {"type": "str", "required": True},
            "state": {"type": "str", "choices": ["present", "rolled_back"], "default": "present"},
            "chart": {"type": "str"},
            "chart_version": {"type": "str"},
            "repo": {"type": "str"},
            "values_files": {"type": "list", "elements": "path", "default": []},
            "values": {"type": "dict", "default": {}},
            "set_values": {"type": "dict", "default": {}},
            "wait": {"type": "bool", "default": True},
            "atomic": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 600},
            "history_max": {"type": "int", "default": 10},
            "required_secrets": {"type": "list", "elements": "str", "default": [], "no_log": False},
            "pending_action": {"type": "str", "choices": ["rollback", "fail"], "default": "fail"},
            "revision": {"type": "int", "default": 0},
            "evidence_id": {"type": "str"},
            "to_older_images": {"type": "bool", "default": False},
            "infrastructure": {
                "type": "dict",
                "options": {
                    "evidence_id": {"type": "str", "required": True},
                    "pod_security": {"type": "str", "required": True},
                    "namespace_labels": {"type": "dict", "default": {}},
                    "lock_held": {"type": "bool", "default": False},
                },
            },
            "procedure": {
                "type": "dict",
                "options": {
                    "evidence_id": {"type": "str", "required": True},
                    "after": {"type": "str", "required": True},
                },
            },
            "diagnostics_dir": {"type": "path"},
            "redact": {"type": "list", "elements": "str", "default": [], "no_log": True},
            "helm_binary": {"type": "path"},
            **connection_args(),
        },
        required_if=[("state", "present", ["chart"])],
        supports_check_mode=True,
    )


def migration_job() -> dict[str, Any]:
    """The AnsibleModule arguments of migration_job."""
    return dict(
        argument_spec={
            "release": {"type": "str", "required": True},
            "namespace": {"type": "str", "required": True},
            "action": {"type": "str", "required": True},
            "command": {"type": "list", "elements": "str", "required": True},
            "image": {"type": "str"},
            "image_from": {
                "type": "dict",
                "options": {
                    "kind": {"type": "str", "choices": ["Deployment", "StatefulSet"], "default": "Deployment"},
                    "name": {"type": "str", "required": True},
                    "container": {"type": "str"},
                },
            },
            "show_command": {"type": "list", "elements": "str", "default": []},
            "show_action": {"type": "str", "default": "show"},
            "run_key": {"type": "str", "default": "", "no_log": False},
            "env": {"type": "dict", "default": {}},
            "env_from": {"type": "list", "elements": "dict", "default": []},
            "service_account": {"type": "str"},
            "image_pull_secrets": {"type": "list", "elements": "str", "default": [], "no_log": False},
            "node_selector": {"type": "dict", "default": {}},
            "tolerations": {"type": "list", "elements": "dict", "default": []},
            "run_as_user": {"type": "int", "default": 1000},
            "resources": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 600},
            "rerun_failed": {"type": "bool", "default": True},
            "evidence_id": {"type": "str"},
            **connection_args(),
        },
        required_one_of=[("image", "image_from")],
        mutually_exclusive=[("image", "image_from")],
        supports_check_mode=True,
    )


def release_diagnostics() -> dict[str, Any]:
    """The AnsibleModule arguments of release_diagnostics."""
    return dict(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "release": {"type": "str"},
            "selector": {"type": "str"},
            "max_events": {"type": "int", "default": 100},
            "dest_dir": {"type": "path"},
            "cause": {"type": "str"},
            "evidence_id": {"type": "str"},
            "evidence_status": {
                "type": "str",
                "choices": ["passed", "failed", "skipped", "manual"],
                "default": "failed",
            },
            "redact": {"type": "list", "elements": "str", "default": [], "no_log": True},
            "helm_binary": {"type": "path"},
            **connection_args(),
        },
        supports_check_mode=True,
    )
