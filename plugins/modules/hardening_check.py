#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hardening_check
short_description: Check network policies, exposure, Pod Security Admission and RBAC of the platform's namespace
version_added: 0.1.0
description:
  - Proves, on one API session with the requests made concurrently, checklist items C(7.1.1) (NetworkPolicies in
    the namespace, one of them selecting every pod and allowing no ingress), C(7.1.2) (every Ingress host is
    covered by TLS, so the ingress serves 80 for redirects and 443; no NodePort Service, no LoadBalancer Service on
    ports outside O(allowed_ports)), C(7.1.3) (the namespace's C(pod-security.kubernetes.io/enforce) label is
    O(psa_level) or stricter) and C(7.3.1) (the application's ServiceAccount exists and SubjectAccessReviews deny it
    every request in O(denied), by default listing Secrets cluster-wide, reading Secrets of the namespace, any verb
    on any resource (cluster-admin), exec into pods and creating RoleBindings).
  - Read-only; SubjectAccessReviews are answered by the authorizer and stored nowhere.
options:
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  release:
    description:
      - Helm release whose own objects C(7.1.1), C(7.1.2) and C(7.3.1) look at.
      - While no revision of it is deployed (before the first install) those items are recorded as skipped, to be
        checked after the deploy. Empty checks them always.
    type: str
    default: ""
  service_account:
    description: ServiceAccount the platform's pods run as.
    type: str
    required: true
  allowed_ports:
    description: Ports a LoadBalancer Service may expose.
    type: list
    elements: int
    default: [80, 443]
  psa_level:
    description: Weakest accepted Pod Security Admission enforce level.
    type: str
    default: restricted
    choices: [baseline, restricted]
  denied:
    description: Requests the ServiceAccount must not be allowed; the built-in list when empty.
    type: list
    elements: dict
    default: []
    suboptions:
      verb:
        description: API verb, or C(*).
        type: str
        required: true
      resource:
        description: Resource (with subresource, like C(pods/exec)), or C(*).
        type: str
        required: true
      group:
        description: API group; empty for the core group, C(*) for any.
        type: str
        default: ""
      namespace:
        description: Namespace of the request; empty for cluster-wide.
        type: str
        default: ""
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
  - smeplatform.deploy.read_only_check
requirements:
  - kubernetes
notes:
  - The caller needs C(create) on C(subjectaccessreviews.authorization.k8s.io).
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check the namespace's hardening
  smeplatform.deploy.hardening_check:
    namespace: sme-platform
    service_account: sme-platform
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "7.1.3", "status": "failed", "measured": null,
            "threshold": "pod-security.kubernetes.io/enforce=restricted or stricter",
            "detail": "no Pod Security Admission enforce label", "where": "https://10.0.0.1:443 namespace sme-platform",
            "duration": 0.01}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.hardening import entry, options


def main() -> None:
    entry.run_hardening_check(AnsibleModule(**options.hardening_check()))


if __name__ == "__main__":
    main()
