#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_check
short_description: Check the Kubernetes cluster the platform is deployed to
version_added: 0.1.0
description:
  - Proves, on one API session with the requests made concurrently, checklist items C(2.1.1) (the API answers and
    reports its version), C(2.1.2) (version at least O(min_version)), C(2.1.3) (at least O(min_nodes) Ready,
    schedulable nodes), C(2.1.4) (an HPA scales O(backend_deployment) with more maximum than minimum replicas, or a
    cluster autoscaler runs, shown by a C(cluster-autoscaler-status) ConfigMap or a cluster-autoscaler or
    Karpenter Deployment), C(2.1.5) (Ready nodes in at least O(min_zones) zones), C(2.2.3) (IngressClass
    O(ingress_class)
    exists and, with O(require_lb_address), a load balancer address is published on an Ingress of the namespace or
    a LoadBalancer Service), C(2.3.1) and C(2.3.2) (see O(volume_claims)).
  - Read-only. C(2.3.1) without O(volume_claims) sends a server-side dry run of a claim, which stores nothing.
options:
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  release:
    description:
      - Helm release whose own objects C(2.1.4) and C(2.2.3) look at.
      - While no revision of it is deployed (before the first install) those items are recorded as skipped, to be
        checked after the deploy. Empty checks them always.
    type: str
    default: ""
  backend_deployment:
    description: Deployment of the backend, for C(2.1.4).
    type: str
    required: true
  min_version:
    description: Lowest accepted Kubernetes version (major.minor).
    type: str
    default: "1.28"
  min_nodes:
    description: Ready, schedulable nodes required.
    type: int
    default: 3
  min_zones:
    description: Zones that must hold Ready nodes.
    type: int
    default: 2
  zone_label:
    description: Node label naming the zone.
    type: str
    default: topology.kubernetes.io/zone
  ingress_class:
    description: IngressClass the release's Ingress uses.
    type: str
    default: nginx
  require_lb_address:
    description: C(2.2.3) also needs a load balancer address (Ingress status or a LoadBalancer Service).
    type: bool
    default: true
  volume_size:
    description: Size persistent volumes must reach.
    type: str
    default: 30Gi
  volume_claims:
    description:
      - PersistentVolumeClaims of the namespace that must be Bound with at least O(volume_size).
      - When empty, C(2.3.1) asks the API server (server-side dry run) whether a claim of O(volume_size) on the
        storage class would be admitted (quotas, LimitRanges) and checks the class provisions dynamically.
    type: list
    elements: str
    default: []
  storage_class:
    description: StorageClass the platform uses; the default class when empty.
    type: str
    default: ""
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
  - smeplatform.deploy.read_only_check
requirements:
  - kubernetes
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check the cluster
  smeplatform.deploy.cluster_check:
    namespace: sme-platform
    backend_deployment: sme-platform-backend
    context: sme-prod-cluster
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "2.1.3", "status": "passed", "measured": {"ready_schedulable": 4, "total": 4},
            "threshold": ">= 3 Ready, schedulable nodes", "detail": "node-a1, node-a2, node-b1, node-c1",
            "where": "https://10.0.0.1:443", "duration": 0.03}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.cluster import entry, options


def main() -> None:
    entry.run_cluster_check(AnsibleModule(**options.cluster_check()))


if __name__ == "__main__":
    main()
