#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: post_deploy_check
short_description: Review the day, week or month after a deployment from what the live systems measured
version_added: 0.2.0
description:
  - Runs the named O(checks) over the O(period) that ends now, concurrently, each proving one checklist item.
  - C(performance) (C(post.week1.1)) and C(errors) (C(post.week1.2)) are Prometheus range queries of the p95 latency
    and the 5xx share over the period, held below their maximum at every point; a series covering less than
    O(min_coverage) of the period fails (the period is not measured). The series are in the evidence.
  - C(alerts) (C(post.day1.5)) lists the alerts that fired in the period, fails while one of O(alert_severities) is
    active and unsilenced in Alertmanager or an alerting rule does not evaluate, and fails when no rule is loaded.
  - C(database) (C(post.day1.4)) reads pg_stat_statements (mean time, p95 of the statements' mean times, statements
    slower than O(database.slow_ms)) and the index hit ratio; fails when pg_stat_statements is not loaded or empty.
  - C(autoscaling) (C(post.week1.5)) needs every HorizontalPodAutoscaler of O(namespace) able to scale and reading
    its metrics, and counts its rescales in the period.
  - C(restorable) (C(post.month1.1)) checks what a disaster-recovery drill restores from (WAL archived recently and
    not failing since, and streaming replicas).
  - C(certificates) (C(post.month1.3)) needs each served certificate to have O(certificate_min_days) left.
  - C(optimisation) (C(post.month1.4)) passes when no statement is slower than O(database.slow_ms) on average and
    no large table is read mostly by sequential scans; the evidence lists what to optimise.
  - Read-only; it changes nothing.
options:
  checks:
    description: The checks to run.
    type: list
    elements: str
    required: true
    choices: [performance, errors, alerts, database, autoscaling, restorable, certificates, optimisation]
  period:
    description: Seconds of the period reviewed, ending now (a day is 86400).
    type: float
    default: 86400.0
  points:
    description: Points of each range query over the period.
    type: int
    default: 120
  min_coverage:
    description: Share of the period's points a series must have for the period to count as measured.
    type: float
    default: 0.9
  queries:
    description: PromQL of the series.
    type: dict
    default: {}
    suboptions:
      error_rate:
        description: 5xx share of all requests.
        type: str
        default: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
      latency_p95:
        description: p95 latency in seconds.
        type: str
        default: histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))
      errors_5xx:
        description: 5xx answers counted in the query's window.
        type: str
        default: sum(increase(http_requests_total{status=~"5.."}[5m]))
      traffic:
        description: Requests per second; a point with traffic and no 5xx series is 0 %.
        type: str
        default: sum(rate(http_requests_total[5m]))
      alerts_history:
        description: Firing alerts by name over the period.
        type: str
        default: count by (alertname) (ALERTS{alertstate="firing"})
  error_rate_max:
    description: The 5xx share must stay below this at every point (0.01 is 1 %).
  latency_p95_max:
    description: The p95 latency must stay below this at every point, in seconds.
  alertmanager_url:
    description: Base URL of Alertmanager; the C(alerts) check fails when empty.
    type: str
    default: ""
  alert_severities:
    description: Severities of the active alerts that fail the C(alerts) check.
    type: list
    elements: str
    default: [critical, warning]
  namespace:
    description: Namespace of the platform's HorizontalPodAutoscalers (the C(autoscaling) check).
    type: str
    default: ""
  autoscaling_without_metrics:
    description:
      - What an HPA that cannot read its metrics (C(ScalingActive) false, reason C(FailedGet...)) means. C(skip)
        records C(post.week1.5) as skipped with the HPA's own message (a cluster without a metrics API).
    type: str
    choices: [fail, skip]
    default: fail
  database:
    description: The PostgreSQL primary, as a login with C(pg_monitor) (C(database), C(restorable), C(optimisation)).
    type: dict
    default: {}
    suboptions:
      host:
        description: Host name or address.
        type: str
        default: ""
      port:
        description: Port.
        type: int
        default: 5432
      dbname:
        description: The platform's database; pg_stat_statements must be created in it.
        type: str
        default: ""
      user:
        description: Login (read-only; C(pg_monitor) reads every statement and the archiver).
        type: str
        default: ""
      password:
        description: Its password.
        type: str
      sslmode:
        description: libpq sslmode.
        type: str
        choices: [disable, allow, prefer, require, verify-ca, verify-full]
        default: prefer
      sslrootcert:
        description: CA certificates that verify the server (verify-ca, verify-full).
        type: path
      connect_timeout:
        description: Seconds to connect.
        type: int
        default: 10
      mean_max_ms:
        description: Mean statement time (all calls) must be below this.
        type: float
        default: 100.0
      p95_max_ms:
        description: The 95th percentile of the statements' mean times must be below this.
        type: float
        default: 500.0
      slow_ms:
        description: A statement whose mean time exceeds this is slow.
        type: float
        default: 1000.0
      slow_max:
        description: Most slow statements allowed by the C(database) check.
        type: int
        default: 0
      index_hit_ratio_min:
        description: Lowest share of index blocks found in shared buffers.
        type: float
        default: 0.95
      max_archive_age:
        description: Seconds since the last archived WAL segment, at most (C(restorable)).
        type: float
        default: 86400.0
      min_replicas:
        description: Streaming replicas needed (C(restorable)).
        type: int
        default: 1
  certificates:
    description: Served names (C(host) or C(host:port)) whose certificates the C(certificates) check reads.
    type: list
    elements: str
    default: []
  certificate_min_days:
    description: Days each certificate must still be valid.
    type: float
    default: 30.0
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
- name: Review the first day
  smeplatform.deploy.post_deploy_check:
    prometheus_url: https://prometheus.smeplatform.com
    alertmanager_url: https://alertmanager.smeplatform.com
    checks: [database, alerts]
    period: 86400
    database:
      host: db.smeplatform.internal
      dbname: sme_platform
      user: sme_ops
      password: "{{ vault_db_check_password }}"
"""

RETURN = r"""
evidence:
  description: One entry per check (the certificates and autoscaling checks one per certificate or HPA).
  returned: always
  type: list
  elements: dict
  sample: [{"id": "post.week1.1", "status": "passed", "measured": {"series": [[1796180400.0, 0.05]], "coverage": 1.0,
            "max": 0.05}, "threshold": "< 200 ms at every point", "detail": "p95 latency: max 50 ms",
            "where": "http://127.0.0.1:15490", "duration": 0.2}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import entry, options


def main() -> None:
    entry.run_post_deploy_check(AnsibleModule(**options.post_deploy_check()))


if __name__ == "__main__":
    main()
