#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: release_diagnostics
short_description: Collect what explains a failed rollout - events, pods, containers, workloads, helm history
version_added: 0.1.0
description:
  - Reads the namespace's events (newest O(max_events)), its pods with phase, conditions and every container's state
    and last state, its Deployments with their replica counts and conditions, and the release's helm history.
  - Values in O(redact) (with their base64 and hex forms) are masked; no environment, volume or Secret content is read.
  - Writes the result as JSON into O(dest_dir) - by default the folder of the run's report when the evidence report
    callback is enabled - and returns it, with a one-line summary.
  - Optionally records the summary as evidence for O(evidence_id) with O(evidence_status).
  - Reads only; it runs in check mode too.
options:
  namespace:
    description: Namespace to describe.
    type: str
    required: true
  release:
    description: Helm release whose history is included; none when not set.
    type: str
  selector:
    description: Label selector limiting the pods and Deployments described.
    type: str
  max_events:
    description: Newest events kept.
    type: int
    default: 100
  dest_dir:
    description: Folder the JSON file is written to; the run's report folder when not set (nothing written without one).
    type: path
  cause:
    description: What failed, put first in the summary and the evidence.
    type: str
  evidence_id:
    description: Checklist item the summary is recorded for.
    type: str
  evidence_status:
    description: Status of that evidence entry.
    type: str
    choices: [passed, failed, skipped, manual]
    default: failed
  redact:
    description: Values that must not appear in the output.
    type: list
    elements: str
    default: []
  helm_binary:
    description: Path of the helm executable; the first C(helm) on E(PATH) when not set.
    type: path
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: Reads only, writes the file in check mode too.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Changes nothing on the cluster.
requirements:
  - kubernetes (Python client)
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Describe why the smoke gate failed after the upgrade
  smeplatform.deploy.release_diagnostics:
    namespace: sme-platform
    release: sme-platform
    cause: "{{ ansible_failed_result.msg }}"
    evidence_id: deploy.3
"""

RETURN = r"""
diagnostics:
  description: Events, pods, workloads and helm history, redacted.
  returned: always
  type: dict
summary:
  description: One line.
  returned: always
  type: str
  sample: "3 of 5 pod(s) not Ready: sme-platform-backend-7c9-abcde Running Ready=False; 2 warning event(s), ..."
file:
  description: The JSON file written.
  returned: when a folder is known
  type: str
  sample: reports/diagnostics-sme-platform-sme-platform-20260101T000000Z.json
evidence:
  description: The entry for O(evidence_id).
  returned: when O(evidence_id) is set
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.release import entry, options


def main() -> None:
    entry.run_release_diagnostics(AnsibleModule(**options.release_diagnostics()))


if __name__ == "__main__":
    main()
