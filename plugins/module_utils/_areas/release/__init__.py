# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release (checklist 4.2.2, 8.1.4, deploy.2-4, rollback.1-3): lock, migrations, helm, diagnostics."""
