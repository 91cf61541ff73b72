# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the Kubernetes connection options every module takes from module_utils/k8s.py."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path of the kubeconfig file. Defaults to E(K8S_AUTH_KUBECONFIG), then E(KUBECONFIG), then C(~/.kube/config),
        then the in-cluster service account.
    type: path
  context:
    description: Context of the kubeconfig to use; its current context when not set.
    type: str
  request_timeout:
    description: Seconds to wait for one Kubernetes API request.
    type: float
    default: 20.0
"""
