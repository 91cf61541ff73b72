# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decide go/no-go from the evidence recorded so far in this run against the run's scope, and gate on it."""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_time
from ansible_collections.smeplatform.deploy.plugins.plugin_utils import journal
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.action import CatalogueAction
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import Catalogue, CatalogueError
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import GO, RunLog, build


def signoff_entries(
    catalogue: Catalogue, signoffs: dict[str, Any], manual_in_run: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Evidence for each sign-off; raise CatalogueError naming the first sign-off that cannot count.

    Manual items can be signed off, and automated items whose check answered "manual" in this run
    (``manual_in_run``): a person vouches for what the check could not reach.
    """
    entries = []
    for item_id, raw in signoffs.items():
        item = catalogue.item(str(item_id))
        if item.proof != "manual" and item.id not in manual_in_run:
            raise CatalogueError(
                f"sign-off for {item.id} refused: the item is proven by role {item.role}, not signed off by a person"
            )
        if not isinstance(raw, dict) or not str(raw.get("by") or "").strip():
            raise CatalogueError(f"sign-off for {item.id} names nobody: give 'by' (who signed) and 'at' (when)")
        at = str(raw.get("at") or "").strip()
        when = parse_time(at)
        if when is None:
            raise CatalogueError(
                f"sign-off for {item.id} has no valid time 'at' ({at!r}): give an ISO 8601 time, e.g. 2026-12-02T01:30Z"
            )
        if when > datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5):
            raise CatalogueError(f"sign-off for {item.id} is dated in the future ({at})")
        note = str(raw.get("note") or "").strip()
        entries.append(
            {
                "id": item.id,
                "status": "passed",
                "measured": {"signed_off_by": str(raw["by"]).strip(), "at": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "detail": f"signed off by {str(raw['by']).strip()} at {when:%Y-%m-%d %H:%M} UTC"
                + (f": {note}" if note else ""),
                "where": "sign-off",
            }
        )
    return entries


def read_signoffs_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise CatalogueError(f"cannot read the sign-offs file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CatalogueError(f"the sign-offs file {path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CatalogueError(f"the sign-offs file {path} must map item ids to {{by, at, note}}")
    return data


class ActionModule(CatalogueAction):
    ARGUMENT_SPEC = {
        "gate": {"type": "bool", "default": True},
        "scope": {"type": "str", "default": ""},
        "scope_items": {"type": "list", "elements": "str", "default": []},
        "signoffs": {"type": "dict", "default": {}},
        "signoffs_file": {"type": "path"},
        "require_signoffs": {"type": "bool", "default": False},
        # the run this one follows (a post-deployment stage names its deploy run), carried by the report
        "follows": {"type": "str", "default": ""},
    }

    def act(self, result: dict[str, Any], args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        try:
            catalogue = self.load_catalogue(args["catalogue"])
            if args["scope"] or args["scope_items"]:
                scope = catalogue.scope_of_items(args["scope"], args["scope_items"])
            else:
                raise CatalogueError(
                    "no report scope: name the playbook's scope (report_scope, one of "
                    f"{', '.join(sorted(catalogue.scopes)) or 'none'}) or the items it proves (report_scope_items)"
                )
            signoffs = dict(read_signoffs_file(args["signoffs_file"])) if args["signoffs_file"] else {}
            signoffs.update(args["signoffs"])
            log = RunLog()
            for record in journal.read(journal.current_path()):
                log.add_record(record)
            manual = frozenset(
                str(r["entry"].get("id")) for r in log.entries if isinstance(r.get("entry"), dict) and
                r["entry"].get("status") == "manual"
            )  # fmt: skip
            signed = signoff_entries(catalogue, signoffs, manual)
        except (CatalogueError, journal.JournalError) as exc:
            result.update(failed=True, msg=str(exc))
            return result
        declared = {
            "name": scope.name,
            "items": list(scope.items),
            "require_signoffs": args["require_signoffs"],
            "follows": args["follows"],
        }
        log.add_record({"kind": "scope", **declared})
        for entry in signed:
            log.add_record({"kind": "evidence", "host": task_vars.get("inventory_hostname"),
                            "task": self._task.get_name(), "entry": entry})  # fmt: skip
        report = build(catalogue, log)
        decision = report["verdict"]["decision"]
        result.update(
            changed=False,
            decision=decision,
            reasons=report["verdict"]["reasons"],
            summary=report["summary"],
            scope=declared,
            evidence=signed,
        )
        if decision == GO:
            result["msg"] = f"GO: scope {scope.name!r} ({len(scope.items)} items) proven in this run, no item failed"
        else:
            result["msg"] = "NO-GO: " + "; ".join(report["verdict"]["reasons"])
            result["failed"] = bool(args["gate"])
        return result
