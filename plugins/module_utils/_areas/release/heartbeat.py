# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deployment lock's heartbeat as a background process, started by the call that takes the lock.

A task with ``async`` and ``poll: 0`` costs a module payload and two new Pythons (Ansible's async wrapper and the
module); started here it is one Python running this file, which the taking call starts and does not wait for.
That needs this file on disk, as it is when the module runs inside the controller's worker: run from a module
payload (another Python, another host) it is not, :func:`start` returns None and the role's async task
(``deploy_lock`` with ``state: renewing``) runs the heartbeat instead.

The process renews the lock as :meth:`DeployLock.heartbeat` does (every third of the lock's duration, while the
ansible-playbook process lives and the lock is this run's) and ends at the latest after ``max_hold`` seconds, as
``async`` would end it. Its settings reach it on standard input, never on its command line.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from typing import Any

# this file: <root>/ansible_collections/smeplatform/deploy/plugins/module_utils/_areas/release/heartbeat.py
_LEVELS_TO_ROOT = 8


def _collections_root(path: str) -> str | None:
    """The folder holding ``ansible_collections``, when this file is a file of such a tree on disk."""
    if not os.path.isfile(path):
        return None
    root = os.sep.join(path.split(os.sep)[:-_LEVELS_TO_ROOT])
    return root if os.path.isdir(os.path.join(root, "ansible_collections")) else None


def start(
    kube: dict[str, Any],
    namespace: str,
    name: str,
    holder: str,
    duration: int,
    controller: int,
    max_hold: int,
    popen: Any = subprocess.Popen,
) -> int | None:
    """Start the heartbeat; its process id, or None when it cannot be started from here (the caller's async task
    then runs it)."""
    here = os.path.abspath(__file__)
    root = _collections_root(here)
    if root is None or max_hold <= 0:
        return None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    settings = {
        "kube": kube,
        "namespace": namespace,
        "name": name,
        "holder": holder,
        "duration": duration,
        "controller": controller,
        "max_hold": max_hold,
    }
    try:
        proc = popen(
            [os.path.abspath(sys.executable), here],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd="/",
            close_fds=True,
            start_new_session=True,  # not in the run's process group: a Ctrl-C reaches the run, which it outlives
        )
        proc.stdin.write(json.dumps(settings).encode("utf-8"))
        proc.stdin.close()
    except OSError:
        return None
    return proc.pid


# Niceness of the heartbeat: its start (a Python importing the Kubernetes client, about 0.3 s of CPU) waits for what
# the run itself leaves idle, instead of taking it from the run's next tasks (a fleet starts one per environment at
# once). A tenth of a busy CPU still starts it within seconds, and its first renewal is a third of the lock's
# duration away.
NICENESS = 10


def main() -> str:
    with contextlib.suppress(OSError):  # not allowed here: it runs at the run's own priority
        os.nice(NICENESS)
    settings = json.loads(sys.stdin.buffer.read() or b"{}")
    # async's limit: whatever happens, the process ends after max_hold seconds
    signal.alarm(max(1, int(settings["max_hold"])))
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release.lock import DeployLock
    from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import Kube

    lock = DeployLock(
        Kube(**settings["kube"]),  # the lock-taking call's connection options, as its module validated them
        settings["namespace"],
        settings["name"],
        settings["holder"],
        int(settings["duration"]),
    )
    return lock.heartbeat(int(settings["controller"]))


if __name__ == "__main__":
    # run as a script: its own folder first on the path would let its neighbours shadow other modules
    if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]
    main()
