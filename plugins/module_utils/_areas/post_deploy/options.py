# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the post-deployment area's modules: one function a module, returning its AnsibleModule
arguments (argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import endpoint
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import client_args
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args

NO_DATA = ["fail", "skip"]

# The checklist's thresholds: error rate below 1 %, p95 below 200 ms.
ERROR_RATE_QUERY = 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
TRAFFIC_QUERY = "sum(rate(http_requests_total[5m]))"
LATENCY_QUERY = "histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))"
ERRORS_QUERY = 'sum(increase(http_requests_total{status=~"5.."}[5m]))'
ALERTS_QUERY = 'ALERTS{alertstate="firing",severity=~"critical|warning"}'
# {namespace} is filled in with the watched namespace.
CPU_QUERY = (
    'sum by (pod, container) (rate(container_cpu_usage_seconds_total{namespace="{namespace}",container!=""}[5m]))'
)
MEMORY_QUERY = 'sum by (pod, container) (container_memory_working_set_bytes{namespace="{namespace}",container!=""})'

# The error-rate and p95-latency ceilings, the same for the first hour's watch and the later stages' checks
# (post_deploy_error_rate_max and post_deploy_latency_p95_max in the role).
LIMITS = {
    "error_rate_max": {"type": "float", "default": 0.01},
    "latency_p95_max": {"type": "float", "default": 0.2},
}


def _prometheus() -> dict[str, Any]:
    return {
        "prometheus_url": {"type": "str", "required": True},
        "bearer_token": {"type": "str", "no_log": True},
        **client_args(),
    }


def post_deploy_watch() -> dict[str, Any]:
    """The AnsibleModule arguments of post_deploy_watch."""
    return dict(
        argument_spec={
            **_prometheus(),
            **connection_args(),
            "namespace": {"type": "str", "required": True},
            "pod_selector": {"type": "str", "required": True},
            "window": {"type": "float", "default": 3600.0},
            "interval": {"type": "float", "default": 60.0},
            "queries": {
                "type": "dict",
                "default": {},
                "options": {
                    "error_rate": {"type": "str", "default": ERROR_RATE_QUERY},
                    "traffic": {"type": "str", "default": TRAFFIC_QUERY},
                    "latency_p95": {"type": "str", "default": LATENCY_QUERY},
                    "errors_5xx": {"type": "str", "default": ERRORS_QUERY},
                    "alerts": {"type": "str", "default": ALERTS_QUERY},
                    "cpu": {"type": "str", "default": CPU_QUERY},
                    "memory": {"type": "str", "default": MEMORY_QUERY},
                },
            },
            **LIMITS,
            "errors_5xx_max": {"type": "float", "default": 0.0},
            "restarts_max": {"type": "int", "default": 0},
            "pending_max": {"type": "int", "default": 0},
            "pending_grace": {"type": "float", "default": 120.0},
            "alerts_max": {"type": "int", "default": 0},
            "usage_max": {"type": "float", "default": 0.9},
            "no_data": {"type": "str", "default": "fail", "choices": NO_DATA},
            "resources_no_data": {"type": "str", "default": "fail", "choices": NO_DATA},
            "logs": {
                "type": "dict",
                "default": {},
                "options": {
                    "enabled": {"type": "bool", "default": True},
                    "pattern": {"type": "str", "default": r"(?i)\b(error|fatal|panic)\b"},
                    "max_per_minute": {"type": "float", "default": 10.0},
                    "container": {"type": "str", "default": ""},
                    "unavailable": {"type": "str", "default": "fail", "choices": NO_DATA},
                },
            },
        },
        supports_check_mode=True,
    )


PERIOD_CHECKS = [
    "performance",
    "errors",
    "alerts",
    "database",
    "autoscaling",
    "restorable",
    "certificates",
    "optimisation",
]


def post_deploy_check() -> dict[str, Any]:
    """The AnsibleModule arguments of post_deploy_check."""
    return dict(
        argument_spec={
            **_prometheus(),
            **connection_args(),
            "checks": {"type": "list", "elements": "str", "required": True, "choices": PERIOD_CHECKS},
            "period": {"type": "float", "default": 86400.0},
            "points": {"type": "int", "default": 120},
            "min_coverage": {"type": "float", "default": 0.9},
            "queries": {
                "type": "dict",
                "default": {},
                "options": {
                    "error_rate": {"type": "str", "default": ERROR_RATE_QUERY},
                    "latency_p95": {"type": "str", "default": LATENCY_QUERY},
                    "errors_5xx": {"type": "str", "default": ERRORS_QUERY},
                    "traffic": {"type": "str", "default": TRAFFIC_QUERY},
                    "alerts_history": {"type": "str", "default": 'count by (alertname) (ALERTS{alertstate="firing"})'},
                },
            },
            **LIMITS,
            "alertmanager_url": {"type": "str", "default": ""},
            "alert_severities": {"type": "list", "elements": "str", "default": ["critical", "warning"]},
            "namespace": {"type": "str", "default": ""},
            "autoscaling_without_metrics": {"type": "str", "default": "fail", "choices": NO_DATA},
            "database": {
                "type": "dict",
                "default": {},
                "options": {
                    "host": {"type": "str", "default": ""},
                    "port": {"type": "int", "default": 5432},
                    "dbname": {"type": "str", "default": ""},
                    "user": {"type": "str", "default": ""},
                    "password": {"type": "str", "no_log": True},
                    **endpoint.login_args(),
                    "mean_max_ms": {"type": "float", "default": 100.0},
                    "p95_max_ms": {"type": "float", "default": 500.0},
                    "slow_ms": {"type": "float", "default": 1000.0},
                    "slow_max": {"type": "int", "default": 0},
                    "index_hit_ratio_min": {"type": "float", "default": 0.95},
                    "max_archive_age": {"type": "float", "default": 86400.0},
                    "min_replicas": {"type": "int", "default": 1},
                },
            },
            "certificates": {"type": "list", "elements": "str", "default": []},
            "certificate_min_days": {"type": "float", "default": 30.0},
        },
        supports_check_mode=True,
    )
