# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monitoring area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import checks as monitoring
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.dns import AddressResolver
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_monitoring_check(module: Any) -> None:
    """monitoring_check: run with the module's validated parameters and exit."""
    p = module.params
    promtool_bin = module.get_bin_path("promtool")

    def promtool(path: str) -> tuple[int, str, str]:
        # read-only: validates the file, writes nothing
        return module.run_command([promtool_bin, "check", "rules", path])

    def run() -> list:
        resolver = AddressResolver(p["dns_resolver"])
        settings = monitoring.MonitoringSettings.from_options(p, promtool if promtool_bin else None, resolver)
        return monitoring.check_monitoring(
            settings, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"], lookup=resolver)
        )

    exit_checked(module, "monitoring", run)
