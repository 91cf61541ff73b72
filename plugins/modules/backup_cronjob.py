#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_cronjob
short_description: Manage the daily database backup CronJob of the platform
version_added: 0.1.0
description:
  - Creates or updates a CronJob that runs O(command) in O(image) on O(schedule) (by default daily at 2 AM), with
    C(BACKUP_RETENTION_DAYS) in its environment and the retention in the annotation
    C(smeplatform.io/backup-retention-days), so that the checks of M(smeplatform.deploy.backup_check) can read it.
  - Only the fields it sets are compared; defaults the API server adds are left alone, and labels or annotations
    others set are kept. The pod follows the C(restricted) Pod Security Standard.
  - With O(run_now), also starts a Job from the CronJob at once (as C(kubectl create job --from=cronjob/NAME) does),
    to prove a backup runs without waiting for the schedule.
options:
  name:
    description: Name of the CronJob.
    type: str
    default: sme-platform-db-backup
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  schedule:
    description: Cron schedule.
    type: str
    default: "0 2 * * *"
  time_zone:
    description:
      - IANA time zone of the schedule (CronJob C(timeZone)); the controller manager's (usually UTC) when empty.
    type: str
    default: ""
  image:
    description: Image with C(pg_dump), for example C(postgres:15-alpine).
    type: str
    required: true
  command:
    description: Command the Job runs; it reads the connection from the environment and prunes old backups.
    type: list
    elements: str
    required: true
  env:
    description: Plain environment variables (connection settings, never passwords).
    type: dict
    default: {}
  secret_env:
    description: Environment variables taken from Secrets, for the password.
  retention_days:
    description: Days backups are kept.
    type: int
    default: 30
  volume_claim:
    description: PersistentVolumeClaim mounted at C(/backups); none when empty.
    type: str
    default: ""
  volume_claim_manage:
    description:
      - Create O(volume_claim) before the CronJob when it does not exist (C(ReadWriteOnce), O(volume_size),
        O(volume_storage_class)), labelled with the CronJob's name. A claim that exists is left as it is (a claim's
        spec is mostly immutable) and reported unchanged. Nothing is created when O(volume_claim) is empty.
    type: bool
    default: false
  volume_size:
    description: Storage requested by a claim O(volume_claim_manage) creates.
    type: str
    default: 30Gi
  volume_storage_class:
    description: StorageClass of a claim O(volume_claim_manage) creates; the cluster's default class when empty.
    type: str
    default: ""
  node_selector:
    description: Node selector of the backup pods.
    type: dict
    default: {}
  tolerations:
    description: Tolerations of the backup pods.
    type: list
    elements: dict
    default: []
  labels:
    description: Extra labels on the CronJob, its Jobs and pods.
    type: dict
    default: {}
  history_limit:
    description: Finished Jobs kept, successful and failed each.
    type: int
    default: 7
  run_now:
    description: Start a Job from the CronJob now.
    type: bool
    default: false
  run_when_stale:
    description:
      - Start a Job from the CronJob now when it has recorded no successful run within O(stale_after) seconds and
        none is running, and wait for it (O(wait_timeout)). Use it before a deploy so that a backup taken before
        the migrations exists; a second run finds a fresh backup and starts nothing.
    type: bool
    default: false
  stale_after:
    description: Age in seconds after which the last successful backup is stale for O(run_when_stale).
    type: float
    default: 93600
  wait_timeout:
    description: Seconds to wait for a Job started by O(run_when_stale) to succeed.
    type: float
    default: 900
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.backup.pod
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: The API server validates the change (and a claim to create) as a server-side dry run; nothing is
      stored, no Job starts.
  diff_mode:
    support: full
    details: Shows the managed fields before and after, and a claim it creates.
  idempotent:
    support: partial
    details: Idempotent unless O(run_now) is set, which starts a new Job every time; O(run_when_stale) starts one
      only while no fresh backup exists.
requirements:
  - kubernetes
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Back up the database daily at 2 AM
  smeplatform.deploy.backup_cronjob:
    namespace: sme-platform
    image: postgres:15-alpine
    command:
      - /bin/sh
      - -ec
      - pg_dump -Fc -f "/backups/$(date +%F).dump" && find /backups -mtime "+$BACKUP_RETENTION_DAYS" -delete
    env: {PGHOST: db.internal, PGDATABASE: sme_platform, PGUSER: sme_backup}
    secret_env: [{name: PGPASSWORD, secret_name: sme-platform-backup, key: password}]
    volume_claim: sme-platform-backups
    volume_claim_manage: true
    volume_size: 50Gi
"""

RETURN = r"""
action:
  description: What was (or in check mode would be) done to the CronJob.
  returned: always
  type: str
  sample: update
changed_fields:
  description: Managed fields that differed.
  returned: always
  type: list
  elements: str
  sample: ["spec.schedule"]
volume_claim_action:
  description: What was (or in check mode would be) done to O(volume_claim), C(create) or C(none).
  returned: when O(volume_claim_manage) and O(volume_claim)
  type: str
  sample: create
job:
  description: Name of the Job started by O(run_now).
  returned: when O(run_now)
  type: str
  sample: sme-platform-db-backup-manual-20260101020000
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.backup import entry, options


def main() -> None:
    entry.run_backup_cronjob(AnsibleModule(**options.backup_cronjob()))


if __name__ == "__main__":
    main()
