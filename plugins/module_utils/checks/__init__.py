# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pre-deployment checks: one module per role, each a batch of checks returning evidence entries.

``common`` runs a batch (concurrently where the checks are independent) and turns an unreachable server into
failed evidence for the items that needed it; the other modules hold the checks of one concern each.
"""
