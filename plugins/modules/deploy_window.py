#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_window
short_description: Decide whether a deployment may start now (the deployment window)
version_added: 0.2.0
description:
  - Proves C(deploy.window), the checklist's recommended window (weekend, low-traffic hours) - the current time in
    O(timezone) lies inside one of O(windows) and the platform's current traffic (O(traffic_query) on Prometheus, in
    requests per second) is at most O(max_traffic).
  - Returns RV(open) - true when both hold, or when O(override) names a reason to deploy anyway (the item is then
    C(skipped) with the reason and what failed, which the report shows). The module itself does not fail when the
    window is closed; the role stops the run on RV(open) false.
  - Traffic that cannot be measured (Prometheus unreachable, no data) closes the window, never opens it.
  - Read-only; it changes nothing.
options:
  windows:
    description: When deployments may start. A span whose O(windows[].end) is before its O(windows[].start) runs past
      midnight into the next day.
    type: list
    elements: dict
    required: true
    suboptions:
      days:
        description: Days of the week the span starts on (C(mon) ... C(sun)).
        type: list
        elements: str
        required: true
      start:
        description: Start, C(HH:MM) in O(timezone).
        type: str
        required: true
      end:
        description: End (excluded), C(HH:MM) in O(timezone); C(24:00) is the end of the day.
        type: str
        required: true
  timezone:
    description: IANA time zone of O(windows), such as C(Asia/Kolkata).
    type: str
    default: UTC
  traffic_query:
    description: PromQL giving the platform's current requests per second as one number.
    type: str
    default: sum(rate(http_requests_total[5m]))
  max_traffic:
    description: Most requests per second at which a deployment may start.
    type: float
    default: 5.0
  override:
    description: A reason to deploy outside the window or above the traffic threshold; recorded in the evidence.
    type: str
    default: ""
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.prometheus.endpoint
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.read_only_check
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Decide whether the deployment may start
  smeplatform.deploy.deploy_window:
    windows:
      - {days: [sat, sun], start: "00:00", end: "24:00"}
      - {days: [mon, tue, wed, thu, fri], start: "01:00", end: "05:00"}
    timezone: Asia/Kolkata
    prometheus_url: https://prometheus.smeplatform.com
    max_traffic: 5
  register: window

- name: Stop outside the window
  ansible.builtin.fail:
    msg: "{{ window.msg }}"
  when: not window.open
"""

RETURN = r"""
open:
  description: Whether the deployment may start (inside a window and traffic low, or overridden).
  returned: success
  type: bool
  sample: false
evidence:
  description: The entry of C(deploy.window).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "deploy.window", "status": "failed",
            "measured": {"now": "tue 2026-12-01 14:02 Asia/Kolkata", "window": null, "traffic": 12.4},
            "threshold": "inside a window and traffic <= 5 req/s",
            "detail": "tue 2026-12-01 14:02 Asia/Kolkata is outside every window (sat,sun 00:00-24:00); traffic 12.4
              req/s is above 5 req/s (set deploy_window_override to a reason to deploy anyway)",
            "where": "https://prometheus.smeplatform.com", "duration": null}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import entry, options


def main() -> None:
    entry.run_deploy_window(AnsibleModule(**options.deploy_window()))


if __name__ == "__main__":
    main()
