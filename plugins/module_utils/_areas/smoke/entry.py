# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke.gate import Smoke
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import (
    DNSPYTHON_IMPORT_ERROR,
    HAS_DNSPYTHON,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import Kube
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import SmeplatformError


def run_smoke_check(module: Any) -> None:
    """The whole of smoke_check: build the gate from the module's parameters, run it, exit with its result."""
    if not HAS_DNSPYTHON:
        module.fail_json(msg=missing_required_lib("dnspython"), exception=str(DNSPYTHON_IMPORT_ERROR))
    params = module.params
    try:
        kube_factory = None
        if (params["kubernetes"] or {}).get("deployments"):
            kube_holder: list[Kube] = []

            def kube_factory() -> Kube:
                if not kube_holder:
                    kube_holder.append(Kube(params["kubeconfig"], params["context"], params["request_timeout"]))
                return kube_holder[0]

        smoke = Smoke(params, check_mode=module.check_mode, kube_factory=kube_factory)
        if "pods" in smoke.selected and kube_factory is not None:
            kube_factory()  # bad credentials fail here, before any check runs
        result = smoke.run()
        module.no_log_values.update(v for v in smoke.secrets if v)
    except SmeplatformError as exc:
        module.fail_json(msg=f"smoke checks against {params['api_url']} could not run: {exc}")
    module.exit_json(changed=False, **result)
