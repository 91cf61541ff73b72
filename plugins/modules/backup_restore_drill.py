#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_restore_drill
short_description: Restore the newest database dump into a scratch database and compare it with the source
version_added: 0.2.0
description:
  - Finds the newest dump of the backup CronJob O(cronjob) (made by M(smeplatform.deploy.backup_cronjob)), the one its
    newest successful Job reported in its container's termination message. It must be non-empty, readable by
    C(pg_restore --list), written during that Job's run and at most O(max_dump_age) seconds old.
  - Starts one pod from the CronJob's own pod template (same image, connection, backup volume mounted read-only,
    placement and security context) that creates a scratch database named O(scratch_prefix) and a UTC timestamp,
    restores the dump into it (C(pg_restore --no-owner --no-privileges), or C(psql) for a C(.sql) file), counts the
    rows of every table in the scratch and in the source database (C(PGDATABASE)), and drops the scratch database.
    The restore is timed from the kubelet's timestamps of the pod's log lines.
  - Proves C(10.1.3) (backup and restore tested) and C(9.1.4) (a backup test ran) when the restore exited 0, every
    table has the same number of rows in both databases and the scratch database was dropped; C(9.2.2) when, in
    addition, the restore took at most O(rto_hours). Counts are compared with the source at the time of the drill;
    rows written since the dump make a table differ, and the drill fails.
  - Nothing is left behind, also on failure; the pod is deleted, and when it did not confirm the scratch database
    dropped (killed, timed out, never started) a second pod drops it; when that cannot be confirmed either the task
    fails naming the database.
  - The user of the connection must be allowed to create databases; O(env) and O(secret_env) replace the backup
    Job's variables of the same name for the drill (e.g. C(PGUSER) and C(PGPASSWORD) of such a user).
  - In check mode nothing is started; the items are skipped with what the drill would do.
options:
  namespace:
    description: Namespace of the backup CronJob and of the drill's pods.
    type: str
    required: true
  rto_hours:
    description: Recovery time objective in hours (the checklist's is 4).
    type: float
    default: 4
  max_dump_age:
    description: Seconds the newest dump may be old.
    type: int
    default: 93600
  scratch_prefix:
    description: Prefix of the scratch database's name (lower-case letters, digits and C(_)).
    type: str
    default: restore_drill
  env:
    description: Plain environment variables of the drill pod over the backup Job's (no passwords).
    type: dict
    default: {}
  secret_env:
    description: Environment variables of the drill pod read from Secrets, over the backup Job's.
  timeout:
    description: Seconds the drill pod may run.
    type: float
    default: 1800
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.backup
  - smeplatform.deploy.backup.pod
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: Starts nothing; the items are skipped with what the drill would restore.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Reports no change; what it creates (a pod, a scratch database) is gone when it returns.
requirements:
  - kubernetes
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Restore drill of the newest backup
  smeplatform.deploy.backup_restore_drill:
    namespace: sme-platform
    cronjob: sme-platform-db-backup
    rto_hours: 4
    secret_env:
      - {name: PGUSER, secret_name: sme-platform-drill, key: user}
      - {name: PGPASSWORD, secret_name: sme-platform-drill, key: password}
"""

RETURN = r"""
evidence:
  description: One entry per checklist item (C(10.1.3), C(9.2.2), C(9.1.4)).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "9.2.2", "status": "passed", "measured": {"seconds": 1.2, "rto_seconds": 14400.0,
            "dump_bytes": 52311}, "threshold": "restore within the RTO of 4h", "detail": "restore took 1.2s",
            "where": "sme-platform/sme-platform-db-backup", "duration": null}]
drill:
  description: The dump, the scratch database, the drill pod and the restore's seconds.
  returned: always
  type: dict
  sample: {"dump": {"job": "sme-platform-db-backup-29123", "file": "/backups/sme_platform-20261202T020000Z.dump",
           "bytes": 52311}, "scratch_database": "restore_drill_20261202053000", "seconds": 1.2}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import entry, options


def main() -> None:
    entry.run_backup_restore_drill(AnsibleModule(**options.backup_restore_drill()))


if __name__ == "__main__":
    main()
