# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardening (checklist 7.1.x, 7.3.1): network policies, exposure, pod security, RBAC."""
