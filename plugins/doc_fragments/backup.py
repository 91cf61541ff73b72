# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the backup modules: the backup CronJob they read, and the options of the pods they start (the
CronJob's Job, the restore drill's pod)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  cronjob:
    description: Name of the backup CronJob.
    type: str
    default: sme-platform-db-backup
"""

    # A module gives O(secret_env) its own description (what the variables are for) and keeps the rest from here.
    POD = r"""
options:
  secret_env:
    description: Environment variables of the backup pod taken from Secret keys (references, never values).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Variable name, for example C(PGPASSWORD).
        type: str
        required: true
      secret_name:
        description: Name of the Secret.
        type: str
        required: true
      key:
        description: Key in the Secret.
        type: str
        required: true
"""
