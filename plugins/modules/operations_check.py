#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: operations_check
short_description: Check Grafana, the offsite file backups and the platform's admin accounts
version_added: 0.2.0
description:
  - Proves checklist items C(6.2.1) (Grafana's C(/api/health) answers with database C(ok), and every dashboard of
    O(grafana_dashboards) exists with its required panels, panels inside rows included), C(6.2.2) (every data
    source of O(grafana_datasources) exists and passes Grafana's own health check, in which Grafana queries the
    source), C(6.2.3) (between one and O(grafana_max_admins) org admins, every team of O(grafana_teams) with at least
    one member, and an unauthenticated request for the dashboard list refused) and C(9.1.2) (the file backup bucket
    O(s3_bucket) lies in O(s3_region) and not in O(s3_primary_region), keeps versions, has an enabled lifecycle
    rule that expires, expires old versions or transitions, and holds an object under O(s3_prefix) written within
    O(s3_max_backup_age)).
  - When O(platform_url) is set, also C(7.3.2) (every admin account the platform lists at O(platform_admins_path)
    has C(mfaEnabled) true, read as the admin O(platform_admin_email) after a login at O(platform_login_path));
    skipped while the platform answers 502, 503 or 504 (no release serves it yet).
  - Grafana is read with a service account token through its HTTP API; the bucket through the S3 REST API with
    Signature Version 4, on AWS or any S3-compatible store.
  - An item whose tool is not configured (O(grafana_url) or O(s3_bucket) empty) fails and says which setting is
    missing. The requests run concurrently; an unreachable tool fails the items that needed it, with the reason.
  - Read-only; it changes nothing.
options:
  grafana_url:
    description: Base URL of Grafana; C(6.2.1)-C(6.2.3) fail when empty.
    type: str
    default: ""
  grafana_token:
    description:
      - Grafana service account token. Reading users, teams and data sources needs the org Admin role.
    type: str
    default: ""
  grafana_dashboards:
    description: The dashboards the platform needs.
    type: list
    elements: dict
    default: []
    suboptions:
      uid:
        description: The dashboard's uid.
        type: str
        required: true
      panels:
        description: Titles of panels the dashboard must have.
        type: list
        elements: str
        default: []
  grafana_datasources:
    description:
      - Names of the data sources that must exist and be healthy; empty means every configured one (at least one).
    type: list
    elements: str
    default: []
  grafana_teams:
    description: Teams that must exist with at least one member.
    type: list
    elements: str
    default: []
  grafana_max_admins:
    description: Most org admins accepted.
    type: int
    default: 3
  s3_endpoint:
    description: S3 endpoint URL; empty means AWS's regional endpoint C(https://s3.<s3_region>.amazonaws.com).
    type: str
    default: ""
  s3_bucket:
    description: The bucket that holds the file backups (copies of the uploads); C(9.1.2) fails when empty.
    type: str
    default: ""
  s3_region:
    description: The region the backup bucket must be in.
    type: str
    default: ""
  s3_primary_region:
    description: The region the platform runs in; the backup bucket must not be there.
    type: str
    default: ""
  s3_access_key_id:
    description: Access key id allowed C(s3:GetBucketLocation), C(s3:GetBucketVersioning),
      C(s3:GetLifecycleConfiguration) and C(s3:ListBucket) on the bucket.
    type: str
    default: ""
  s3_secret_access_key:
    description: Secret of O(s3_access_key_id); only signs the requests.
    type: str
    default: ""
  s3_prefix:
    description: Key prefix of the file backups in the bucket.
    type: str
    default: ""
  s3_max_backup_age:
    description: Oldest accepted age of the newest backup object, as a duration such as C(26h).
    type: str
    default: 26h
  platform_url:
    description: Base URL of the platform's API; C(7.3.2) is checked only when set.
    type: str
    default: ""
  platform_admin_email:
    description: Email of an admin account of the platform, used to read the admin list.
    type: str
    default: ""
  platform_admin_password:
    description: Password of O(platform_admin_email).
    type: str
    default: ""
  platform_login_path:
    description: Login path of the platform's API (JSON C(email), C(password); answers C(access_token)).
    type: str
    default: /api/auth/login
  platform_admins_path:
    description: Path listing the platform's admin accounts (C(items) with C(email), C(role), C(mfaEnabled)).
    type: str
    default: /api/admin/users
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
- name: Check Grafana and the offsite file backups
  smeplatform.deploy.operations_check:
    grafana_url: https://grafana.smeplatform.com
    grafana_token: "{{ vault_grafana_token }}"
    grafana_dashboards:
      - uid: sme-platform-overview
        panels: [Request rate, Error rate (5xx), Response time p95]
    grafana_datasources: [Prometheus]
    grafana_teams: [SRE]
    s3_bucket: sme-platform-uploads-backup
    s3_region: ap-southeast-1
    s3_primary_region: ap-south-1
    s3_access_key_id: "{{ vault_backup_check_key_id }}"
    s3_secret_access_key: "{{ vault_backup_check_secret }}"
    platform_url: https://api.smeplatform.com
    platform_admin_email: admin@smeplatform.com
    platform_admin_password: "{{ vault_admin_password }}"
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "9.1.2", "status": "failed",
            "measured": {"region": "ap-southeast-1", "versioning": "Suspended", "lifecycle_rules": [],
                         "objects": 12, "newest_age": "3h2m"},
            "threshold": "bucket in ap-southeast-1 (not ap-south-1), versioning Enabled, an enabled lifecycle rule,
              newest object younger than 1d2h",
            "detail": "versioning Suspended; no enabled lifecycle rule (expiration, noncurrent expiration or
              transition)",
            "where": "https://s3.ap-southeast-1.amazonaws.com/sme-platform-uploads-backup", "duration": 0.21}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import entry, options


def main() -> None:
    entry.run_operations_check(AnsibleModule(**options.operations_check()))


if __name__ == "__main__":
    main()
