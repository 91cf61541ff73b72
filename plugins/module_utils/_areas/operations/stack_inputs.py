# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every check of the operations stack reads: its settings (operations_stack_check's option table), the
platform's live configuration (its ConfigMap, absent before the first release) and the cluster, on one session."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_duration


@dataclass(frozen=True)
class StackSettings:
    """What the operations stack is held to; every value comes from operations_stack_check's option table."""

    namespace: str
    configmap: str
    sentry_url: str
    sentry_token: str
    sentry_organization: str
    sentry_project: str
    sentry_dsn_key: str
    sentry_environment: str
    sentry_event_timeout: float
    newrelic_url: str
    newrelic_api_key: str
    newrelic_app_name_key: str
    apm_max_report_age: float
    statuspage_url: str
    statuspage_api_key: str
    statuspage_page_id: str
    statuspage_components: list[str]
    sendgrid_url: str
    sendgrid_api_key: str
    sendgrid_domain: str
    sendgrid_templates: list[str]
    log_daemonset_namespace: str
    log_daemonset: str
    logsink_url: str
    logsink_api_key: str
    logsink_index: str
    log_namespace_field: str
    log_max_age: float
    mesh_required: bool
    mesh_root_namespace: str
    pagerduty_url: str
    pagerduty_api_key: str
    pagerduty_schedule_id: str
    oncall_min_rotation: int

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> StackSettings:
        p = settings(options.operations_stack_check()["argument_spec"], params)
        return build(
            cls,
            p,
            apm_max_report_age=parse_duration(p["apm_max_report_age"]),
            log_max_age=parse_duration(p["log_max_age"]),
        )


@dataclass(frozen=True)
class LiveConfig:
    """The platform's live settings (its ConfigMap's data), or None before a release wrote them."""

    data: dict[str, str] | None
    where: str


def unset(item_id: str, what: str, setting: str) -> dict[str, Any]:
    return entry(item_id, "failed", measured=f"no {what}", detail=f"{what} is not configured ({setting})")


def not_deployed(item_id: str, config: LiveConfig, threshold: str) -> dict[str, Any]:
    return entry(
        item_id,
        "skipped",
        measured="no release",
        threshold=threshold,
        detail=f"{config.where} does not exist yet: no release has written the platform's settings; "
        "checked after the deploy",
        where=config.where,
    )


class Cluster:
    """The Kubernetes reads of the stack checks, on one session opened at the first read."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._kube: Any = None

    def get(self, what: str, path: str) -> Any:
        if self._kube is None:
            self._kube = self._connect()
        return k8s.get(self._kube, what, path)

    def items(self, what: str, path: str) -> list[dict[str, Any]]:
        return (self.get(what, path) or {}).get("items") or []


def read_config(cluster: Any, s: StackSettings) -> LiveConfig:
    where = f"configmap {s.namespace}/{s.configmap}"
    live = cluster.get(where, k8s.path("v1", "configmaps", s.namespace, s.configmap))
    return LiveConfig({k: str(v) for k, v in (live.get("data") or {}).items()} if live is not None else None, where)
