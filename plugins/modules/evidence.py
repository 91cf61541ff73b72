#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: evidence
short_description: Record evidence for production checklist items
version_added: 0.1.0
description:
  - Records one or more evidence entries, each for one item of the checklist catalogue, so that the
    P(smeplatform.deploy.evidence_report#callback) callback puts them in the run's report.
  - Use it where a check is made by a stock module; modules of this collection return their evidence themselves.
  - Every id is checked against the catalogue on the controller; an unknown id fails the task and names it.
  - Runs on the controller; it changes nothing.
options:
  items:
    description: The evidence entries.
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: Checklist item id, for example C(4.1.2) or C(deploy.7.5).
        type: str
        required: true
      status:
        description: Outcome for the item.
        type: str
        required: true
        choices: [passed, failed, skipped, manual]
      measured:
        description: What was measured.
        type: raw
      threshold:
        description: What the measurement is held against.
        type: raw
      detail:
        description: One line saying what was checked and what was found.
        type: str
      where:
        description: What was looked at (server, object, URL).
        type: str
      duration:
        description: Seconds the check took; the task's duration when not given.
        type: float
  secrets:
    description:
      - Values that must not appear in the recorded evidence; they and their base64 and hex forms are masked.
    type: list
    elements: str
    default: []
  catalogue:
    description: Path of the checklist catalogue; the collection's own by default.
    type: path
attributes:
  check_mode:
    support: full
    details: Records in check mode too; nothing is changed either way.
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
- name: Record the measured PostgreSQL version
  smeplatform.deploy.evidence:
    items:
      - id: "4.1.1"
        status: "{{ 'passed' if pg_version is version('15', '>=') else 'failed' }}"
        measured: "{{ pg_version }}"
        threshold: ">= 15"
        where: "{{ smeplatform_database_host }}"
"""

RETURN = r"""
evidence:
  description: The recorded entries, validated and with secrets masked.
  returned: success
  type: list
  elements: dict
  sample: [{"id": "4.1.1", "status": "passed", "measured": "15.18", "threshold": ">= 15", "detail": "",
            "where": "db.internal", "duration": null}]
"""
