# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the operations area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import client_args
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args

DASHBOARD_OPTIONS = {
    "uid": {"type": "str", "required": True},
    "panels": {"type": "list", "elements": "str", "default": []},
}


def operations_check() -> dict[str, Any]:
    """The AnsibleModule arguments of operations_check."""
    return dict(
        argument_spec={
            "grafana_url": {"type": "str", "default": ""},
            "grafana_token": {"type": "str", "default": "", "no_log": True},
            "grafana_dashboards": {"type": "list", "elements": "dict", "options": DASHBOARD_OPTIONS, "default": []},
            "grafana_datasources": {"type": "list", "elements": "str", "default": []},
            "grafana_teams": {"type": "list", "elements": "str", "default": []},
            "grafana_max_admins": {"type": "int", "default": 3},
            "s3_endpoint": {"type": "str", "default": ""},
            "s3_bucket": {"type": "str", "default": ""},
            "s3_region": {"type": "str", "default": ""},
            "s3_primary_region": {"type": "str", "default": ""},
            "s3_access_key_id": {"type": "str", "default": "", "no_log": False},
            "s3_secret_access_key": {"type": "str", "default": "", "no_log": True},
            "s3_prefix": {"type": "str", "default": ""},
            "s3_max_backup_age": {"type": "str", "default": "26h"},
            "platform_url": {"type": "str", "default": ""},
            "platform_admin_email": {"type": "str", "default": ""},
            "platform_admin_password": {"type": "str", "default": "", "no_log": True},
            "platform_login_path": {"type": "str", "default": "/api/auth/login"},
            "platform_admins_path": {"type": "str", "default": "/api/admin/users"},
            **client_args(),
        },
        supports_check_mode=True,
    )


WINDOW_OPTIONS = {
    "days": {"type": "list", "elements": "str", "required": True},
    "start": {"type": "str", "required": True},
    "end": {"type": "str", "required": True},
}


def deploy_window() -> dict[str, Any]:
    """The AnsibleModule arguments of deploy_window."""
    return dict(
        argument_spec={
            "windows": {"type": "list", "elements": "dict", "options": WINDOW_OPTIONS, "required": True},
            "timezone": {"type": "str", "default": "UTC"},
            "prometheus_url": {"type": "str", "required": True},
            "bearer_token": {"type": "str", "no_log": True},
            "traffic_query": {"type": "str", "default": "sum(rate(http_requests_total[5m]))"},
            "max_traffic": {"type": "float", "default": 5.0},
            "override": {"type": "str", "default": ""},
            **client_args(),
        },
        supports_check_mode=True,
    )


def operations_stack_check() -> dict[str, Any]:
    """The AnsibleModule arguments of operations_stack_check."""
    return dict(
        argument_spec={
            **connection_args(),
            "namespace": {"type": "str", "default": "sme-platform"},
            "configmap": {"type": "str", "default": "sme-platform-config"},
            "sentry_url": {"type": "str", "default": "https://sentry.io"},
            "sentry_token": {"type": "str", "default": "", "no_log": True},
            "sentry_organization": {"type": "str", "default": ""},
            "sentry_project": {"type": "str", "default": ""},
            "sentry_dsn_key": {"type": "str", "default": "SENTRY_DSN", "no_log": False},
            "sentry_environment": {"type": "str", "default": "production"},
            "sentry_event_timeout": {"type": "float", "default": 60.0},
            "newrelic_url": {"type": "str", "default": "https://api.newrelic.com"},
            "newrelic_api_key": {"type": "str", "default": "", "no_log": True},
            "newrelic_app_name_key": {"type": "str", "default": "NEW_RELIC_APP_NAME", "no_log": False},
            "apm_max_report_age": {"type": "str", "default": "10m"},
            "statuspage_url": {"type": "str", "default": "https://api.statuspage.io"},
            "statuspage_api_key": {"type": "str", "default": "", "no_log": True},
            "statuspage_page_id": {"type": "str", "default": ""},
            "statuspage_components": {"type": "list", "elements": "str", "default": []},
            "sendgrid_url": {"type": "str", "default": "https://api.sendgrid.com"},
            "sendgrid_api_key": {"type": "str", "default": "", "no_log": True},
            "sendgrid_domain": {"type": "str", "default": ""},
            "sendgrid_templates": {"type": "list", "elements": "str", "default": []},
            "log_daemonset_namespace": {"type": "str", "default": "logging"},
            "log_daemonset": {"type": "str", "default": "fluent-bit"},
            "logsink_url": {"type": "str", "default": ""},
            "logsink_api_key": {"type": "str", "default": "", "no_log": True},
            "logsink_index": {"type": "str", "default": "logs-*"},
            "log_namespace_field": {"type": "str", "default": "kubernetes.namespace_name"},
            "log_max_age": {"type": "str", "default": "15m"},
            "mesh_required": {"type": "bool", "default": False},
            "mesh_root_namespace": {"type": "str", "default": "istio-system"},
            "pagerduty_url": {"type": "str", "default": "https://api.pagerduty.com"},
            "pagerduty_api_key": {"type": "str", "default": "", "no_log": True},
            "pagerduty_schedule_id": {"type": "str", "default": ""},
            "oncall_min_rotation": {"type": "int", "default": 2},
            **client_args(),
        },
        supports_check_mode=True,
    )


def status_page() -> dict[str, Any]:
    """The AnsibleModule arguments of status_page."""
    return dict(
        argument_spec={
            "statuspage_url": {"type": "str", "default": "https://api.statuspage.io"},
            "statuspage_api_key": {"type": "str", "required": True, "no_log": True},
            "statuspage_page_id": {"type": "str", "required": True},
            "components": {"type": "list", "elements": "str", "default": []},
            "lift_maintenance": {"type": "bool", "default": True},
            **client_args(),
        },
        supports_check_mode=True,
    )


def error_tracking_review() -> dict[str, Any]:
    """The AnsibleModule arguments of error_tracking_review."""
    return dict(
        argument_spec={
            "sentry_url": {"type": "str", "default": "https://sentry.io"},
            "sentry_token": {"type": "str", "required": True, "no_log": True},
            "sentry_organization": {"type": "str", "required": True},
            "sentry_project": {"type": "str", "required": True},
            "period": {"type": "str", "default": "7d"},
            "levels": {"type": "list", "elements": "str", "default": ["error", "fatal"]},
            "max_unresolved": {"type": "int", "default": 0},
            **client_args(),
        },
        supports_check_mode=True,
    )
