#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: error_tracking_review
short_description: Review the platform's unresolved Sentry issues after the deployment
version_added: 0.3.0
description:
  - Proves checklist item C(post.week1.2) (check error tracking) from Sentry's Web API, in the first week's review
    after a deployment. The item passes when the project O(sentry_project) holds at most O(max_unresolved)
    unresolved issues of the O(levels) seen within O(period); the evidence names the five with the most events.
  - The post-deployment week stage also records C(post.week1.2) from the platform's 5xx share; the item passes only
    when both entries do.
  - Read-only; it changes nothing.
options:
  sentry_url:
    description: Base URL of Sentry's Web API.
    type: str
    default: https://sentry.io
  sentry_token:
    description: Sentry organization auth token (scopes C(project:read), C(event:read)).
    type: str
    required: true
  sentry_organization:
    description: Slug of the Sentry organization.
    type: str
    required: true
  sentry_project:
    description: Slug of the platform's Sentry project.
    type: str
    required: true
  period:
    description: The reviewed period, ending now, as a duration such as C(7d).
    type: str
    default: 7d
  levels:
    description: Issue levels that count.
    type: list
    elements: str
    default: [error, fatal]
  max_unresolved:
    description: Most unresolved issues of those levels accepted.
    type: int
    default: 0
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.read_only_check
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Error tracking review of the first week
  smeplatform.deploy.error_tracking_review:
    sentry_token: "{{ vault_sentry_token }}"
    sentry_organization: sme-platform
    sentry_project: sme-platform-backend
"""

RETURN = r"""
evidence:
  description: The entry of C(post.week1.2).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "post.week1.2", "status": "failed",
            "measured": {"unresolved": 1, "unresolved_all_levels": 2,
                         "top": ["SME-PLATFORM-BACKEND-2 TypeError: Cannot read properties of undefined (42 events)"]},
            "threshold": "at most 0 unresolved error/fatal issue(s) seen in the last 7d",
            "detail": "1 unresolved error/fatal issue(s) seen in the last 7d: SME-PLATFORM-BACKEND-2 TypeError: Cannot
              read properties of undefined (42 events)",
            "where": "https://sentry.io/api/0/projects/sme-platform/sme-platform-backend/issues/", "duration": 0.3}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import entry, options


def main() -> None:
    entry.run_error_tracking_review(AnsibleModule(**options.error_tracking_review()))


if __name__ == "__main__":
    main()
