# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option tables: the one place a module's options and their defaults are written.

An area's ``options.py`` holds its modules' tables (AnsibleModule argument specs). ``AnsibleModule`` fills in
the defaults when a module runs; :func:`settings` does the same for code that is handed parameters another way
(a unit test, another module_utils caller), so that the code reads every option as ``cfg["name"]`` and never
writes a default of its own.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class Settings(dict):
    """Parameters completed from an option table; options read as keys or attributes (``s.timeout``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


def settings(spec: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any] | None) -> Settings:
    """``params`` with every option of ``spec`` present: a missing or None value takes the table's default.

    Dict options with ``options`` are completed the same way, recursively (as AnsibleModule does for a dict
    option whose value or default is a mapping); list options of dicts are completed item by item.
    """
    params = params or {}
    out = Settings()
    for name, option in spec.items():
        value = params.get(name)
        if value is None:
            value = copy.deepcopy(option.get("default"))
        sub = option.get("options")
        if sub and isinstance(value, Mapping):
            value = settings(sub, value)
        elif sub and option.get("type") == "list" and isinstance(value, list):
            value = [settings(sub, item) if isinstance(item, Mapping) else item for item in value]
        out[name] = value
    for name, value in params.items():
        out.setdefault(name, value)
    return out


def build(cls: type[T], params: Mapping[str, Any], **computed: Any) -> T:
    """An instance of the dataclass ``cls`` whose fields are the options of the same name.

    ``computed`` gives the fields that are not an option as they stand (converted or derived); a field that is
    neither keeps the dataclass's own value.
    """
    values = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        if item.name in computed:
            values[item.name] = computed[item.name]
        elif item.name in params:
            values[item.name] = params[item.name]
    return cls(**values)
