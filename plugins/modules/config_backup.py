#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: config_backup
short_description: Export the release's configuration to a dated folder before a deploy
version_added: 0.1.0
description:
  - Reads the deployed Helm release (its storage Secret, so no C(helm) binary is needed), the ConfigMaps of the
    namespace and the names and keys of its Secrets, and writes them to C(<dest>/<UTC time>-r<revision>/), namely
    C(release.yaml), C(values.yaml) (values under secret-looking keys replaced), C(manifest.yaml) (Secret objects
    with their key names only), C(configmaps.yaml) and C(secret-keys.yaml).
  - Secret values are never written; they are dropped as soon as they are read.
  - When the newest export holds exactly the same content, nothing is written (C(changed=false)).
  - Records evidence for checklist item C(9.1.3).
options:
  release:
    description: Name of the Helm release.
    type: str
    required: true
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  dest:
    description: Folder on the controller that holds the exports of this release (created with mode 0700).
    type: path
    required: true
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: Reads everything and reports whether an export would be written; writes nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
requirements:
  - kubernetes
notes:
  - Runs where the task runs; the collection's hosts use C(ansible_connection=local), so O(dest) is on the controller.
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Export the configuration before the deploy
  smeplatform.deploy.config_backup:
    release: sme-platform
    namespace: sme-platform
    dest: "{{ playbook_dir }}/../backups/config/sme-platform"
"""

RETURN = r"""
path:
  description: Folder of the export written, or of the identical newest export.
  returned: when an export exists or was written
  type: str
  sample: backups/config/sme-platform/20260101T015500Z-r7
files:
  description: File names of the export.
  returned: always
  type: list
  elements: str
  sample: [configmaps.yaml, manifest.yaml, release.yaml, secret-keys.yaml, values.yaml]
evidence:
  description: The evidence entry for 9.1.3.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "9.1.3", "status": "passed", "measured": {"files": 5, "revision": 7}, "threshold": "an export of the
            deployed configuration", "detail": "written", "where": "backups/config/sme-platform", "duration": null}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import entry, options


def main() -> None:
    entry.run_config_backup(AnsibleModule(**options.config_backup()))


if __name__ == "__main__":
    main()
