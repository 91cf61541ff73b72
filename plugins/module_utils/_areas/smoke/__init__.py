# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke gate (checklist deploy.5, deploy.7.x, 7.2.x, post.hour.x, success.x, rollback.4)."""
