# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a report artefact (a text file such as the deployment runbook) on the controller, in the worker itself.

ansible.builtin.copy with ``content`` runs two module processes for this (stat, then copy), each a new Python;
this writes the file directly, only when its content or mode differ, and atomically (a reader never sees half)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import Any

from ansible.plugins.action import ActionBase


def _mode(value: str) -> int | None:
    try:
        mode = int(str(value), 8)
    except ValueError:
        return None
    return mode if 0 <= mode <= 0o7777 else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    ARGUMENT_SPEC = {
        "path": {"type": "path", "required": True},
        "content": {"type": "str", "required": True},
        "mode": {"type": "str", "default": "0644"},
    }

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        _unused, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        path, content = args["path"], args["content"]
        mode = _mode(args["mode"])
        if mode is None:
            return {**result, "failed": True, "msg": f"mode {args['mode']!r} is not an octal file mode such as 0644"}
        if os.path.isdir(path):
            return {**result, "failed": True, "msg": f"{path} is a folder; give the path of the file to write"}
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                before: str | None = handle.read()
            mode_before: int | None = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            before, mode_before = None, None
        except OSError as exc:
            return {**result, "failed": True, "msg": f"cannot read {path}: {exc.strerror}"}
        changed = before != content or mode_before != mode
        result.update(changed=changed, path=path, size=len(content.encode("utf-8")))
        if self._task.diff and before != content:
            result["diff"] = {"before": before or "", "after": content, "before_header": path, "after_header": path}
        if not changed or self._task.check_mode:
            return result
        folder = os.path.dirname(path) or "."
        temp = ""
        try:
            os.makedirs(folder, mode=0o755, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.chmod(temp, mode)
            os.replace(temp, path)
        except OSError as exc:
            if temp:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
            return {**result, "failed": True, "changed": False, "msg": f"cannot write {path}: {exc.strerror}"}
        return result
