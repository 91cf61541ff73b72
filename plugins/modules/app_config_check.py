#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: app_config_check
short_description: Check the platform's application settings, its SMTP relay and the sender domain's SPF and DKIM
version_added: 0.1.0
description:
  - Reads the application's environment settings from the live ConfigMap O(configmap) when it exists, otherwise from
    O(planned) (the values the release is about to deploy), and proves checklist items C(5.1.1) (C(NODE_ENV)),
    C(5.1.2) (C(CORS_ORIGIN) is the production frontend URL), C(5.1.3) (C(ALLOWED_ORIGINS) non-empty, all
    C(https://) within O(domain)), C(5.1.4) (C(RATE_LIMIT_MAX) per C(RATE_LIMIT_WINDOW_MS) within policy),
    C(5.1.5) (C(DEBUG) explicitly false), C(5.2.1)-C(5.2.3) (feature flags explicitly C(true) or C(false), and equal
    to O(feature_flags) where given) and C(5.4.1) (C(LOG_LEVEL)).
  - Proves C(5.3.1) by opening a session to the SMTP relay, upgrading it with STARTTLS (certificate verified) and
    logging in with the configured credentials; no mail is sent.
  - Proves C(5.3.3) by resolving the sender domain's SPF record and a DKIM key for every selector through
    O(dns_resolver).
  - Read-only; it changes nothing.
options:
  namespace:
    description: Namespace of the release.
    type: str
    required: true
  configmap:
    description: Name of the ConfigMap holding the application's environment settings.
    type: str
    default: sme-platform-config
  source:
    description:
      - Where the settings come from. C(auto) reads the live ConfigMap and falls back to O(planned) when it does not
        exist; C(live) and C(planned) use one source only.
    type: str
    default: auto
    choices: [auto, live, planned]
  planned:
    description: The settings the release will deploy (the ConfigMap's C(data) rendered from the chart values).
    type: dict
  frontend_url:
    description: The production frontend URL C(CORS_ORIGIN) must equal.
    type: str
    required: true
  domain:
    description: Domain every allowed origin must be in.
    type: str
    required: true
  node_env:
    description: Required C(NODE_ENV).
    type: str
    default: production
  log_level:
    description: Required C(LOG_LEVEL).
    type: str
    default: info
  rate_limit_max:
    description: Most requests per window and client the policy allows.
    type: int
    default: 100
  rate_limit_window_ms:
    description: Shortest window in milliseconds the policy allows.
    type: int
    default: 900000
  feature_flags:
    description: Expected values of feature flags by name (C(ENABLE_...)); flags not listed must only be explicit.
    type: dict
    default: {}
  smtp_host:
    description: SMTP relay host; C(SMTP_HOST) of the settings when empty.
    type: str
    default: ""
  smtp_port:
    description: SMTP relay port; C(SMTP_PORT) of the settings, then 587, when not set.
    type: int
  smtp_username:
    description: SMTP user (SendGrid's is C(apikey)).
    type: str
  smtp_password:
    description: SMTP password (SendGrid's is the API key).
    type: str
  mail_domain:
    description: Sender domain whose SPF and DKIM records are checked.
    type: str
    required: true
  dkim_selectors:
    description: DKIM selectors published for the sender domain (SendGrid's are C(s1) and C(s2)).
    type: list
    elements: str
    default: [s1]
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.resolver
  - smeplatform.deploy.timeout
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.kubernetes
  - smeplatform.deploy.read_only_check
requirements:
  - kubernetes
  - dnspython
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Check the application settings
  smeplatform.deploy.app_config_check:
    namespace: sme-platform
    frontend_url: https://smeplatform.com
    domain: smeplatform.com
    mail_domain: smeplatform.com
    dkim_selectors: [s1, s2]
    smtp_username: apikey
    smtp_password: "{{ vault_sendgrid_api_key }}"
"""

RETURN = r"""
source:
  description: Where the settings were read from.
  returned: always
  type: str
  sample: configmap sme-platform/sme-platform-config
evidence:
  description: One entry per checklist item checked.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "5.1.1", "status": "passed", "measured": "production", "threshold": "production",
            "detail": "NODE_ENV=production", "where": "configmap sme-platform/sme-platform-config", "duration": 0.01}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.app_config import entry, options


def main() -> None:
    entry.run_app_config_check(AnsibleModule(**options.app_config_check()))


if __name__ == "__main__":
    main()
