# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backups (checklist 4.1.3, 4.1.5, 9.x): the backup CronJob, the configuration export and the RPO."""
