#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: verdict
short_description: Decide go / no-go from the checklist evidence of this run
version_added: 0.1.0
description:
  - Reads the evidence recorded so far in this run by the
    P(smeplatform.deploy.evidence_report#callback) callback and decides GO or NO-GO with the same rule as the
    report. NO-GO when any checklist item failed, any task failed, or evidence named an unknown item.
  - With O(gate=true) a NO-GO fails the task, and so the run.
  - Needs the callback enabled.
options:
  gate:
    description: Fail the task on NO-GO.
    type: bool
    default: true
  catalogue:
    description: Path of the checklist catalogue; the collection's own by default.
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
  action:
    support: full
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.attributes.action
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Stop the run on NO-GO
  smeplatform.deploy.verdict:
    gate: true
"""

RETURN = r"""
decision:
  description: V(GO) or V(NO-GO).
  returned: success
  type: str
  sample: GO
reasons:
  description: Why the decision is NO-GO; empty on GO.
  returned: success
  type: list
  elements: str
  sample: ["1 checklist item(s) failed: 4.1.2"]
summary:
  description: Number of items by status.
  returned: success
  type: dict
  sample: {"passed": 30, "failed": 0, "skipped": 2, "manual": 60, "not run": 63, "total": 155}
"""
