#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: helm_release
short_description: Install, upgrade or roll back a Helm release, with a diff, stuck-release recovery and diagnostics
version_added: 0.1.0
description:
  - With O(state=present), runs C(helm upgrade --install --wait --atomic --timeout --history-max) for any chart
    (local path, repository or OCI reference), with values files, inline values and C(--set-string) values such as
    image tags.
  - Before upgrading, renders the chart with the run's values (C(helm upgrade --dry-run=server)) and compares it with
    the live release (manifest, hooks, user values, chart version). When nothing differs the release is left alone
    and the task reports no change, so a repeated run creates no new revision.
  - A release stuck in C(pending-install), C(pending-upgrade) or C(pending-rollback) (an interrupted helm run) is
    rolled back to its last deployed revision first when O(pending_action=rollback), or the task fails saying so.
  - With O(state=rolled_back), runs C(helm rollback) to O(revision), or to the newest earlier revision that was
    deployed when O(revision=0), waits, and checks that every workload rolled out.
  - When helm fails or times out, collects diagnostics (namespace events, pods seen during the rollout with their
    phases, conditions and containers' last states, workloads, helm history), redacts them, writes them next to the
    run's report and returns them; the failure message names the cause.
  - In check mode nothing is changed. The diff (with C(--diff)) compares every rendered object with the live one
    through a server-side dry run (C(dryRun=All) apply), Secrets as key names only, plus the release's user values.
  - The helm binary is called directly; O(helm_binary) or the first C(helm) on E(PATH).
options:
  name:
    description: Release name.
    type: str
    required: true
  namespace:
    description: Namespace of the release. It must exist (create it first, with its labels).
    type: str
    required: true
  state:
    description:
      - V(present) installs or upgrades; V(rolled_back) rolls back to O(revision).
    type: str
    choices: [present, rolled_back]
    default: present
  chart:
    description:
      - Chart to install, as helm takes it - a local path, C(repo/name) with a configured repository, an C(oci://)
        reference, or a chart name with O(repo). Required with O(state=present).
    type: str
  chart_version:
    description: Chart version constraint (C(--version)); the newest when not set.
    type: str
  repo:
    description: Chart repository URL (C(--repo)).
    type: str
  values_files:
    description: Values files, applied in order.
    type: list
    elements: path
    default: []
  values:
    description: Inline values, applied after O(values_files) (passed through a private temporary file).
    type: dict
    default: {}
  set_values:
    description:
      - Values by dotted path, passed with C(--set-string) after everything else, for example
        C(backend.image.tag=v1.1.0).
    type: dict
    default: {}
  wait:
    description: Wait until every workload is ready (C(--wait)); implied by O(atomic).
    type: bool
    default: true
  atomic:
    description: On a failed upgrade, let helm roll the release back to the revision before it (C(--atomic)).
    type: bool
    default: true
  timeout:
    description: Seconds helm waits for the rollout (C(--timeout)).
    type: int
    default: 600
  history_max:
    description: Revisions helm keeps (C(--history-max)); 0 keeps all.
    type: int
    default: 10
  required_secrets:
    description:
      - Secrets (names) that must exist in O(namespace) before the upgrade, such as the application Secret the chart
        references but does not create. A missing one stops the task before any change (a warning in check mode).
      - Only their existence is read.
    type: list
    elements: str
    default: []
  pending_action:
    description:
      - What to do with a release stuck in a pending state before upgrading. V(rollback) rolls it back to its last
        deployed revision (with a warning); V(fail) stops with a message saying how to recover.
    type: str
    choices: [rollback, fail]
    default: fail
  revision:
    description: With O(state=rolled_back), the revision to return to; V(0) means the newest earlier deployed one.
    type: int
    default: 0
  evidence_id:
    description: Checklist item the result is recorded for (for example C(deploy.3) or C(rollback.1)).
    type: str
  to_older_images:
    description:
      - With O(state=present), this upgrade is a rollback by redeploy of previous image tags (C(rollback.2)), and its
        evidence passes only when, measured after the upgrade, every workload rolled out running images other than
        those it replaced, each of which an earlier revision of the release ran.
    type: bool
    default: false
  infrastructure:
    description:
      - With O(state=present), also records deployment step 2 (the infrastructure), passed when the namespace
        enforces O(infrastructure.pod_security) and every Secret of O(required_secrets) exists; skipped in check
        mode.
    type: dict
    suboptions:
      evidence_id:
        description: Checklist item of the infrastructure step (C(deploy.2)).
        type: str
        required: true
      pod_security:
        description: Pod Security Admission level the namespace must enforce.
        type: str
        required: true
      namespace_labels:
        description: The namespace's labels as the deployment lock left them.
        type: dict
        default: {}
      lock_held:
        description: Whether the deployment lock is held by this run (said in the evidence).
        type: bool
        default: false
  procedure:
    description:
      - With O(state=rolled_back), also records the rollback procedure (C(8.1.4)) as proven by this automatic
        rollback, passed when every workload of the release rolled out running the images of the revision rolled back
        to (measured after the rollback), failed with the reason when not.
    type: dict
    suboptions:
      evidence_id:
        description: Checklist item of the rollback procedure (C(8.1.4)).
        type: str
        required: true
      after:
        description: The stage whose failure led to the rollback (C(upgrade), C(verify)), said in the evidence.
        type: str
        required: true
  diagnostics_dir:
    description:
      - Folder the diagnostics of a failed rollout are written to; the run's report folder when the evidence report
        callback is enabled, else they are only returned.
    type: path
  redact:
    description: Values that must not appear in diagnostics, diffs or messages (with their base64 and hex forms).
    type: list
    elements: str
    default: []
  helm_binary:
    description: Path of the helm executable; the first C(helm) on E(PATH) when not set.
    type: path
  kubeconfig:
    description:
      - Path of the kubeconfig file, passed to helm as C(--kubeconfig). Defaults to E(K8S_AUTH_KUBECONFIG), then
        E(KUBECONFIG), then C(~/.kube/config), then the in-cluster service account.
    type: path
  context:
    description: Context of the kubeconfig to use (helm C(--kube-context)); its current context when not set.
    type: str
  request_timeout:
    description: Seconds to wait for one Kubernetes API request.
    type: float
    default: 20.0
attributes:
  check_mode:
    support: full
    details: Renders and diffs only; no revision, no change.
  diff_mode:
    support: full
    details: One entry per object that would change (server-side dry run) and one for the release's user values.
  idempotent:
    support: full
    details: O(state=present) with the same chart and values makes no new revision. O(state=rolled_back) with
      O(revision=0) is an action and rolls back each time; with a given revision it is idempotent.
requirements:
  - helm 3.13 or later (C(--dry-run=server))
  - kubernetes (Python client)
seealso:
  - module: smeplatform.deploy.deploy_lock
  - module: smeplatform.deploy.release_diagnostics
extends_documentation_fragment:
  - smeplatform.deploy.attributes
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Deploy the platform with new image tags
  smeplatform.deploy.helm_release:
    name: sme-platform
    namespace: sme-platform
    chart: "{{ playbook_dir }}/../charts/sme-platform"
    values_files:
      - "{{ playbook_dir }}/../charts/sme-platform/values-prod.yaml"
    set_values:
      backend.image.tag: v1.1.0
      frontend.image.tag: v1.1.0
    timeout: 900
    pending_action: rollback
    evidence_id: deploy.3

- name: Roll back to the previous deployed revision
  smeplatform.deploy.helm_release:
    name: sme-platform
    namespace: sme-platform
    state: rolled_back
    evidence_id: rollback.1
"""

RETURN = r"""
release:
  description: The release after the task (the rendered one in check mode).
  returned: success
  type: dict
  sample: {"name": "sme-platform", "namespace": "sme-platform", "revision": 2, "status": "deployed",
           "chart": "sme-platform-1.0.0", "app_version": "1.0.0",
           "images": ["127.0.0.1:15450/sme-platform/backend:v1.1.0", "127.0.0.1:15450/sme-platform/frontend:v1.1.0"]}
previous:
  description: The release before the task; empty when it did not exist.
  returned: success
  type: dict
  sample: {"name": "sme-platform", "revision": 1, "status": "deployed"}
changes:
  description: What differs between the live and the desired release; empty when nothing does.
  returned: O(state=present)
  type: list
  elements: str
  sample: ["config", "manifest"]
required_secrets:
  description: Each required Secret and whether it exists.
  returned: when O(required_secrets) is set
  type: dict
  sample: {"sme-platform-secrets": true}
recovered:
  description: The stuck release that was rolled back first.
  returned: when a pending release was found
  type: dict
  sample: {"status": "pending-upgrade", "revision": 3, "target": 2, "action": "rollback"}
target_revision:
  description: The revision rolled back to.
  returned: O(state=rolled_back)
  type: int
  sample: 2
rollout:
  description: Each workload of the release with its replicas, and whether it rolled out.
  returned: after a change
  type: list
  elements: dict
  sample: [{"kind": "Deployment", "name": "sme-platform-backend", "complete": true, "replicas": 3, "ready": 3}]
diagnostics:
  description: Events, pods, workloads and helm history of the namespace, redacted.
  returned: failure
  type: dict
diagnostics_file:
  description: Where the diagnostics were written.
  returned: failure, when a report folder is known
  type: str
  sample: reports/diagnostics-sme-platform-sme-platform-20260101T000000Z.json
evidence:
  description: Evidence for O(evidence_id).
  returned: when O(evidence_id) is set
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import entry, options


def main() -> None:
    entry.run_helm_release(AnsibleModule(**options.helm_release()))


if __name__ == "__main__":
    main()
