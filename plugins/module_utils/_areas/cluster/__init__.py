# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster (checklist 2.1.x, 2.2.3, 2.3.x): version, nodes, autoscaling, load balancer, storage."""
