# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The code gate's module, one call: what code_gate_check does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.code_gate import checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_code_gate_check(module: Any) -> None:
    """code_gate_check: validate, run the gate, exit with the evidence (or the configuration error)."""
    p = module.params

    def run() -> tuple:
        settings = checks.settings_from(p, lambda: HttpSession(ca_bundle=p["ca_bundle"], timeout=p["timeout"]))
        return checks.run_gate(settings)

    exit_checked(module, "code gate", run)
