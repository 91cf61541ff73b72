#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inputs
short_description: Validate the inputs of the collection's roles before any change
version_added: 0.1.0
description:
  - For each role of O(roles), takes the value every option of its argument specs would have (inventory, extra
    vars, else the role's default, templated) and checks its type and choices, and the ranges argument specs cannot
    say, by the variable's kind (its name's ending) - ratios (C(*_rate_max), C(*_ratio)) in [0, 1]; durations
    (C(*_timeout), C(*_duration), C(*_interval), C(*_seconds)) positive; C(*_namespace) a DNS-1123 label;
    C(*release_name) a Helm release name; image tags (C(*_image_tag), the values of C(release_image_tags)) not empty.
  - Fails listing every invalid input at once. Meant for the first play of a playbook, so that nothing changes
    before all inputs are known good. Runs on the controller; a value that depends on a variable the play does not
    define is left to the role.
options:
  roles:
    description: Names of the collection's roles whose inputs to validate (their C(main) entry point).
    type: list
    elements: str
    required: true
attributes:
  check_mode:
    support: full
    details: Reads variables only.
  diff_mode:
    support: none
  idempotent:
    support: full
  action:
    support: full
    details: Runs on the controller.
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.attributes.action
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Validate every role input before any change
  smeplatform.deploy.inputs:
    roles: [release, smoke, backup]
"""

RETURN = r"""
checked:
  description: Number of inputs checked.
  returned: always
  type: int
  sample: 212
errors:
  description: Every invalid input, with what it must be.
  returned: always
  type: list
  elements: str
  sample: ["smoke: smoke_error_rate_max=5: a ratio in [0, 1] (0.01 is 1 %)"]
duration:
  description: Seconds the validation took.
  returned: always
  type: float
  sample: 0.4
"""
