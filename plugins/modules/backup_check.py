#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_check
short_description: Check the database backups and the configuration exports of the platform
version_added: 0.1.0
description:
  - From the backup CronJob O(cronjob) and its Jobs, proves checklist items C(4.1.3) (a daily schedule, not
    suspended), C(9.1.1) (the schedule is O(schedule), daily at 2 AM by default), C(4.1.5) (the retention annotation
    C(smeplatform.io/backup-retention-days) and the job's C(BACKUP_RETENTION_DAYS) agree and reach
    O(retention_days)), C(post.week1.4) (the latest finished backup Job succeeded) and C(success.10) (the CronJob's
    C(lastSuccessfulTime) is at most O(max_success_age) seconds old).
  - Proves C(9.2.3) when the newest recovery point, the last WAL segment PostgreSQL archived
    (C(pg_stat_archiver), when O(db_host) is set) or the last successful backup Job, is younger than O(rpo_hours).
  - Proves C(9.1.3) when the newest export under O(config_dest) (written by M(smeplatform.deploy.config_backup))
    is of the release revision deployed now.
  - Read-only; it changes nothing.
options:
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  schedule:
    description: Required schedule.
    type: str
    default: "0 2 * * *"
  retention_days:
    description: Shortest accepted retention in days.
    type: int
    default: 30
  max_success_age:
    description: Seconds since the last successful backup above which backups do not count as running.
    type: int
    default: 93600
  rpo_hours:
    description: Recovery point objective in hours.
    type: float
    default: 24
  release:
    description: Helm release whose configuration exports are checked.
    type: str
    required: true
  config_dest:
    description: Folder of the release's configuration exports on the controller.
    type: path
    required: true
  db_host:
    description: PostgreSQL primary, to read the age of the last archived WAL segment; not read when empty.
    type: str
    default: ""
  db_port:
    description: Port of the primary.
    type: int
    default: 5432
  db_name:
    description: Database to connect to.
    type: str
    default: postgres
  db_user:
    description: Check user (a member of C(pg_monitor)).
    type: str
  db_password:
    description: Password of O(db_user).
    type: str
  db_sslmode:
    description: libpq C(sslmode).
    type: str
    default: prefer
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.backup
  - smeplatform.deploy.kubernetes
  - smeplatform.deploy.read_only_check
requirements:
  - kubernetes
  - psycopg >= 3.1 (with O(db_host))
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check backups
  smeplatform.deploy.backup_check:
    namespace: sme-platform
    release: sme-platform
    config_dest: "{{ playbook_dir }}/../backups/config/sme-platform"
    db_host: db.internal
    db_user: sme_ops
    db_password: "{{ vault_pg_ops_password }}"
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "9.1.1", "status": "passed", "measured": "0 2 * * *", "threshold": "0 2 * * *",
            "detail": "schedule '0 2 * * *' time zone Etc/UTC", "where": "sme-platform/sme-platform-db-backup",
            "duration": 0.02}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import entry, options


def main() -> None:
    entry.run_backup_check(AnsibleModule(**options.backup_check()))


if __name__ == "__main__":
    main()
