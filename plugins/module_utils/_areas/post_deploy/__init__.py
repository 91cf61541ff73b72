# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After the deployment window (checklist post.*): the first hour's watch and the day, week and month reviews."""
