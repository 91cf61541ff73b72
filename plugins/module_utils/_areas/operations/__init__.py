# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations (checklist 6.2.1-6.2.3, 9.1.2): Grafana's dashboards, data sources and access; offsite file backups."""
