#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: status_page
short_description: Set the platform's status page back to operational after a deployment
version_added: 0.3.0
description:
  - Proves checklist item C(post.day1.2) (update the status page, all systems operational) on a Statuspage page.
  - With O(lift_maintenance), every component (of O(components), or of the page) that is C(under_maintenance), as
    during the deployment, is set to C(operational); then every component is read back and must be C(operational).
  - A component in an incident state (C(degraded_performance), C(partial_outage), C(major_outage)) is never
    overwritten; the item fails naming it, for the on-call engineer.
  - In check mode nothing is set; the item is skipped naming the components it would set.
options:
  statuspage_url:
    description: Base URL of Statuspage's REST API.
    type: str
    default: https://api.statuspage.io
  statuspage_api_key:
    description: Statuspage API key.
    type: str
    required: true
  statuspage_page_id:
    description: Id of the platform's status page.
    type: str
    required: true
  components:
    description: Names of the platform's components; empty means every component of the page.
    type: list
    elements: str
    default: []
  lift_maintenance:
    description: Set components that are C(under_maintenance) to C(operational); false only reads.
    type: bool
    default: true
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  idempotent:
    support: full
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Status page back to operational after the deployment
  smeplatform.deploy.status_page:
    statuspage_api_key: "{{ vault_statuspage_api_key }}"
    statuspage_page_id: kctbh9vrtdwd
"""

RETURN = r"""
components:
  description: Status of each component after the run (in check mode, as it would be).
  returned: always
  type: dict
  sample: {"API": "operational", "Payments": "operational"}
evidence:
  description: The entry of C(post.day1.2).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "post.day1.2", "status": "failed", "measured": {"API": "operational", "Payments": "partial_outage"},
            "threshold": "every component operational (maintenance lifted after the deployment; incidents are not
              overwritten)",
            "detail": "component Payments is partial_outage: an open incident, left to the on-call engineer",
            "where": "https://api.statuspage.io/v1/pages/kctbh9vrtdwd", "duration": null}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import entry, options


def main() -> None:
    entry.run_status_page(AnsibleModule(**options.status_page()))


if __name__ == "__main__":
    main()
