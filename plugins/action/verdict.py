# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide go/no-go from the evidence recorded so far in this run, and gate on it."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.action import CatalogueAction
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import CatalogueError
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import GO, RunLog, build


class ActionModule(CatalogueAction):
    ARGUMENT_SPEC = {"gate": {"type": "bool", "default": True}}

    def act(self, result: dict[str, Any], args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        try:
            catalogue = self.load_catalogue(args["catalogue"])
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
