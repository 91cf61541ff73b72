# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import checks as cluster
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import Kube
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import parse_quantity, version_tuple


def run_cluster_check(module: Any) -> None:
    """cluster_check: run with the module's validated parameters and exit."""
    p = module.params

    def run() -> list:
        version_tuple(p["min_version"])
        parse_quantity(p["volume_size"])
        policy = cluster.ClusterPolicy(
            namespace=p["namespace"],
            backend_deployment=p["backend_deployment"],
            min_version=p["min_version"],
            min_nodes=p["min_nodes"],
            min_zones=p["min_zones"],
            zone_label=p["zone_label"],
            ingress_class=p["ingress_class"],
            require_lb_address=p["require_lb_address"],
            volume_size=p["volume_size"],
            volume_claims=tuple(p["volume_claims"]),
            storage_class=p["storage_class"],
            release=p["release"],
        )
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        return cluster.check_cluster(kube, policy)

    exit_checked(module, "cluster", run)
