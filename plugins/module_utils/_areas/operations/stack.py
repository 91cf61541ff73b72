# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operations stack around the platform, each item from what its vendor's API and the cluster answer now:

- 6.3.1 error tracking: the platform's live configuration (its ConfigMap) names a Sentry DSN, the DSN's project exists
  in the organization and the DSN's key is one of its active keys, and an event sent through that DSN is accepted and
  then read back through Sentry's API (in check mode no event is sent: the item is skipped after the reads);
- 6.3.2 APM: the live configuration names the New Relic application (the agent's app name), and New Relic shows that
  application reporting, its last report younger than ``apm_max_report_age``;
- 6.4.1 status page: every component of the page (or every one named) is ``operational``;
- 5.3.2 sender domain: SendGrid has the platform's sender domain authenticated and every DNS record of it valid;
- 5.3.4 email templates: every dynamic template the platform sends with exists in SendGrid with an active version;
- 5.4.2 log aggregation: the shipper DaemonSet is scheduled on every schedulable node with every pod ready, and the
  log sink (Elasticsearch's Count API) holds lines of the platform's namespace younger than ``log_max_age``;
- 7.1.4 service mesh, when the environment requires one: Istio's CRDs installed, the namespace labelled for sidecar
  injection, every pod of it with the istio-proxy sidecar, and STRICT mutual TLS; otherwise skipped with the reason;
- 10.1.5 on-call rotation: the PagerDuty schedule exists, rotates among at least ``oncall_min_rotation`` people, and
  someone is on call in it now; 10.1.4 emergency contacts: every person of the rotation has a phone or SMS contact
  method PagerDuty can page (the code gate's entries of the runbook documents stand beside these).

Items about the platform's configuration are skipped while no release has written its ConfigMap (before the first
deploy); a tool that is not configured fails its items, naming the setting that is missing.

This module holds the batch and 6.4.1; each other vendor has its own: ``tracking`` (Sentry, New Relic), ``mail``
(SendGrid), ``logs`` (the shipper and the log sink), ``mesh`` (Istio), ``oncall`` (PagerDuty), all on
``stack_inputs`` (the settings, the live configuration, the cluster).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.logs import LOGS_ID, logs_entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.mail import (
    SENDER_DOMAIN_ID,
    TEMPLATES_ID,
    sender_domain_entry,
    templates_entry,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.mesh import MESH_ID, mesh_entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.oncall import (
    CONTACTS_ID,
    ONCALL_ID,
    oncall_entries,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.stack_inputs import (
    StackSettings,
    read_config,
    unset,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.tracking import (
    APM_ID,
    SENTRY_ID,
    apm_entry,
    sentry_entry,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.elasticsearch import LogIndex
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.newrelic import NewRelic
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.pagerduty import PagerDuty
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.providers import SendGridAccount
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.sentry import Sentry
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.statuspage import Statuspage
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import passed_unless
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks

STATUS_PAGE_ID = "6.4.1"
OPERATIONAL = "operational"


# --- 6.4.1 status page -----------------------------------------------------------------------------------------


def status_page_entry(page: Statuspage, s: StackSettings) -> dict[str, Any]:
    components = {str(c.get("name")): str(c.get("status")) for c in page.components()}
    wanted = s.statuspage_components or sorted(components)
    problems = [] if wanted else ["the page has no component"]
    for name in wanted:
        status = components.get(name)
        if status is None:
            problems.append(f"component {name} missing")
        elif status != OPERATIONAL:
            problems.append(f"component {name} is {status}")
    return passed_unless(
        STATUS_PAGE_ID,
        problems,
        f"{len(wanted)} component(s) operational",
        measured={name: components.get(name, "missing") for name in wanted} or "none",
        threshold="every component of the status page operational",
        where=page.where,
    )


# --- the batch -------------------------------------------------------------------------------------------------


def check_stack(s: StackSettings, session: Callable[[], HttpSession], cluster: Any, check_mode: bool) -> Entries:
    checks: list[Check] = []
    found: Entries = []
    config = read_config(cluster, s)
    if s.sentry_url and s.sentry_token:
        sentry = Sentry(s.sentry_url, s.sentry_token, s.sentry_organization, session)
        checks.append(Check((SENTRY_ID,), lambda: [sentry_entry(sentry, s, config, session, check_mode)], s.sentry_url))
    else:
        found.append(unset(SENTRY_ID, "Sentry", "operations_sentry_url, operations_sentry_token"))
    if s.newrelic_url and s.newrelic_api_key:
        newrelic = NewRelic(s.newrelic_url, s.newrelic_api_key, session)
        checks.append(Check((APM_ID,), lambda: [apm_entry(newrelic, s, config)], s.newrelic_url))
    else:
        found.append(unset(APM_ID, "New Relic APM", "operations_newrelic_url, operations_newrelic_api_key"))
    if s.statuspage_url and s.statuspage_api_key and s.statuspage_page_id:
        page = Statuspage(s.statuspage_url, s.statuspage_api_key, s.statuspage_page_id, session)
        checks.append(Check((STATUS_PAGE_ID,), lambda: [status_page_entry(page, s)], page.where))
    else:
        found.append(
            unset(
                STATUS_PAGE_ID,
                "the status page",
                "operations_statuspage_url, operations_statuspage_api_key, operations_statuspage_page_id",
            )
        )
    if s.sendgrid_url and s.sendgrid_api_key:
        account = SendGridAccount(s.sendgrid_url, s.sendgrid_api_key, session)
        checks += [
            Check((SENDER_DOMAIN_ID,), lambda: [sender_domain_entry(account, s)], account.url),
            Check((TEMPLATES_ID,), lambda: [templates_entry(account, s)], account.url),
        ]
    else:
        found += [
            unset(i, "SendGrid", "operations_sendgrid_url, operations_sendgrid_api_key")
            for i in (SENDER_DOMAIN_ID, TEMPLATES_ID)
        ]
    if s.logsink_url and s.logsink_api_key:
        index = LogIndex(s.logsink_url, s.logsink_api_key, s.logsink_index, session)
        checks.append(Check((LOGS_ID,), lambda: [logs_entry(cluster, index, s)], index.where))
    else:
        found.append(unset(LOGS_ID, "the log sink", "operations_logsink_url, operations_logsink_api_key"))
    checks.append(Check((MESH_ID,), lambda: [mesh_entry(cluster, s)], "the cluster"))
    if s.pagerduty_url and s.pagerduty_api_key and s.pagerduty_schedule_id:
        pagerduty = PagerDuty(s.pagerduty_url, s.pagerduty_api_key, session)
        checks.append(Check((ONCALL_ID, CONTACTS_ID), lambda: oncall_entries(pagerduty, s), pagerduty.url))
    else:
        found += [
            unset(
                i,
                "PagerDuty on-call",
                "operations_pagerduty_url, operations_pagerduty_api_key, operations_pagerduty_schedule_id",
            )
            for i in (ONCALL_ID, CONTACTS_ID)
        ]
    return (run_checks(checks) if checks else []) + found
