# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Record evidence for checklist items, checked against the catalogue on the controller."""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import RESULT_KEY
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.redaction import (
    SECRET_NAME_PATTERN,
    Redactor,
    secret_strings,
)
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.action import CatalogueAction
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.checklist import CatalogueError
from ansible_collections.smeplatform.deploy.plugins.plugin_utils.report import check_entries

SECRET_NAME_RE = re.compile(SECRET_NAME_PATTERN)


class ActionModule(CatalogueAction):
    ARGUMENT_SPEC = {
        "items": {"type": "list", "elements": "dict", "required": True},
        "secrets": {"type": "list", "elements": "str", "default": [], "no_log": True},
    }

    def act(self, result: dict[str, Any], args: dict[str, Any], task_vars: dict[str, Any]) -> dict[str, Any]:
        redactor = Redactor(args["secrets"])
        for name, value in task_vars.items():
            if SECRET_NAME_RE.search(name):
                try:
                    rendered = self._templar.template(value)
                except Exception:  # noqa: S112 - an unrenderable variable holds nothing to mask
                    continue
                for secret in secret_strings({name: rendered}):
                    redactor.add(secret)
        try:
            catalogue = self.load_catalogue(args["catalogue"])
            entries = check_entries(catalogue, redactor.data(args["items"]))
        except CatalogueError as exc:
            result.update(failed=True, msg=redactor.text(str(exc)))
            return result
        result.update(changed=False, **{RESULT_KEY: entries})
        failed = [e["id"] for e in entries if e["status"] == "failed"]
        result["msg"] = f"recorded {len(entries)} item(s)" + (f"; failed: {', '.join(failed)}" if failed else "")
        return result
