# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Code gate (checklist 1, 8.1, 8.2.2-8.2.3, 10 and deployment step 1): the application's repository, CI and images."""
