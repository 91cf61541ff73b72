#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or give back the deployment lock of a release (a Kubernetes Lease)
version_added: 0.1.0
description:
  - One C(coordination.k8s.io/v1) Lease per release records who deploys it (holder identity), since when, and until
    when (renew time plus lease duration).
  - With O(state=acquired), takes the lock. When another run holds it and it has not expired, fails at once naming
    the holder and the expiry. A lock not renewed for its whole O(duration) (a run that died), or whose holder ran on
    this host under a process id that no longer exists, is taken over with a warning saying why; any other holder
    only with O(break_lock). Two runs racing for a free lock cannot both win (the Lease is created or replaced with
    the resourceVersion read).
  - With O(state=renewing), the heartbeat; run it with C(async) and C(poll=0) right after taking the lock. It renews
    the Lease every third of O(duration) while the ansible-playbook process O(controller_pid) lives and the Lease
    names O(holder), and ends when either is no longer so (the lock given back ends it).
  - With O(state=acquired) and O(heartbeat), the call that takes the lock starts the same heartbeat itself, as a
    background process, when it can (RV(heartbeat_pid)); then no O(state=renewing) task is needed.
  - With O(state=free), takes nothing and fails at once when another live run holds the lock (a lock O(state=acquired)
    would take over counts as free, with a warning); deploy.yml runs it before any change, so that a concurrent run
    is refused before it touches anything.
  - With O(state=released), deletes the Lease when this holder still has it; a lock held by someone else is left
    alone, with a warning.
  - The Lease lives in O(namespace), which is created (bare) when missing so that the lock can be taken before any
    other change.
  - In check mode nothing is written; the task says who holds the lock, if anyone.
options:
  name:
    description: Lease name; C(<release>-deploy-lock) by convention.
    type: str
    required: true
  namespace:
    description: Namespace of the Lease (the release's namespace).
    type: str
    required: true
  state:
    description:
      - V(acquired) takes the lock, V(free) only fails when another live run holds it (and, with
        O(namespace_labels), then prepares the namespace as V(acquired) does), V(renewing) keeps it alive (the
        heartbeat), V(released) gives it back.
    type: str
    choices: [acquired, free, renewing, released]
    default: acquired
  holder:
    description:
      - Identity of this run, recorded in the Lease. When not set, C(user@host pid=N run=RANDOM) is made up, N being
        the ansible-playbook process; pass the returned RV(holder) to the heartbeat and to the task that releases the
        lock.
    type: str
  duration:
    description:
      - Seconds the lock stays valid without renewal; the heartbeat renews it every third of that. A lock not renewed
        for that long is taken over by the next run.
    type: int
    default: 60
  break_lock:
    description: Take the lock over from any holder, with a warning naming it. Only when that run is known to be dead.
    type: bool
    default: false
  controller_pid:
    description:
      - The ansible-playbook process whose life the heartbeat follows; pass the RV(controller_pid) the taking task
        returned. V(0) finds it among the module's ancestors.
    type: int
    default: 0
  ensure_namespace:
    description: Create O(namespace) when it does not exist (with O(state=free), only when O(namespace_labels) is set).
    type: bool
    default: true
  namespace_labels:
    description:
      - Labels merged into O(namespace) once the lock is held (with O(state=free), once no other live run holds it),
        for example the Pod Security Admission levels C(pod-security.kubernetes.io/enforce=restricted). Labels
        already set to the same value change nothing.
      - Done here so that preparing the namespace costs no extra task; reported in RV(namespace).
    type: dict
    default: {}
  heartbeat:
    description:
      - With O(state=acquired), once the lock is taken, start the heartbeat as a background process that ends
        after at most this many seconds (as C(async) would end it), and return its RV(heartbeat_pid). V(0) starts
        none.
      - Only where the module runs from the collection's files on the controller (inside the task's worker, as it
        does on the collection's local hosts); elsewhere RV(heartbeat_pid) is not returned, and a
        O(state=renewing) task with C(async) must keep the lock alive, as the release role does then.
      - The settings reach the process on its standard input, not on its command line.
    type: int
    default: 0
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: Reads the Lease only.
  diff_mode:
    support: partial
    details: The namespace's labels when O(namespace_labels) changes them.
  idempotent:
    support: full
    details: Taking a lock this holder already has renews it; releasing a lock not held changes nothing.
requirements:
  - kubernetes (Python client)
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Take the deployment lock
  smeplatform.deploy.deploy_lock:
    name: sme-platform-deploy-lock
    namespace: sme-platform
    duration: 60
    namespace_labels:
      pod-security.kubernetes.io/enforce: restricted
      pod-security.kubernetes.io/enforce-version: latest
  register: lock

- name: Keep the lock alive while the play runs
  smeplatform.deploy.deploy_lock:
    name: sme-platform-deploy-lock
    namespace: sme-platform
    holder: "{{ lock.holder }}"
    controller_pid: "{{ lock.controller_pid }}"
    state: renewing
  async: 7200
  poll: 0

- name: Give the deployment lock back
  smeplatform.deploy.deploy_lock:
    name: sme-platform-deploy-lock
    namespace: sme-platform
    holder: "{{ lock.holder }}"
    state: released
"""

RETURN = r"""
holder:
  description: Identity of this run, as recorded in the Lease.
  returned: always
  type: str
  sample: deployer@ci-runner-3 pid=4242 run=1f2e3d4c
lease:
  description: The Lease.
  returned: always
  type: str
  sample: Lease sme-platform/sme-platform-deploy-lock
lock:
  description: The lock as taken.
  returned: when taken
  type: dict
  sample: {"holder": "deployer@ci pid=4242 run=1f2e3d4c", "acquired": "2026-01-01T10:00:00.000000Z",
           "expires": "2026-01-01T10:30:00.000000Z", "duration": 1800}
namespace:
  description:
    - The namespace with its labels, whether this run created it (in check mode, would create it) and whether it
      or O(namespace_labels) changed it.
  returned: O(state=acquired), and O(state=free) with O(namespace_labels)
  type: dict
  sample: {"name": "sme-platform", "changed": false, "created": false,
           "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}
heartbeat_pid:
  description: The heartbeat process O(heartbeat) started.
  returned: when O(heartbeat) started one
  type: int
  sample: 4250
controller_pid:
  description: The ansible-playbook process recorded in the holder identity (V(0) when not on this host).
  returned: O(state=acquired)
  type: int
  sample: 4242
stopped:
  description: Why the heartbeat ended.
  returned: O(state=renewing)
  type: str
  sample: the lock was given back or taken over
taken_over_from:
  description: The lock that was taken over (expired, dead holder, or O(break_lock)).
  returned: when a lock was taken over
  type: dict
  sample: {"holder": "deployer@ci pid=17 run=0a0b0c0d", "expires": "2026-01-01T09:00:00.000000Z"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import entry, options


def main() -> None:
    entry.run_deploy_lock(AnsibleModule(**options.deploy_lock()))


if __name__ == "__main__":
    main()
