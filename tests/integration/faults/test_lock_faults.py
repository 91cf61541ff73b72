"""Failure paths of the deployment lock on the lab: a run killed in the middle of helm's upgrade (the
ansible-playbook process, or kube-apiserver) leaves its Lease and a release pending; the next run takes the
lock over at once with a line saying so, recovers the pending release with no manual step, and the last good
release keeps serving. The heartbeat of the dead run stops by itself, and so does the helm its orphaned worker
runs when only ansible-playbook's own process is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time

import pytest
from release_lab_support import HERE, NAMESPACE, RELEASE, ROOT

pytestmark = pytest.mark.lab

GOOD = "127.0.0.1:15450/sme-platform/backend:v1.1.0"
LEASE = f"{RELEASE}-deploy-lock"


def lease(lab) -> dict | None:
    out = lab.run("kubectl", "-n", NAMESPACE, "get", "lease", LEASE, "-o", "json", check=False)
    return json.loads(out) if out.strip() else None


HEARTBEAT = "plugins/module_utils/_areas/release/heartbeat.py"


def heartbeats() -> list[str]:
    """The heartbeat processes running: the one the lock-taking call starts, or an async task's module."""
    out = subprocess.run(
        ["pgrep", "-af", f"AnsiballZ_deploy_lock|{HEARTBEAT}"], capture_output=True, text=True, check=False
    )
    # this worktree's own (its .venv runs them): other checkouts on the machine may deploy at the same time
    return [line for line in out.stdout.splitlines() if "pgrep" not in line and str(ROOT) in line]


def serving_images(lab) -> set[str]:
    """Images of the backend pods that are Ready (what serves), whatever the Deployment's template says."""
    pods = lab.kubectl_json("get", "pods")["items"]
    return {
        c["image"]
        for p in pods
        if p["metadata"]["name"].startswith(f"{RELEASE}-sme-platform-backend-")
        and any(k["type"] == "Ready" and k["status"] == "True" for k in p.get("status", {}).get("conditions", []))
        for c in p["spec"]["containers"]
    }


def start_unready_deploy(lab) -> subprocess.Popen:
    """deploy.yml with pods that never get ready (kill_controller kills it with everything it started)."""
    cmd = [
        "ansible-playbook",
        str(ROOT / "playbooks/deploy.yml"),
        "--skip-tags",
        "pre_deploy",
        "-e",
        f"@{HERE / 'vars.yml'}",
        "-e",
        f"release_it_health_port={lab.health_port}",
        "-e",
        "release_timeout=120",
        "-e",
        "smeplatform_backend_image_tag=v1.2.0-unready",
        "-e",
        "smeplatform_frontend_image_tag=v1.2.0-unready",
    ]
    env = {**lab.env, "SMEPLATFORM_REPORT_DIR": str(lab.tmp / "interrupted")}
    return subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )


def descendants(pid: int) -> list[int]:
    """Every process below pid (by parent id, read from /proc)."""
    parents: dict[int, int] = {}
    for stat in os.listdir("/proc"):
        if stat.isdigit():
            try:
                with open(f"/proc/{stat}/stat", encoding="utf-8") as handle:
                    parents[int(stat)] = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        todo += children
    return found


