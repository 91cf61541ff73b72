"""Per-task wall time of one ansible-playbook run, written as JSON for tests/bench/bench.py.

Enabled by the bench only (ANSIBLE_CALLBACK_PLUGINS=tests/bench/callback_plugins,
ANSIBLE_CALLBACKS_ENABLED=...,bench_profile); writes to the file named by BENCH_PROFILE:
{"total": seconds, "cpu": seconds, "tasks": [{"task", "role", "host", "status", "seconds", "cpu"}, ...]} in the order
tasks ended. "cpu" is the CPU time (user + system) of the run's processes, which a loaded machine does not inflate as
it does wall time; a task's "cpu" is only roughly its own (worker processes are reaped after their task ends), the
run's total is exact. "controller_cpu" is the ansible-playbook process's own share.
"""

from __future__ import annotations

import json
import os
import resource
import time
from typing import Any

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_profile"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._cpu_started = self._cpu()
        self._task_started: dict[str, tuple[float, float, str, str]] = {}
        self._tasks: list[dict[str, Any]] = []

    @staticmethod
    def _cpu() -> float:
        children, own = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
        return children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime

    def v2_playbook_on_task_start(self, task: Any, is_conditional: bool) -> None:
        role = task._role.get_name() if task._role else ""
        self._task_started[task._uuid] = (time.monotonic(), self._cpu(), task.get_name(), role)

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def _ended(self, result: Any, status: str) -> None:
        now = (time.monotonic(), self._cpu())
        started, cpu, name, role = self._task_started.get(result._task._uuid, (*now, result._task.get_name(), ""))
        self._tasks.append(
            {
                "task": name,
                "role": role,
                "host": result._host.get_name(),
                "status": status,
                "seconds": round(now[0] - started, 3),
                "cpu": round(now[1] - cpu, 3),
            }
        )

    def v2_runner_on_ok(self, result: Any) -> None:
        self._ended(result, "ok")

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._ended(result, "failed")

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._ended(result, "skipped")

    def v2_runner_on_unreachable(self, result: Any) -> None:
        self._ended(result, "unreachable")

    def v2_playbook_on_stats(self, stats: Any) -> None:
        path = os.environ.get("BENCH_PROFILE")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                total, cpu = round(time.monotonic() - self._started, 3), round(self._cpu() - self._cpu_started, 3)
                own = resource.getrusage(resource.RUSAGE_SELF)
                controller = round(own.ru_utime + own.ru_stime, 3)
                json.dump({"total": total, "cpu": cpu, "controller_cpu": controller, "tasks": self._tasks}, handle)
