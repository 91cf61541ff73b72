#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: report_file
short_description: Write a report artefact on the controller
version_added: 0.3.0
description:
  - Writes a text file on the controller, such as the deployment runbook the P(smeplatform.deploy.code_gate#role)
    role writes beside the evidence report.
  - Unlike M(ansible.builtin.copy) with O(ansible.builtin.copy#module:content), it starts no module process; the file
    is written by the task's worker on the controller.
  - The file is replaced only when its content or mode differ, atomically, so a reader never sees half of it. Missing
    folders are created.
options:
  path:
    description: Path of the file on the controller.
    type: path
    required: true
  content:
    description: The text to write, as is.
    type: str
    required: true
  mode:
    description: The file's permissions, in octal.
    type: str
    default: "0644"
attributes:
  check_mode:
    support: full
    details: Reports whether the file would change and writes nothing.
  diff_mode:
    support: full
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
- name: Write the runbook beside the report, in check mode too
  smeplatform.deploy.report_file:
    path: "{{ report_dir }}/runbook-prod.md"
    content: "{{ gate.runbook }}"
  check_mode: false
"""

RETURN = r"""
path:
  description: The file written.
  returned: success
  type: str
  sample: reports/runbook-prod.md
size:
  description: Bytes of the content.
  returned: success
  type: int
  sample: 18230
"""
