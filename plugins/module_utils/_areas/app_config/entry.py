# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The app_config area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.app_config import checks as app_config
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import AddressResolver
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConnectionFailure,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def read_settings(module: AnsibleModule) -> tuple[dict[str, str] | None, str]:
    p = module.params
    live_name = f"configmap {p['namespace']}/{p['configmap']}"
    planned = {k: str(v) for k, v in p["planned"].items()} if p["planned"] is not None else None
    if p["source"] == "planned":
        return planned, "planned values"
    try:
        kube = k8s.Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        live = k8s.get(kube, live_name, k8s.path("v1", "configmaps", p["namespace"], p["configmap"]))
    except (ConnectionFailure, ApiError) as exc:
        if p["source"] == "auto" and planned is not None:
            return planned, f"planned values ({live_name} unreadable: {exc})"
        return None, f"{live_name} unreadable: {exc}"
    if live is not None:
        return {k: str(v) for k, v in (live.get("data") or {}).items()}, live_name
    if p["source"] == "auto" and planned is not None:
        return planned, f"planned values ({live_name} not deployed yet)"
    return None, f"{live_name} not found"


def run_app_config_check(module: Any) -> None:
    """app_config_check: run with the module's validated parameters and exit."""
    p = module.params

    def run() -> tuple:
        resolver = AddressResolver(p["dns_resolver"])
        config, source = read_settings(module)
        settings = config or {}
        host = p["smtp_host"] or settings.get("SMTP_HOST") or ""
        port = p["smtp_port"] or int(settings.get("SMTP_PORT") or 587)
        smtp = (
            app_config.SmtpSettings(
                host, port, p["smtp_username"], p["smtp_password"], p["ca_bundle"], p["timeout"], resolver
            )
            if host
            else None
        )
        policy = app_config.ConfigPolicy.from_options(p)
        found = app_config.check_app_config(
            config, source, policy, smtp, p["mail_domain"], p["dkim_selectors"], p["dns_resolver"]
        )
        return found, {"source": source}

    exit_checked(module, "configuration", run)
