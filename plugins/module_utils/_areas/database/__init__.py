# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL (checklist 4.1.x, 4.2.3, 4.2.4): version, replication, archiving, privileges, pooling."""
