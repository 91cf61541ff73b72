# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide go/no-go from the evidence recorded so far in this run, and gate on it."""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue, CatalogueError
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import GO, RunLog, build

ARGUMENT_SPEC = {
    "gate": {"type": "bool", "default": True},
    "catalogue": {"type": "path"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            catalogue = Catalogue.load(args["catalogue"]) if args["catalogue"] else Catalogue.load()
            log = RunLog()
            for record in journal.read(journal.current_path()):
                log.add_record(record)
        except (CatalogueError, journal.JournalError) as exc:
            result.update(failed=True, msg=str(exc))
            return result
        report = build(catalogue, log)
        decision = report["verdict"]["decision"]
        result.update(
            changed=False,
            decision=decision,
            reasons=report["verdict"]["reasons"],
            summary=report["summary"],
        )
        if decision == GO:
            result["msg"] = "GO: no checklist item failed"
        else:
            result["msg"] = "NO-GO: " + "; ".join(report["verdict"]["reasons"])
            result["failed"] = bool(args["gate"])
        return result
