# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardening area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening import checks as hardening
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import Kube
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_hardening_check(module: Any) -> None:
    """hardening_check: run with the module's validated parameters and exit."""
    p = module.params
    policy = hardening.HardeningPolicy.from_options(p)

    def run() -> list:
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        return hardening.check_hardening(kube, policy)

    exit_checked(module, "hardening", run)
