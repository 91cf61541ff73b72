# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster area's modules, each one call: what the module does with its validated parameters."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import checks as cluster
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.kubernetes import Kube
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import exit_checked


def run_cluster_check(module: Any) -> None:
    """cluster_check: run with the module's validated parameters and exit."""
    p = module.params

    def run() -> list:
        policy = cluster.ClusterPolicy.from_options(p)
        kube = Kube(p["kubeconfig"], p["context"], p["request_timeout"])
        return cluster.check_cluster(kube, policy)

    exit_checked(module, "cluster", run)
