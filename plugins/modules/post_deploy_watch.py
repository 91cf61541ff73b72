#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: post_deploy_watch
short_description: Watch the first hour after a deployment, sample by sample, and stop at the first breach
version_added: 0.2.0
description:
  - Every O(interval) seconds over O(window) seconds takes one sample of the error rate, the p95 latency, the 5xx
    answers and the firing alerts (Prometheus), the container restarts since the watch began and the pods pending
    longer than O(pending_grace) (Kubernetes), the highest CPU and memory use against the containers' limits
    (Prometheus container metrics) and the error lines per minute in the pods' logs (Kubernetes pod logs).
  - Stops at the first sample that crosses a threshold and names it (RV(breach)); the evidence of C(post.hour.1)
    (error rate, 5xx, alerts), C(post.hour.2) (p95), C(post.hour.3) (restarts, pending pods, CPU, memory) and
    C(post.hour.4) (log error lines) carries every series measured, so the report plots them.
  - No series passes on missing data. An empty error ratio while requests flow is 0 %; with no traffic it is no data.
    C(post.hour.3) is not passed on restarts and pending pods alone when neither CPU nor memory was measured.
  - Read-only; it changes nothing. The rollback on a breach is the role's (C(post_deploy_rollback_on_failure)).
options:
  namespace:
    description: Namespace of the platform's pods.
    type: str
    required: true
  pod_selector:
    description: Label selector of the platform's pods, e.g. C(app.kubernetes.io/instance=sme-platform).
    type: str
    required: true
  window:
    description: Seconds to watch (the checklist's first hour is 3600).
    type: float
    default: 3600.0
  interval:
    description: Seconds between samples; the first sample is taken at once, the last at the end of the window.
    type: float
    default: 60.0
  queries:
    description: PromQL of each sampled series; C({namespace}) is replaced by O(namespace).
    type: dict
    default: {}
    suboptions:
      error_rate:
        description: 5xx share of all requests.
        type: str
        default: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
      traffic:
        description: Requests per second, asked when the error ratio is empty (no 5xx series, or no traffic).
        type: str
        default: sum(rate(http_requests_total[5m]))
      latency_p95:
        description: p95 latency in seconds.
        type: str
        default: histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))
      errors_5xx:
        description: 5xx answers counted in the query's window.
        type: str
        default: sum(increase(http_requests_total{status=~"5.."}[5m]))
      alerts:
        description: Firing alerts; each distinct C(alertname) counts once.
        type: str
        default: ALERTS{alertstate="firing",severity=~"critical|warning"}
      cpu:
        description: CPU cores used, by C(pod) and C(container).
        type: str
        default: >-
          sum by (pod, container) (rate(container_cpu_usage_seconds_total{namespace="{namespace}",container!=""}[5m]))
      memory:
        description: Working-set bytes, by C(pod) and C(container).
        type: str
        default: sum by (pod, container) (container_memory_working_set_bytes{namespace="{namespace}",container!=""})
  error_rate_max:
    description: Every sample's error ratio must be below this (0.01 is 1 %).
  latency_p95_max:
    description: Every sample's p95 latency must be below this, in seconds.
  errors_5xx_max:
    description: Most 5xx answers a sample's O(queries.errors_5xx) may count.
    type: float
    default: 0.0
  restarts_max:
    description: Most container restarts since the watch began.
    type: int
    default: 0
  pending_max:
    description: Most pods pending longer than O(pending_grace) in a sample.
    type: int
    default: 0
  pending_grace:
    description: Seconds a pod may stay pending (scheduling, image pull) before it counts.
    type: float
    default: 120.0
  alerts_max:
    description: Most firing alerts in a sample.
    type: int
    default: 0
  usage_max:
    description: Highest CPU or memory use, as a share of the container's limit, in any sample.
    type: float
    default: 0.9
  no_data:
    description: What a sample without an error rate or p95 means; C(skip) judges the samples that have one.
    type: str
    choices: [fail, skip]
    default: fail
  resources_no_data:
    description:
      - What it means when Prometheus has no container CPU or memory for the pods (a cluster whose kubelets it does
        not scrape). C(skip) stops asking and records C(post.hour.3) as skipped with the reason.
    type: str
    choices: [fail, skip]
    default: fail
  logs:
    description: Error lines in the pods' logs (Kubernetes pod log API), per minute, against a budget.
    type: dict
    default: {}
    suboptions:
      enabled:
        description: Read the pods' logs.
        type: bool
        default: true
      pattern:
        description: Python regular expression of an error line.
        type: str
        default: (?i)\b(error|fatal|panic)\b
      max_per_minute:
        description: Most matching lines per minute in a sample, over all pods.
        type: float
        default: 10.0
      container:
        description: Only this container of each pod; every container when empty.
        type: str
        default: ""
      unavailable:
        description:
          - What it means when the cluster cannot serve pod logs. C(skip) records C(post.hour.4) as skipped with the
            API's answer.
        type: str
        choices: [fail, skip]
        default: fail
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.post_deploy
  - smeplatform.deploy.prometheus.endpoint
  - smeplatform.deploy.kubernetes
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.read_only_check
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Watch the first hour
  smeplatform.deploy.post_deploy_watch:
    prometheus_url: https://prometheus.smeplatform.com
    namespace: sme-platform
    pod_selector: app.kubernetes.io/instance=sme-platform
    window: 3600
    interval: 60
"""

RETURN = r"""
evidence:
  description: Entries for post.hour.1-4, one per series, each with its series under C(measured.series).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "post.hour.1", "status": "passed", "measured": {"series": [[1796180400.0, 0.0]], "samples": 1,
            "of": 1, "max": 0.0}, "threshold": "< 1 % in every sample", "detail": "error rate held over the window",
            "where": "http://127.0.0.1:15490", "duration": null}]
samples:
  description: Samples taken.
  returned: success
  type: int
  sample: 61
planned_samples:
  description: Samples the whole window takes.
  returned: success
  type: int
  sample: 61
breach:
  description: The first sample that crossed a threshold; null when none did.
  returned: success
  type: dict
  sample: {"sample": 7, "of": 61, "at": "2026-12-02T03:07:00Z", "metric": "error_rate", "value": 0.48,
           "threshold": "< 1 %", "detail": "sample 7 of 61 at 2026-12-02T03:07:00Z: error_rate 0.48 crossed ..."}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import entry, options


def main() -> None:
    entry.run_post_deploy_watch(AnsibleModule(**options.post_deploy_watch()))


if __name__ == "__main__":
    main()
