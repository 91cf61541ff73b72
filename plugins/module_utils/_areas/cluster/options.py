# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the cluster area's modules: one function a module, returning its AnsibleModule arguments
(argument spec and all); every default of the area's modules is written here once."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import connection_args


def cluster_check() -> dict[str, Any]:
    """The AnsibleModule arguments of cluster_check."""
    return dict(
        argument_spec={
            "namespace": {"type": "str", "required": True},
            "release": {"type": "str", "default": ""},
            "backend_deployment": {"type": "str", "required": True},
            "min_version": {"type": "str", "default": "1.28"},
            "min_nodes": {"type": "int", "default": 3},
            "min_zones": {"type": "int", "default": 2},
            "zone_label": {"type": "str", "default": "topology.kubernetes.io/zone"},
            "ingress_class": {"type": "str", "default": "nginx"},
            "require_lb_address": {"type": "bool", "default": True},
            "volume_size": {"type": "str", "default": "30Gi"},
            "volume_claims": {"type": "list", "elements": "str", "default": []},
            "storage_class": {"type": "str", "default": ""},
            **connection_args(),
        },
        supports_check_mode=True,
    )
