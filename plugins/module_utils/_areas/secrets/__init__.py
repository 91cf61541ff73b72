# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Production secrets (checklist 3.x, 7.3.3, post.month1.3): generate, keep, rotate, verify."""
