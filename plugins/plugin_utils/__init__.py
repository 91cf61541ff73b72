# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-only code: the checklist catalogue, the report and the evidence journal (never shipped to a module)."""
