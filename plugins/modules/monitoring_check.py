#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: monitoring_check
short_description: Check Prometheus, its alert rules and targets, Alertmanager's receivers and Grafana
version_added: 0.1.0
description:
  - Proves checklist items C(6.1.1) (Prometheus healthy and ready), C(6.1.2) (every active target of the backend's
    scrape job up), C(6.1.3) (every rule of the platform's rule file loaded and evaluating; validated with
    C(promtool check rules) when C(promtool) is on the controller), C(6.1.4) (TSDB retention at least
    O(min_retention)), C(6.2.4) (a receiver with email or Slack configuration that the route tree uses),
    C(6.4.2) (an active target probing or scraping O(health_url), its last probe successful), and with
    O(release_version) C(deploy.7.4) (recent samples of O(metric) and of the release's O(version_metric)),
    C(deploy.6) (Prometheus healthy and the release's metrics collected, and Grafana healthy when O(grafana_url) is
    set) and C(success.9) (Prometheus healthy, backend scraped, rules loaded, health probed, the release scraped and
    alerts sent to an Alertmanager).
  - The API requests run concurrently; an unreachable server fails the items that needed it, with the reason.
  - Read-only; it changes nothing.
options:
  prometheus_url:
    description: Base URL of Prometheus.
    type: str
    required: true
  alertmanager_url:
    description: Base URL of Alertmanager; C(6.2.4) fails when empty.
    type: str
    default: ""
  grafana_url:
    description: Base URL of Grafana; when set, C(deploy.6) also needs C(/api/health) to answer with database C(ok).
    type: str
    default: ""
  bearer_token:
    description: Bearer token sent to Prometheus, Alertmanager and Grafana when they sit behind authentication.
    type: str
  backend_job:
    description: Prometheus job name of the backend's scrape targets.
    type: str
    default: sme-platform-backend
  health_path:
    description: Path of the platform's health endpoint (kept for the role's default of O(health_url)).
    type: str
    default: /health
  health_url:
    description:
      - The platform's health URL (6.4.2). A target must probe (blackbox V(target) parameter) or scrape this URL,
        its host by name or by the address it resolves to, and its last probe (V(probe_success)) must have succeeded.
      - Empty fails 6.4.2.
    type: str
    default: ""
  release_version:
    description:
      - Version of the release now running. When set, deploy.7.4 needs fresh samples of O(metric) and of
        O(version_metric) with this V(version) label, and deploy.6 and success.9 judge that release.
      - Empty (before a release) leaves deploy.6, deploy.7.4 and success.9 unmeasured.
    type: str
    default: ""
  version_metric:
    description: The backend's series carrying its version as label V(version).
    type: str
    default: app_info
  metric:
    description: Counter the backend exposes for every request.
    type: str
    default: http_requests_total
  max_sample_age:
    description: Seconds above which the newest sample of O(metric) counts as stale.
    type: float
    default: 120
  min_retention:
    description: Shortest accepted TSDB retention, as a Prometheus duration.
    type: str
    default: 30d
  rules_file:
    description: The platform's Prometheus rule file on the controller; every group and rule in it must be loaded.
    type: path
    required: true
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.read_only_check
notes:
  - Runs where the task runs; the collection's hosts use C(ansible_connection=local), so O(rules_file) is read on
    the controller.
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check monitoring
  smeplatform.deploy.monitoring_check:
    prometheus_url: https://prometheus.smeplatform.com
    alertmanager_url: https://alertmanager.smeplatform.com
    rules_file: "{{ role_path }}/files/sme-platform-alerts.yml"
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "6.1.4", "status": "passed", "measured": "30d", "threshold": ">= 30d",
            "detail": "storage.tsdb.retention.time 30d", "where": "http://127.0.0.1:15490", "duration": 0.01}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import entry, options


def main() -> None:
    entry.run_monitoring_check(AnsibleModule(**options.monitoring_check()))


if __name__ == "__main__":
    main()
