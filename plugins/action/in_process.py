# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action of the collection's modules (meta/runtime.yml routes them here): on a host reached with the local
connection and the controller's Python the module runs inside the worker process (plugin_utils/in_process.py
says why and how); anything else runs it the ordinary way, as ansible.builtin.normal does."""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.smeplatform.deploy.plugins.plugin_utils import in_process

display = Display()


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        why_not = in_process.eligible(self, task_vars)
        if not why_not:
            display.vvv(f"{self._task.action}: running in the controller's worker process")
            return merge_hash(result, in_process.run(self, task_vars))
        display.vvv(f"{self._task.action}: running as a separate module process ({why_not})")
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
