"""Run an action plugin's run() in-process, with the task's arguments and variables."""

from __future__ import annotations

from types import SimpleNamespace
from unittest import mock

import pytest


@pytest.fixture
def run_action():
    def run(action_class, args, task_vars=None, check_mode=False, diff=False):
        task = mock.MagicMock()
        task.args = args
        task.async_val = 0
        task.check_mode = check_mode
        task.diff = diff
        play_context = SimpleNamespace(check_mode=check_mode, diff=diff, remote_addr="localhost")
        templar = SimpleNamespace(template=lambda value: value)
        action = action_class(task, mock.MagicMock(), play_context, mock.MagicMock(), templar, mock.MagicMock())
        return action.run(task_vars=task_vars or {})

    return run
