"""Run an area's entry for one of its modules, with the AnsibleModule its option table builds."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ...modules.utils import run_main

AREAS = "ansible_collections.smeplatform.deploy.plugins.module_utils._areas"


def run_entry(area: str, name: str, args: dict[str, Any], monkeypatch: pytest.MonkeyPatch, check_mode: bool = False):
    """The result (exit_json or fail_json) of entry.run_<name> for ``args``."""
    entry = importlib.import_module(f"{AREAS}.{area}.entry")
    options = importlib.import_module(f"{AREAS}.{area}.options")

    def main() -> None:
        getattr(entry, f"run_{name}")(AnsibleModule(**getattr(options, name)()))

    return run_main(main, args, monkeypatch, check_mode)


def validate(area: str, name: str, args: dict[str, Any]):
    """The option table's validation of ``args``: (parameters with defaults, error messages)."""
    options = importlib.import_module(f"{AREAS}.{area}.options")
    table = getattr(options, name)()
    result = ArgumentSpecValidator(
        table["argument_spec"], required_if=table.get("required_if"), mutually_exclusive=table.get("mutually_exclusive")
    ).validate(args)
    return result.validated_parameters, result.error_messages


def no_log_options(area: str, name: str) -> set[str]:
    options = importlib.import_module(f"{AREAS}.{area}.options")
    spec = getattr(options, name)()["argument_spec"]
    found = set()
    for key, option in spec.items():
        if option.get("no_log"):
            found.add(key)
        for sub, suboption in (option.get("options") or {}).items():
            if suboption.get("no_log"):
                found.add(f"{key}.{sub}")
    return found
