#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: operations_stack_check
short_description: Check error tracking, APM, the status page and the SendGrid account around the platform
version_added: 0.3.0
description:
  - Proves checklist items C(6.3.1) (the platform's live settings, the ConfigMap O(configmap) in O(namespace), name a
    Sentry DSN under O(sentry_dsn_key); the DSN belongs to project O(sentry_project) of O(sentry_organization) and its
    key is an active key of that project; an event sent through the DSN is accepted and read back through Sentry's
    API within O(sentry_event_timeout)), C(6.3.2) (the settings name the APM application under
    O(newrelic_app_name_key), and New Relic shows it reporting, its last report younger than O(apm_max_report_age)),
    C(6.4.1) (every component of the Statuspage page O(statuspage_page_id), or of O(statuspage_components), is
    C(operational)), C(5.3.2) (SendGrid has the sender domain O(sendgrid_domain) authenticated with every DNS record
    valid), C(5.3.4) (every dynamic template of O(sendgrid_templates) exists in SendGrid with an active version) and
    C(5.4.2) (the log shipper DaemonSet O(log_daemonset) in O(log_daemonset_namespace) is scheduled on every schedulable
    node with every pod ready, and the log sink's Count API finds lines of O(namespace) in O(logsink_index) younger
    than O(log_max_age)).
  - C(7.1.4) (service mesh) only when O(mesh_required), with Istio's CRDs installed, O(namespace) labelled for sidecar
    injection, every running pod of it with the C(istio-proxy) sidecar, and a PeerAuthentication with mTLS C(STRICT)
    in O(namespace) or O(mesh_root_namespace). Otherwise skipped, saying no mesh is required.
  - C(10.1.5) (the PagerDuty schedule O(pagerduty_schedule_id) rotates among at least O(oncall_min_rotation) people
    and someone is on call in it now) and C(10.1.4) (every person of the rotation has a phone or SMS contact method).
  - C(6.3.1) and C(6.3.2) are skipped while the ConfigMap does not exist (no release yet); checked after the deploy.
  - An item whose tool is not configured (no URL or no credential) fails and names the missing setting. The requests
    run concurrently; an unreachable tool fails the items that needed it, with the reason.
  - The only write is the Sentry test event of C(6.3.1), an info-level event tagged C(source=smeplatform.deploy); in
    check mode it is not sent and C(6.3.1) is skipped once the reads have passed.
