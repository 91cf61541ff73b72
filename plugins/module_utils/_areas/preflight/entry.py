# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight import registry
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_registry_check(module: Any) -> None:
    """registry_check: run with the module's validated parameters and exit."""
    p = module.params

    def run() -> list:
        images = registry.parse_images(p["images"])
        client = registry.Registry(
            p["registry_url"],
            p["username"],
            p["password"],
            lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"]),
        )
        return registry.check_registry(client, images)

    exit_checked(module, "registry", run)
