#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: migration_job
short_description: Run a database migration command as a Kubernetes Job and keep its outcome as evidence
version_added: 0.1.0
description:
  - Creates a Job that runs O(command) (for example C(npm run migration:run), C(migration:show) or
    C(migration:revert)) with the release's image, waits for it to complete or fail within O(timeout), and returns
    the Job's conditions, its pods' phases and container states, and the pods' logs where the nodes serve them.
    When they do not (simulated nodes), RV(logs_note) says so.
  - The Job is named after the release, O(action) and a hash of the image, the command and O(run_key). The same
    migration of the same image therefore runs once; a later run finds the completed Job and changes nothing. A
    failed Job is deleted and run again (O(rerun_failed)).
  - The pod meets the Pod Security C(restricted) profile (non-root, no privilege escalation, all capabilities
    dropped, RuntimeDefault seccomp, read-only root filesystem with an C(emptyDir) on C(/tmp)).
  - The image is O(image), or the image a live workload runs (O(image_from)), for a revert with the code that
    knows the migration to revert.
  - In check mode no Job is created; the task says whether one would run.
options:
  release:
    description: Release the migration belongs to; the Job's name and labels carry it.
    type: str
    required: true
  namespace:
    description: Namespace of the Job.
    type: str
    required: true
  action:
    description: Short name of the step, in the Job's name, for example C(run), C(show) or C(revert).
    type: str
    required: true
  command:
    description: Command and arguments of the container.
    type: list
    elements: str
    required: true
  image:
    description: Image with tag or digest. Required unless O(image_from) is set.
    type: str
  image_from:
    description: Take the image from a container of a live workload instead of O(image).
    type: dict
    suboptions:
      kind:
        description: Kind of the workload.
        type: str
        choices: [Deployment, StatefulSet]
        default: Deployment
      name:
        description: Name of the workload.
        type: str
        required: true
      container:
        description: Container whose image is used; the first one when not set.
        type: str
  show_command:
    description:
      - A second command, such as C(npm run migration:show), run as its own Job (same image, environment and pod)
        once O(command) succeeded; its outcome is returned under RV(show) and recorded for O(evidence_id) too.
      - One task for both saves a module start and an API session.
    type: list
    elements: str
    default: []
  show_action:
    description: Short name of the O(show_command) step, in its Job's name.
    type: str
    default: show
  run_key:
    description:
      - Extra text in the Job's name hash; a new key runs the command again for the same image (for example the
        revision a revert belongs to).
    type: str
    default: ""
  env:
    description: Environment variables (name to value) of the container. Not for secrets; use O(env_from).
    type: dict
    default: {}
  env_from:
    description: C(envFrom) sources of the container (ConfigMap and Secret references), as Kubernetes takes them.
    type: list
    elements: dict
    default: []
  service_account:
    description: ServiceAccount of the pod; no token is mounted.
    type: str
  image_pull_secrets:
    description: Names of registry pull Secrets.
    type: list
    elements: str
    default: []
  node_selector:
    description: Node labels the pod must run on.
    type: dict
    default: {}
  tolerations:
    description: Tolerations of the pod.
    type: list
    elements: dict
    default: []
  run_as_user:
    description: Non-root user id of the container.
    type: int
    default: 1000
  resources:
    description: Container resources (requests and limits).
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for the Job to complete.
    type: int
    default: 600
  rerun_failed:
    description: Delete a failed Job of the same name and run it again.
    type: bool
    default: true
  evidence_id:
    description: Checklist item the outcome is recorded for (for example C(deploy.4) or C(rollback.3)).
    type: str
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: Reads only; no Job is created.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: The same image, command and run key run once.
requirements:
  - kubernetes (Python client)
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Run the database migrations with the new backend image
  smeplatform.deploy.migration_job:
    release: sme-platform
    namespace: sme-platform
    action: run
    image: registry.smeplatform.com/sme-platform/backend:v1.1.0
    command: [npm, run, "migration:run"]
    show_command: [npm, run, "migration:show"]
    env_from:
      - secretRef: {name: sme-platform-secrets}
    evidence_id: deploy.4

- name: Revert the last migration with the image that applied it
  smeplatform.deploy.migration_job:
    release: sme-platform
    namespace: sme-platform
    action: revert
    image_from: {kind: Deployment, name: sme-platform-backend, container: backend}
    command: [npm, run, "migration:revert"]
    run_key: "revision-5"
    evidence_id: rollback.3
"""

RETURN = r"""
job:
  description: Name of the Job.
  returned: always
  type: str
  sample: sme-platform-migration-run-1a2b3c4d
image:
  description: Image the Job ran.
  returned: always
  type: str
  sample: registry.smeplatform.com/sme-platform/backend:v1.1.0
outcome:
  description: C(succeeded), C(failed), C(timed out), or in check mode C(would run).
  returned: always
  type: str
  sample: succeeded
conditions:
  description: The Job's status conditions.
  returned: when the Job exists
  type: list
  elements: dict
  sample: [{"type": "Complete", "status": "True", "reason": null, "message": null}]
pods:
  description: The Job's pods with phase, conditions and container states.
  returned: when the Job exists
  type: list
  elements: dict
logs:
  description: Logs of each pod (last 64 KiB), where the node serves them.
  returned: when the Job exists
  type: dict
show:
  description: The outcome of O(show_command), with the same keys as the main step.
  returned: when O(show_command) is set and the main step succeeded
  type: dict
logs_note:
  description: Why logs are missing, when they are.
  returned: when the Job exists
  type: str
  sample: "logs not served by the node (sme-platform-migration-run-1a2b3c4d-x7k2p: 500 Internal Server Error)"
evidence:
  description: Evidence for O(evidence_id).
  returned: when O(evidence_id) is set
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import entry, options


def main() -> None:
    entry.run_migration_job(AnsibleModule(**options.migration_job()))


if __name__ == "__main__":
    main()
