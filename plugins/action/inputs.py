# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate the inputs of the collection's roles (types, choices, ranges, names) before any change."""

from __future__ import annotations

import time
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import inputs


def _templated(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    if isinstance(value, dict):
        return any(_templated(v) for v in value.values())
    return False


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        started = time.monotonic()
        result = super().run(tmp, task_vars)
        _validated, args = self.validate_argument_spec(
            argument_spec={"roles": {"type": "list", "elements": "str", "required": True}}
        )
        task_vars = task_vars or {}
        defaults: dict[str, Any] = {}
        specs: dict[str, dict[str, Any]] = {}
        for role in args["roles"]:
            try:
                specs[role] = inputs.role_options(role)
            except OSError as exc:
                result.update(failed=True, msg=f"role {role}: no argument specs to validate its inputs against: {exc}")
                return result
            defaults.update(inputs.role_defaults(role))
        templar = self._templar.copy_with_new_env(available_variables={**defaults, **task_vars})
        errors: list[str] = []
        checked = 0
        for role, spec in specs.items():
            values: dict[str, Any] = {}
            for name in spec:
                if name in task_vars:
                    raw = task_vars[name]
                elif name in defaults:
                    raw = defaults[name]
                else:
                    continue
                if not _templated(raw):
                    values[name] = raw
                    continue
                if not inputs.can_fail(name, spec[name]):
                    continue  # any rendering passes: not templated (nor counted as checked)
                try:
                    values[name] = templar.template(raw)
                except AnsibleError:
                    continue  # depends on a variable this play does not define; the role reports it
            checked += len(values)
            typed = inputs.type_errors(spec, values)
            errors.extend(f"{role}: {e}" for e in typed)
            for name, value in values.items():
                if not any(f"'{name}'" in e or f" {name} " in e for e in typed):
                    errors.extend(f"{role}: {e}" for e in inputs.range_errors(name, value))
        result.update(changed=False, checked=checked, errors=errors, duration=round(time.monotonic() - started, 3))
        if errors:
            result.update(
                failed=True,
                msg=f"{len(errors)} invalid input(s), nothing was changed: "
                + "; ".join(errors)
                + ". Fix them in the inventory or the extra vars and run again",
            )
        return result