def kill_controller(run: subprocess.Popen) -> None:
    """SIGKILL the ansible-playbook process and everything it started. Its workers run each in a session of
    their own (ansible-core detaches them with setsid), so killing its process group would leave the worker of
    the running task alive, still driving helm's upgrade."""
    for pid in [run.pid, *descendants(run.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    run.wait()


def wait_pending(lab, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        history = lab.history()
        if history and history[-1]["status"] == "pending-upgrade":
            return
        assert proc.poll() is None, f"the run ended before helm's upgrade: {proc.stdout.read()[-3000:]}"
        time.sleep(0.3)
    raise AssertionError("helm upgrade never became pending")


def assert_recovered(lab, proc, good: int, dead_pid: int) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    line = next(line for line in out.splitlines() if "took over the deployment lock" in line)
    assert re.search(rf"pid={dead_pid} run=\w+'?: its process {dead_pid} on \S+ no longer exists", line), line
    assert "was stuck in pending-upgrade" in out
    last = lab.history()[-1]
    assert last["status"] == "deployed" and last["description"] == f"Rollback to {good}"
    assert lab.backend_image() == GOOD
    assert lease(lab) is None
    deadline = time.monotonic() + 30  # a heartbeat period (20 s) and a margin
    while heartbeats() and time.monotonic() < deadline:
        time.sleep(1)
    assert heartbeats() == []


def test_first_good_release(lab):
    proc = lab.deploy("v1.1.0")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert lab.backend_image() == GOOD


def test_killed_controller_lock_is_taken_over_and_pending_release_recovered(lab):
    good = lab.history()[-1]["revision"]
    run = start_unready_deploy(lab)
    wait_pending(lab, run)
    held = lease(lab)
    assert held is not None and f"pid={run.pid} " in held["spec"]["holderIdentity"]
    assert held["spec"]["leaseDurationSeconds"] == 60
    kill_controller(run)
    assert lease(lab) is not None  # the killed run could not give it back
    # helm had already written the new template; the unready pods never replaced the serving ones
    assert serving_images(lab) == {GOOD}

    started = time.monotonic()
    proc = lab.deploy("v1.1.0")
    assert time.monotonic() - started < 120
    assert_recovered(lab, proc, good, run.pid)


def test_heartbeat_keeps_the_lock_alive_past_its_duration(lab):
    # an earlier test's heartbeat ends at its next renewal, a period after its lock was given back
    before = set(heartbeats())
    run = start_unready_deploy(lab)
    try:
        wait_pending(lab, run)
        first = lease(lab)["spec"]["renewTime"]
        deadline = time.monotonic() + 45
        while lease(lab)["spec"]["renewTime"] == first and time.monotonic() < deadline:
            time.sleep(1)
        assert lease(lab)["spec"]["renewTime"] > first
        # on the lab's local hosts the call that took the lock started it: one process, no async module
        started = [line for line in heartbeats() if line not in before]
        assert len(started) == 1 and HEARTBEAT in started[0], started
        refused = lab.deploy("v1.1.0")
        assert refused.returncode != 0 and f"pid={run.pid} " in refused.stdout
    finally:
        kill_controller(run)
    good = [h for h in lab.history() if h["status"] in ("deployed", "superseded")][-1]["revision"]
    assert_recovered(lab, lab.deploy("v1.1.0"), good, run.pid)


def test_kube_apiserver_killed_during_upgrade(lab):
    good = lab.history()[-1]["revision"]
    run = start_unready_deploy(lab)
    wait_pending(lab, run)
    pid_file = ROOT / ".lab/k8s/run/kube-apiserver.pid"
    apiserver = int(pid_file.read_text())
    os.kill(apiserver, signal.SIGKILL)
    try:
        out = run.communicate(timeout=300)[0]
    finally:
        restarted = subprocess.run(
            ["bash", str(ROOT / "tests/lab/k8s/lab.sh"), "up"], capture_output=True, text=True, check=False
        )
    assert restarted.returncode == 0, restarted.stderr
    assert run.returncode != 0
    last = [line for line in out.splitlines() if "Deployment of" in line and "failed during" in line]
    assert last, out[-4000:]
    assert "127.0.0.1:16443" in last[-1] or "connection refused" in last[-1], last[-1]
    assert lease(lab) is not None  # given back was impossible while the API server was down
    assert_recovered(lab, lab.deploy("v1.1.0"), good, run.pid)


def helm_upgrades() -> list[str]:
    """helm upgrade processes of the release this worktree's lab deploys (other checkouts may deploy too)."""
    out = subprocess.run(["pgrep", "-af", f"upgrade {RELEASE} "], capture_output=True, text=True, check=False)
    return [line for line in out.stdout.splitlines() if "pgrep" not in line and str(ROOT) in line]


def test_killed_controller_alone_stops_the_helm_its_worker_runs(lab):
    """Only ansible-playbook's own process is killed (kill -9 of the pid an operator sees): the worker of the
    running task lives on in its own session. The helm it runs is stopped within a few seconds instead of going on
    changing the release under the next run."""
    good = [h for h in lab.history() if h["status"] in ("deployed", "superseded")][-1]["revision"]
    run = start_unready_deploy(lab)
    wait_pending(lab, run)
    assert helm_upgrades(), "helm upgrade is not running"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 20  # the watch looks every 2 s; helm then gets SIGTERM
    while helm_upgrades() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert helm_upgrades() == []
    # helm, stopped, cancelled its upgrade and (--atomic) rolled back to the last good revision by itself
    stopped, rolled = lab.history()[-2:]
    assert stopped["status"] == "failed" and "context canceled" in stopped["description"], stopped
    assert rolled["status"] == "deployed" and rolled["description"] == f"Rollback to {good}", rolled
    assert serving_images(lab) == {GOOD}
    proc = lab.deploy("v1.1.0")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert "took over the deployment lock" in out
    assert lab.backend_image() == GOOD
    assert lease(lab) is None
