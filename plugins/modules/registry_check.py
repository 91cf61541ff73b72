#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: registry_check
short_description: Check that the images to deploy exist in the container registry and that it refuses anonymous access
version_added: 0.1.0
description:
  - Proves checklist item C(8.2.1) by asking the registry (OCI distribution API,
    C(HEAD /v2/<repository>/manifests/<tag>)) for every image to deploy, with the deployer's credentials; a missing
    tag is named in the evidence.
  - Proves C(8.2.4) by checking that an anonymous C(GET /v2/) is refused with 401 and that the credentials are
    accepted. Basic authentication and bearer tokens (the registry's token realm) are both handled.
  - Read-only; it changes nothing.
options:
  registry_url:
    description: Base URL of the registry, for example C(https://registry.example.com).
    type: str
    required: true
  username:
    description: Deployer account.
    type: str
  password:
    description: Password or token of O(username).
    type: str
  images:
    description: Images to deploy.
    type: list
    elements: dict
    required: true
    suboptions:
      repository:
        description: Repository path inside the registry, for example C(sme-platform/backend).
        type: str
        required: true
      tag:
        description: Tag to deploy.
        type: str
        required: true
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.read_only_check
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check the registry
  smeplatform.deploy.registry_check:
    registry_url: https://registry.smeplatform.com
    username: deployer
    password: "{{ vault_registry_password }}"
    images:
      - {repository: sme-platform/backend, tag: v1.0.0}
      - {repository: sme-platform/frontend, tag: v1.0.0}
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "8.2.1", "status": "failed",
            "measured": {"found": {}, "missing": ["sme-platform/backend:v9 (no such tag)"]},
            "threshold": "every image to deploy has its tag in the registry",
            "detail": "missing: sme-platform/backend:v9 (no such tag)",
            "where": "https://registry.smeplatform.com", "duration": 0.02}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.preflight import entry, options


def main() -> None:
    entry.run_registry_check(AnsibleModule(**options.registry_check()))


if __name__ == "__main__":
    main()
