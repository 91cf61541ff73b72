"""Helpers to run a module's main() in-process in unit tests."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


@contextlib.contextmanager
def set_module_args(args: dict[str, Any]) -> Iterator[None]:
    """Expose args to the AnsibleModule a module's main() builds."""
    with patch_module_args(args):
        yield


class ModuleExit(Exception):
    def __init__(self, result: dict[str, Any]):
        super().__init__(json.dumps(result, default=str))
        self.result = result


def run_main(main: Any, args: dict[str, Any], monkeypatch: pytest.MonkeyPatch, check_mode: bool = False):
    """Run main() with args; return the result dict of exit_json or fail_json."""
    if check_mode:
        args = {**args, "_ansible_check_mode": True}

    def _exit(self, **kwargs):
        raise ModuleExit({"failed": False, **kwargs})

    def _fail(self, msg, **kwargs):
        raise ModuleExit({"failed": True, "msg": msg, **kwargs})

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail)
    with set_module_args(args), pytest.raises(ModuleExit) as caught:
        main()
    return caught.value.result
