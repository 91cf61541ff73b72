#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: smoke_check
short_description: Smoke-test a deployed SME Receivable Platform in one concurrent call
version_added: 0.1.0
description:
  - Runs the platform's smoke and go-live checks concurrently on a thread pool and returns one structured result
    with an evidence entry for every checklist item each check proves.
  - "Checks (names usable in O(checks) and O(skip_checks)): V(health) (API C(/health) answers 200), V(frontend)
    (the frontend serves HTML), V(login) (admin login returns a token), V(jwt_lifetime) (exp - iat of that token
    within policy), V(invoice) (a sample invoice is created, read back and removed), V(tls) (chain, name, days to
    expiry of every name in O(tls.names)), V(dns) (every name in O(dns.names) resolves to O(dns.addresses)),
    V(csp) and V(security_headers), V(cors) (allowed origin accepted, foreign origin refused), V(rate_limit) (429
    once the advertised limit is used up, bounded probe), V(pods) (Deployments fully available, restarts within a
    threshold), V(email) (a message through the SMTP relay), V(sms) (Twilio account), V(payment) (Razorpay key),
    V(error_rate), V(latency_p95), V(critical_alerts) and V(errors_10m) (PromQL against Prometheus)."
  - A failed check is retried with exponential backoff while the settling window O(settle) lasts; nothing runs
    past the overall budget O(budget). Checks whose answer cannot change (a refused password, an expired
    certificate, the rate-limit probe) are not retried.
  - The module never fails because a check failed; it returns RV(passed) and RV(failed_checks), so that the
    evidence is recorded before a playbook decides (the P(smeplatform.deploy.smoke#role) role fails the run then).
  - "Evidence ids after a deployment (O(purpose=deploy)): health C(deploy.5) C(deploy.7.3) C(success.2); frontend
    C(deploy.5) C(deploy.7.3); login C(deploy.5) C(deploy.7.8) C(success.7); jwt_lifetime C(7.2.5); invoice
    C(deploy.7.9) C(success.8); tls C(deploy.7.5) C(2.2.5); dns C(deploy.7.6) C(2.2.4); csp C(7.2.3);
    security_headers C(7.2.4); cors C(7.2.2); rate_limit C(7.2.1); pods C(deploy.5) C(deploy.7.1) C(success.1);
    email C(deploy.7.7) C(post.hour.5) C(success.6); sms and payment C(post.hour.5) C(success.6); error_rate
    C(post.hour.1) C(success.3); latency_p95 C(post.hour.2) C(success.4); critical_alerts C(success.5); errors_10m
    C(deploy.7.2). With O(purpose=rollback) every check records C(rollback.4)."
  - Integrations (V(email), V(sms), V(payment)) and the PromQL checks are skipped when not configured.
options:
  purpose:
    description:
      - Why the checks run. V(deploy) is the post-deployment gate; V(rollback) verifies a rollback (by default only
        V(pods), V(health), V(frontend) and V(login), each recorded as C(rollback.4)).
    type: str
    choices: [deploy, rollback]
    default: deploy
  checks:
    description: Checks to run; all of O(purpose) when empty.
    type: list
    elements: str
    choices: &checks [health, frontend, login, jwt_lifetime, invoice, tls, dns, csp, security_headers, cors, rate_limit,
                      pods, email, sms, payment, error_rate, latency_p95, critical_alerts, errors_10m]
    default: []
  skip_checks:
    description: Checks not to run.
    type: list
    elements: str
    choices: *checks
    default: []
  api_url:
    description: Base URL of the platform's API, for example C(https://api.smeplatform.com).
    type: str
    required: true
  frontend_url:
    description: URL of the frontend; also the default allowed CORS origin.
    type: str
  resolver:
    description:
      - DNS server (C(host:port)) used to resolve every host name the checks connect to and to run the V(dns)
        checks; the system resolver when empty.
    type: str
    default: ""
  resolve:
    description: Fixed addresses for host names (like C(curl --resolve)), used before O(resolver).
    type: dict
    default: {}
  headers:
    description:
      - Headers added to every request to the platform (not to Prometheus or third-party APIs), for example a
        marker the ingress logs.
    type: dict
    default: {}
  timeout:
    description: Seconds each network operation of a check may take (connect, TLS handshake, request, query).
    type: float
    default: 5.0
  settle:
    description: Seconds during which a failing check is retried (the settling window after a rollout).
    type: float
    default: 20.0
  backoff:
    description: Seconds before the first retry; doubled after each retry up to O(backoff_max).
    type: float
    default: 0.5
  backoff_max:
    description: Longest wait between two retries.
    type: float
    default: 4.0
  budget:
    description: Seconds after which every check still running is reported as failed.
    type: float
    default: 60.0
  workers:
    description: Checks run at the same time.
    type: int
    default: 16
  health:
    description: The V(health) check.
    type: dict
    default: {}
    suboptions:
      path:
        description: Path of the health endpoint on O(api_url).
        type: str
        default: /health
      expected_version:
        description: Version the health endpoint must report; not compared when empty.
        type: str
        default: ""
  login:
    description: The admin account used by V(login), V(jwt_lifetime) and V(invoice).
    type: dict
    default: {}
    suboptions:
      path:
        description: Login path; the body is C({"email", "password"}).
        type: str
        default: /api/auth/login
      email:
        description: Admin e-mail address.
        type: str
      password:
        description: Admin password.
        type: str
      token_field:
        description: Field of the login answer holding the token (C(token) is tried too).
        type: str
        default: access_token
      jwt_max_lifetime:
        description: Longest allowed token lifetime (exp - iat), in seconds.
        type: int
        default: 86400
  invoice:
    description: The V(invoice) check (skipped in check mode).
    type: dict
    default: {}
    suboptions:
      path:
        description: Collection path; the invoice is read and removed at C(<path>/<id>).
        type: str
        default: /api/invoices
      payload:
        description: Invoice to create; C(invoiceNumber) (unique per run) and placeholders are added when missing.
        type: dict
        default: {}
  tls:
    description: The V(tls) checks.
    type: dict
    default: {}
    suboptions:
      names:
        description:
          - Host names (C(name) or C(name:port)) whose certificates are checked; the port defaults to the port of
            O(api_url). The host names of O(api_url) and O(frontend_url) when empty.
        type: list
        elements: str
        default: []
      min_days:
        description: Fewest days to expiry a certificate may have.
        type: int
        default: 14
  dns:
    description: The V(dns) checks.
    type: dict
    default: {}
    suboptions:
      names:
        description: Names to resolve; the host names of O(api_url) and O(frontend_url) when empty.
        type: list
        elements: str
        default: []
      addresses:
        description: Addresses every answer must be one of; any answer passes when empty.
        type: list
        elements: str
        default: []
      record_type:
        description: Record type to ask for.
        type: str
        choices: [A, AAAA, CNAME]
        default: A
  security_headers:
    description: The V(csp) and V(security_headers) checks.
    type: dict
    default: {}
    suboptions:
      urls:
        description: Paths or URLs whose answers are inspected; the health path and the frontend when empty.
        type: list
        elements: str
        default: []
      hsts_min_max_age:
        description: Smallest Strict-Transport-Security max-age, in seconds (180 days by default).
        type: int
        default: 15552000
      referrer_policies:
        description: Accepted Referrer-Policy values.
        type: list
        elements: str
        default: [no-referrer, same-origin, strict-origin, strict-origin-when-cross-origin]
      frame_options:
        description: Accepted X-Frame-Options values.
        type: list
        elements: str
        default: [DENY, SAMEORIGIN]
      csp_required:
        description: Directives the Content-Security-Policy must have.
        type: list
        elements: str
        default: [default-src, object-src, frame-ancestors, base-uri]
      csp_forbidden:
        description: Sources C(script-src) (or C(default-src) without it) must not allow.
        type: list
        elements: str
        default: ["'unsafe-eval'", "'unsafe-inline'", "*", "http:", "data:"]
  cors:
    description: The V(cors) check (CORS preflight requests).
    type: dict
    default: {}
    suboptions:
      path:
        description: API path the preflight asks about.
        type: str
        default: /api/auth/login
      allowed_origin:
        description: Origin that must be accepted; O(frontend_url) when empty.
        type: str
        default: ""
      foreign_origin:
        description: Origin that must be refused.
        type: str
        default: https://foreign-origin.invalid
  rate_limit:
    description: The V(rate_limit) check.
    type: dict
    default: {}
    suboptions:
      path:
        description:
          - Dedicated API route to probe. The probe uses up this route's allowance for the controller's address
            for one window, so choose a route the deployment's other checks do not use.
        type: str
        default: /api/auth/me
      max_limit:
        description: Highest acceptable limit per window (C(X-RateLimit-Limit)); a higher one fails without probing.
        type: int
        default: 100
      max_requests:
        description: Most requests the probe sends; O(rate_limit.max_limit) + 1 when not set.
        type: int
      connections:
        description: Connections the probe spreads its requests over.
        type: int
        default: 4
  kubernetes:
    description: The V(pods) check.
    type: dict
    default: {}
    suboptions:
      namespace:
        description: Namespace of the release.
        type: str
        default: sme-platform
      deployments:
        description: Deployments that must be fully available; the check is skipped when empty.
        type: list
        elements: str
        default: []
      max_restarts:
        description: Most restarts any container of their pods may have.
        type: int
        default: 3
      expected_replicas:
        description:
          - Expected replica count by Deployment name; the Deployment's desired replicas must equal it.
          - Ready pods are always compared with each Deployment's desired replicas (never zero).
        type: dict
        default: {}
  twilio:
    description: The V(sms) check (fetches the Twilio account); skipped without credentials.
    type: dict
    default: {}
    suboptions:
      url:
        description: API base URL.
        type: str
        default: https://api.twilio.com
      account_sid:
        description: Account SID.
        type: str
      auth_token:
        description: Auth token.
        type: str
  razorpay:
    description: The V(payment) check (lists one payment); skipped without credentials.
    type: dict
    default: {}
    suboptions:
      url:
        description: API base URL.
        type: str
        default: https://api.razorpay.com
      key_id:
        description: Key id.
        type: str
      key_secret:
        description: Key secret.
        type: str
      require_live:
        description: Fail when the key is not a live key (C(rzp_live_)).
        type: bool
        default: true
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.smtp
  - smeplatform.deploy.prometheus
  - smeplatform.deploy.kubernetes
requirements:
  - dnspython
  - kubernetes (for the V(pods) check)
attributes:
  check_mode:
    support: full
    details: Runs every read-only check; the sample invoice is not written and no e-mail is sent (the relay
      still has to accept the credentials).
  diff_mode:
    support: none
  idempotent:
    support: full
    details: The sample invoice is removed again; the module reports no change.
notes:
  - The rate-limit probe sends up to O(rate_limit.max_limit) + 1 requests to O(rate_limit.path) from the controller.
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Post-deployment smoke gate
  smeplatform.deploy.smoke_check:
    api_url: https://api.smeplatform.com
    frontend_url: https://smeplatform.com
    login:
      email: admin@smeplatform.com
      password: "{{ vault_smeplatform_admin_password }}"
    tls:
      names: [smeplatform.com, www.smeplatform.com, api.smeplatform.com]
      min_days: 14
    dns:
      names: [smeplatform.com, api.smeplatform.com]
      addresses: [203.0.113.10]
    kubernetes:
      namespace: sme-platform
      deployments: [sme-platform-backend, sme-platform-frontend]
    prometheus:
      url: https://prometheus.smeplatform.com
  register: smoke

- name: Verify a rollback (pods, health, frontend, login)
  smeplatform.deploy.smoke_check:
    purpose: rollback
    api_url: https://api.smeplatform.com
    frontend_url: https://smeplatform.com
    login:
      email: admin@smeplatform.com
      password: "{{ vault_smeplatform_admin_password }}"
    kubernetes:
      deployments: [sme-platform-backend, sme-platform-frontend]
"""

RETURN = r"""
msg:
  description: The gate's decision in words; the smoke role shows it, and fails with it when the gate is on.
  returned: success
  type: str
  sample: "Smoke gate (deploy) failed: 1 check(s) failed: health. [health] answered 503."
passed:
  description: True when no check failed (skipped checks do not fail the gate).
  returned: success
  type: bool
  sample: false
failed_checks:
  description: Names of the failed checks.
  returned: success
  type: list
  elements: str
  sample: [health, login]
checks:
  description: One entry per check, in a fixed order.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "tls:api.smeplatform.com:443", "group": "tls", "status": "passed",
            "measured": {"days_left": 61.2, "not_after": "2026-03-01T00:00:00Z", "chain": "valid",
                         "hostname": "matches"},
            "threshold": "chain valid, name matches, >= 14 days to expiry", "detail": "...",
            "where": "api.smeplatform.com:443", "attempts": 1, "duration": 0.05}]
summary:
  description: Number of checks by status.
  returned: success
  type: dict
  sample: {"passed": 21, "failed": 0, "skipped": 1}
evidence:
  description: Evidence entries for the checklist items the checks prove.
  returned: success
  type: list
  elements: dict
  sample: [{"id": "deploy.7.3", "status": "passed", "measured": "200 ok version v1.0.0", "threshold": "200",
            "detail": "health: GET https://api.smeplatform.com/health answered 200 in 12 ms",
            "where": "https://api.smeplatform.com/health", "duration": 0.02}]
purpose:
  description: The purpose the checks ran for.
  returned: success
  type: str
  sample: deploy
run_id:
  description: Marker of this run, in the sample invoice number and the test e-mail's subject.
  returned: success
  type: str
  sample: 3f9c0a1b2c4d
duration:
  description: Seconds the whole suite took.
  returned: success
  type: float
  sample: 2.4
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.smoke import entry, options


def main() -> None:
    entry.run_smoke_check(AnsibleModule(**options.smoke_check()))


if __name__ == "__main__":
    main()
