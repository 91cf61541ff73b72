# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What each attribute of a module means; a module states only its support and, where needed, the details."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
  idempotent:
    description: Run twice with the same arguments outside check mode, the second run reports no change.
"""

    ACTION = r"""
attributes:
  action:
    description: Has a corresponding action plugin, so parts of its work run on the controller.
"""
