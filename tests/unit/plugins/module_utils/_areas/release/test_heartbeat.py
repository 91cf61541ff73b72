"""The deployment lock's heartbeat started by the call that takes the lock: a process of its own, its settings on
standard input only, ending with the ansible-playbook process or after max_hold at the latest; where the
collection is not on disk (a module payload) it is not started, and the role's async task runs it."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import heartbeat

SETTINGS = {"kubeconfig": "/etc/kube/deployer.conf", "context": "prod", "request_timeout": 7.0}


class FakePopen:
    started: list[FakePopen] = []

    def __init__(self, args, **kwargs):
        self.args, self.kwargs, self.pid = args, kwargs, 4250
        self.stdin = io.BytesIO()
        self.stdin.close = lambda: setattr(self, "sent", self.stdin.getvalue())
        FakePopen.started.append(self)


def test_started_in_a_session_of_its_own_with_its_settings_on_standard_input():
    FakePopen.started.clear()
    pid = heartbeat.start(SETTINGS, "sme-platform", "sme-deploy-lock", "ops@ci pid=17 run=ab", 60, 17, 3600, FakePopen)
    assert pid == 4250
    (proc,) = FakePopen.started
    assert proc.args == [os.path.abspath(sys.executable), os.path.abspath(heartbeat.__file__)]
    assert proc.kwargs["start_new_session"] is True
    assert proc.kwargs["stdout"] == proc.kwargs["stderr"] == subprocess.DEVNULL
    root = proc.kwargs["env"]["PYTHONPATH"].split(os.pathsep)[0]
    assert os.path.isdir(os.path.join(root, "ansible_collections", "smeplatform", "deploy"))
    assert json.loads(proc.sent) == {
        "kube": SETTINGS,
        "namespace": "sme-platform",
        "name": "sme-deploy-lock",
        "holder": "ops@ci pid=17 run=ab",
        "duration": 60,
        "controller": 17,
        "max_hold": 3600,
    }
    assert "/etc/kube/deployer.conf" not in " ".join(proc.args)


def test_not_started_from_a_module_payload(monkeypatch):
    # run as a module process the file is inside the payload's zip: the role's async task keeps the lock alive
    monkeypatch.setattr(
        heartbeat, "__file__", "/tmp/ansible_payload.zip/ansible_collections/smeplatform/deploy/plugins/x/h.py"
    )
    FakePopen.started.clear()
    assert heartbeat.start(SETTINGS, "ns", "lock", "me", 60, 17, 3600, FakePopen) is None
    assert FakePopen.started == []


def test_not_started_without_a_time_limit_or_when_it_cannot_start():
    def broken(*_args, **_kwargs):
        raise OSError("fork: Resource temporarily unavailable")

    assert heartbeat.start(SETTINGS, "ns", "lock", "me", 60, 17, 0, FakePopen) is None
    assert heartbeat.start(SETTINGS, "ns", "lock", "me", 60, 17, 3600, broken) is None


@pytest.fixture
def unreachable_kubeconfig(tmp_path):
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [
                    {"name": "c", "cluster": {"server": "https://127.0.0.1:9", "insecure-skip-tls-verify": True}}
                ],
                "users": [{"name": "u", "user": {"token": "t0ken-never-shown"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return {"kubeconfig": str(path), "context": None, "request_timeout": 0.5}


def wait_gone(pid: int, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:  # started by this process: it is its child to reap
            done, _status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:  # reaped already (by subprocess' own clean-up)
            done = pid
        if done == pid:
            return time.monotonic() - started
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    raise AssertionError(f"heartbeat {pid} still runs after {seconds}s")


def test_a_real_heartbeat_ends_with_the_run_it_follows(unreachable_kubeconfig):
    gone = subprocess.Popen(["true"])  # noqa: S607 - a process that has ended: the run it follows
    gone.wait()
    pid = heartbeat.start(unreachable_kubeconfig, "ns", "lock", "me", 3, gone.pid, 60)
    assert pid
    # it looks after its first period (a third of the duration, at least 1 s) and finds the run gone
    assert wait_gone(pid, 15) < 15


def test_a_real_heartbeat_ends_after_max_hold_whatever_happens(unreachable_kubeconfig):
    # the run lives (this process) and the API server cannot be reached: only max_hold ends it, as async would
    pid = heartbeat.start(unreachable_kubeconfig, "ns", "lock", "me", 3, os.getpid(), 2)
    assert pid
    # it yields the CPU to the run: its start waits for what the run leaves idle
    for _attempt in range(50):
        nice = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
        if nice:
            break
        time.sleep(0.02)
    assert nice == os.nice(0) + heartbeat.NICENESS
    assert 1.0 < wait_gone(pid, 15) < 15
