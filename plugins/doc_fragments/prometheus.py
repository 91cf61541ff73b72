# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus options: the smoke gate's PromQL probes (checklist post.hour.1, post.hour.2, success.3-5, deploy.7.2), and
with C(smeplatform.deploy.prometheus.endpoint) the server a module queries (its URL and bearer token)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  prometheus:
    description: The PromQL checks; skipped when O(prometheus.url) is empty.
    type: dict
    default: {}
    suboptions:
      url:
        description: Prometheus base URL.
        type: str
      bearer_token:
        description: Bearer token for Prometheus, when it needs one.
        type: str
      no_data:
        description:
          - What an empty answer (or NaN) to the error-rate or latency query means. An empty error ratio while
            O(prometheus.traffic_query) shows traffic is read as 0 % (no 5xx series exists yet).
        type: str
        choices: [fail, pass, skip]
        default: fail
      error_rate_query:
        description: 5xx share of all requests over 5 minutes.
        type: str
        default: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))
      traffic_query:
        description: Requests per second, asked when the error ratio is empty.
        type: str
        default: sum(rate(http_requests_total[5m]))
      error_rate_max:
        description: The error ratio must be below this (0.01 is 1 %).
        type: float
        default: 0.01
      latency_query:
        description: p95 latency in seconds over 5 minutes.
        type: str
        default: histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le))
      latency_max:
        description: The p95 latency must be below this, in seconds.
        type: float
        default: 0.2
      alerts_query:
        description: Firing critical alerts; an empty answer passes.
        type: str
        default: ALERTS{alertstate="firing",severity="critical"}
      first_sample_wait:
        description:
          - When set, the windows of every query are cut to the time since the checked Deployments last rolled
            out, so that errors of the release it replaced do not count, and the first metric check waits for
            Prometheus's first samples of the running release (O(prometheus.traffic_query) answers over the cut
            window), at most this many seconds after the rollout. Data that comes sooner ends the wait sooner.
          - V(0) keeps the queries' own windows.
        type: float
        default: 0
      errors_query:
        description: Number of 5xx answers in the last 10 minutes; an empty answer counts as 0.
        type: str
        default: sum(increase(http_requests_total{status=~"5.."}[10m]))
      errors_max:
        description: Most 5xx answers allowed in the last 10 minutes.
        type: float
        default: 0
"""

    # The Prometheus a module queries: post_deploy_check, post_deploy_watch, deploy_window.
    ENDPOINT = r"""
options:
  prometheus_url:
    description: Base URL of Prometheus.
    type: str
    required: true
  bearer_token:
    description: Bearer token sent to Prometheus when it sits behind authentication.
    type: str
"""