options:
  namespace:
    description: Namespace of the platform's release.
    type: str
    default: sme-platform
  configmap:
    description: The platform's ConfigMap (its settings as the pods read them).
    type: str
    default: sme-platform-config
  sentry_url:
    description: Base URL of Sentry's Web API.
    type: str
    default: https://sentry.io
  sentry_token:
    description: Sentry organization auth token (scopes C(project:read), C(event:read)); C(6.3.1) fails when empty.
    type: str
    default: ""
  sentry_organization:
    description: Slug of the Sentry organization.
    type: str
    default: ""
  sentry_project:
    description: Slug of the platform's Sentry project.
    type: str
    default: ""
  sentry_dsn_key:
    description: Key of the platform's settings that holds the DSN.
    type: str
    default: SENTRY_DSN
  sentry_environment:
    description: Environment the test event is tagged with.
    type: str
    default: production
  sentry_event_timeout:
    description: Seconds to wait for Sentry to show the test event.
    type: float
    default: 60.0
  newrelic_url:
    description: Base URL of New Relic's REST API (C(https://api.eu.newrelic.com) for EU accounts).
    type: str
    default: https://api.newrelic.com
  newrelic_api_key:
    description: New Relic user key (C(NRAK-...)); C(6.3.2) fails when empty.
    type: str
    default: ""
  newrelic_app_name_key:
    description: Key of the platform's settings that holds the agent's application name.
    type: str
    default: NEW_RELIC_APP_NAME
  apm_max_report_age:
    description: Oldest accepted age of the application's last report, as a duration such as C(10m).
    type: str
    default: 10m
  statuspage_url:
    description: Base URL of Statuspage's REST API.
    type: str
    default: https://api.statuspage.io
  statuspage_api_key:
    description: Statuspage API key; C(6.4.1) fails when empty.
    type: str
    default: ""
  statuspage_page_id:
    description: Id of the platform's status page.
    type: str
    default: ""
  statuspage_components:
    description: Names of the components that must be operational; empty means every component of the page.
    type: list
    elements: str
    default: []
  sendgrid_url:
    description: Base URL of SendGrid's Web API.
    type: str
    default: https://api.sendgrid.com
  sendgrid_api_key:
    description: SendGrid API key with the C(whitelabel.read) and C(templates.read) scopes; C(5.3.2), C(5.3.4) fail
      when empty.
    type: str
    default: ""
  sendgrid_domain:
    description: The platform's sender domain.
    type: str
    default: ""
  sendgrid_templates:
    description: Names of the dynamic templates the platform sends with.
    type: list
    elements: str
    default: []
  log_daemonset_namespace:
    description: Namespace of the log shipper's DaemonSet.
    type: str
    default: logging
  log_daemonset:
    description: Name of the log shipper's DaemonSet (Fluent Bit, Filebeat, the Datadog agent ...).
    type: str
    default: fluent-bit
  logsink_url:
    description: Base URL of the log sink's Elasticsearch-compatible API; C(5.4.2) fails when empty.
    type: str
    default: ""
  logsink_api_key:
    description: Encoded API key of the log sink, allowed to read O(logsink_index).
    type: str
    default: ""
  logsink_index:
    description: Index pattern holding the cluster's logs.
    type: str
    default: logs-*
  log_namespace_field:
    description: Field the shipper writes the pod's namespace into.
    type: str
    default: kubernetes.namespace_name
  log_max_age:
    description: Newest line of the platform the sink must hold is at most this old, as a duration such as C(15m).
    type: str
    default: 15m
  mesh_required:
    description: Whether the environment requires a service mesh (Istio); C(7.1.4) is skipped when false.
    type: bool
    default: false
  mesh_root_namespace:
    description: Istio's root namespace, where a mesh-wide PeerAuthentication lives.
    type: str
    default: istio-system
  pagerduty_url:
    description: Base URL of PagerDuty's REST API.
    type: str
    default: https://api.pagerduty.com
  pagerduty_api_key:
    description: PagerDuty REST API key (read-only suffices); C(10.1.4), C(10.1.5) fail when empty.
    type: str
    default: ""
  pagerduty_schedule_id:
    description: Id of the platform's on-call schedule.
    type: str
    default: ""
  oncall_min_rotation:
    description: Fewest people the rotation must have.
    type: int
    default: 2
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.kubernetes
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
attributes:
  check_mode:
    support: full
    details: In check mode no Sentry test event is sent; everything else is read the same way.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Never reports a change; each real run sends one Sentry test event.
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check error tracking, APM, the status page and SendGrid
  smeplatform.deploy.operations_stack_check:
    namespace: sme-platform
    configmap: sme-platform-config
    sentry_token: "{{ vault_sentry_token }}"
    sentry_organization: sme-platform
    sentry_project: sme-platform-backend
    newrelic_api_key: "{{ vault_newrelic_user_key }}"
    statuspage_api_key: "{{ vault_statuspage_api_key }}"
    statuspage_page_id: kctbh9vrtdwd
    sendgrid_api_key: "{{ vault_sendgrid_api_key }}"
    sendgrid_domain: smeplatform.com
    sendgrid_templates: [welcome, password-reset, invoice-created]
"""

RETURN = r"""
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "6.4.1", "status": "failed",
            "measured": {"API": "operational", "Payments": "degraded_performance"},
            "threshold": "every component of the status page operational",
            "detail": "component Payments is degraded_performance",
            "where": "https://api.statuspage.io/v1/pages/kctbh9vrtdwd", "duration": 0.18}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import entry, options


def main() -> None:
    entry.run_operations_stack_check(AnsibleModule(**options.operations_stack_check()))


if __name__ == "__main__":
    main()
