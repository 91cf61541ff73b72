# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The secrets area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.engine import run
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.keyring import value_forms
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets.plan import build_request
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import (
    HAS_KUBERNETES,
    KUBERNETES_IMPORT_ERROR,
    Kube,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import SmeplatformError


def run_production_secrets(module: Any) -> None:
    """The whole of production_secrets: build the request, run it with the module's masking, exit."""
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=str(KUBERNETES_IMPORT_ERROR))

    def mask(value: str) -> None:
        module.no_log_values.update(value_forms(value))

    params = module.params
    timeout = params["request_timeout"]

    def kube_factory(kubeconfig: str | None, context: str | None) -> Kube:
        if kubeconfig is None and context is None:
            return Kube(params["kubeconfig"], params["context"], timeout)
        return Kube(kubeconfig or params["kubeconfig"], context, timeout)

    try:
        request = build_request(params)
        result = run(request, kube_factory, mask, check_mode=module.check_mode, want_diff=module._diff)
    except SmeplatformError as exc:
        module.fail_json(msg=str(exc), evidence=getattr(exc, "evidence", []))
    module.exit_json(**result)
