#!/usr/bin/python
# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: production_secrets
short_description: Generate, check and rotate the platform's production secrets in one Kubernetes Secret
version_added: 0.1.0
description:
  - Keeps the Kubernetes Secret the platform reads with C(envFrom) (default C(sme-platform-secrets)), the collection's
    answer to the checklist's C(generate-secrets.ps1 -Environment production).
  - Generated keys (by default C(JWT_SECRET) 64 bytes, C(DATABASE_PASSWORD) 32 bytes, C(REDIS_PASSWORD) 24 bytes,
    C(ENCRYPTION_KEY) 32 bytes) come from the operating system's CSPRNG. Once written they are kept; O(rotate) replaces
    the named ones.
  - External keys (SendGrid, Twilio, Razorpay, AWS) are taken from O(external), checked against production rules
    (present, well-formed, no Razorpay C(rzp_test_) key) and by one cheap authenticated call to each provider, then
    written into the same Secret.
  - Each key carries annotations C(secrets.smeplatform.io/fingerprint.<KEY>) (HMAC-SHA256 of the value keyed with the
    per-Secret salt in C(secrets.smeplatform.io/fingerprint-salt)) and C(secrets.smeplatform.io/rotated-at.<KEY>); the
    Secret carries C(secrets.smeplatform.io/created-at). Values are never returned, logged or shown in a diff.
  - O(compare_with) names other environments (a Secret readable with another kubeconfig, context or namespace, or an
    exported fingerprint file); a value found there fails the run naming the key.
  - The Secret is written with one create or one replace guarded by the resourceVersion that was read, so a failed
    or concurrent run leaves the previous Secret whole.
  - Returns evidence for checklist items 3.1.1, 3.2.1-3.2.4, 3.3.1-3.3.4, 7.3.3 and post.month1.3.
options:
  name:
    description: Name of the Secret.
    type: str
    default: sme-platform-secrets
  namespace:
    description: Namespace of the Secret.
    type: str
    default: sme-platform
  mode:
    description:
      - V(ensure) creates missing keys, rotates the ones asked for, writes the external keys and fails before writing
        when an input is unfit or a value is reused.
      - V(verify) only reads; problems become failed evidence entries and the task does not fail for them.
    type: str
    choices: [ensure, verify]
    default: ensure
  environment:
    description: Name of this environment, recorded in the exported fingerprint file.
    type: str
    default: ""
  generated:
    description: The keys to generate.
    type: list
    elements: dict
    default:
      - {name: JWT_SECRET, size: 64, encoding: base64, item: "3.2.1"}
      - {name: DATABASE_PASSWORD, size: 32, encoding: base64url, item: "3.2.2"}
      - {name: REDIS_PASSWORD, size: 24, encoding: base64url, item: "3.2.3"}
      - {name: ENCRYPTION_KEY, size: 32, encoding: base64, item: "3.2.4"}
    suboptions:
      name:
        description: Key in the Secret, an environment variable name.
        type: str
        required: true
      size:
        description: Number of random bytes, at least 16.
        type: int
        required: true
      encoding:
        description: V(base64) (padded), V(base64url) (unpadded, safe in URLs) or V(hex).
        type: str
        choices: [base64, base64url, hex]
        default: base64
      item:
        description: Checklist item the key proves, if any.
        type: str
  rotate:
    description: Generated keys to replace with new values; V(all) for every generated key.
    type: list
    elements: str
    default: []
  rotate_due:
    description: Also rotate the generated keys older than O(rotation_max_age_days).
    type: bool
    default: false
  rotation_max_age_days:
    description: Age after which a key is due for rotation; V(0) means no policy.
    type: int
    default: 90
  external:
    description: Values of the external keys, from Ansible Vault or the environment.
    type: dict
    default: {}
    suboptions:
      sendgrid_api_key:
        description: SendGrid API key (C(SG.)...), written as C(SENDGRID_API_KEY).
        type: str
      twilio_account_sid:
        description: Twilio account SID (C(AC) + 32 hex), written as C(TWILIO_ACCOUNT_SID).
        type: str
      twilio_auth_token:
        description: Twilio auth token, written as C(TWILIO_AUTH_TOKEN).
        type: str
      razorpay_key_id:
        description: Razorpay live key id (C(rzp_live_)...), written as C(RAZORPAY_KEY_ID).
        type: str
      razorpay_key_secret:
        description: Razorpay key secret, written as C(RAZORPAY_KEY_SECRET).
        type: str
      aws_access_key_id:
        description: AWS access key id (C(AKIA)/C(ASIA) + 16), written as C(AWS_ACCESS_KEY_ID).
        type: str
      aws_secret_access_key:
        description: AWS secret access key, written as C(AWS_SECRET_ACCESS_KEY).
        type: str
  manage_external:
    description: Write and check the external keys; V(false) manages the generated keys only.
    type: bool
    default: true
  external_required:
    description: Every external key must be given (in V(verify) mode, given or already in the Secret).
    type: bool
    default: true
  verify_providers:
    description: Ask each provider whether it accepts its keys (SendGrid, Twilio, Razorpay; AWS when O(aws_sts_url)).
    type: bool
    default: true
  sendgrid_url:
    description: Base URL of the SendGrid API; C(GET /v3/scopes) with the key as Bearer token.
    type: str
    default: https://api.sendgrid.com
  twilio_url:
    description: Base URL of the Twilio API; C(GET /2010-04-01/Accounts/{SID}.json) with basic auth.
    type: str
    default: https://api.twilio.com
  razorpay_url:
    description: Base URL of the Razorpay API; C(GET /v1/payments?count=1) with basic auth.
    type: str
    default: https://api.razorpay.com
  aws_sts_url:
    description:
      - URL of AWS STS, for example C(https://sts.ap-south-1.amazonaws.com/); C(GetCallerIdentity) signed with
        Signature Version 4. Empty means AWS keys are checked for presence and format only and item 3.3.4 is
        recorded as manual.
    type: str
    default: ""
  aws_region:
    description: Region the STS request is signed for.
    type: str
    default: us-east-1
  validate_certs:
    description: Verify the providers' TLS certificates.
    type: bool
    default: true
  provider_timeout:
    description: Seconds to wait for one provider request.
    type: float
    default: 10.0
  compare_with:
    description:
      - Other environments whose values must not reappear here ("never reused from dev").
      - Each is either a Secret (O(compare_with[].namespace), O(compare_with[].name), with its own
        O(compare_with[].kubeconfig) / O(compare_with[].context) when on another cluster; needs read access to its
        data) or a fingerprint file exported there with O(export_fingerprints).
    type: list
    elements: dict
    default: []
    suboptions:
      label:
        description: Name of the environment in messages, for example C(staging).
        type: str
      namespace:
        description: Namespace of the other Secret.
        type: str
      name:
        description: Name of the other Secret.
        type: str
        default: sme-platform-secrets
      kubeconfig:
        description: Kubeconfig of the other cluster; this module's connection when not set.
        type: path
      context:
        description: Context of the other cluster.
        type: str
      fingerprint_file:
        description: JSON file with C(salt) and C(fingerprints), as written by O(export_fingerprints).
        type: path
  export_fingerprints:
    description:
      - Write this Secret's salt and fingerprints (no values) to this JSON file, for another environment's
        O(compare_with[].fingerprint_file). Written only when its content changes.
    type: path
  create_namespace:
    description: Create the namespace when it does not exist.
    type: bool
    default: false
notes:
  - Rotating C(DATABASE_PASSWORD) or C(REDIS_PASSWORD) changes the Secret only; the database role and the Redis
    password must be changed to the new value in the same change window.
requirements:
  - kubernetes (Python client)
extends_documentation_fragment:
  - smeplatform.deploy.attributes
  - smeplatform.deploy.ca_bundle
  - smeplatform.deploy.kubernetes
attributes:
  check_mode:
    support: full
    details: Reads the Secret and asks the providers; says which keys would be created or rotated; writes nothing.
  diff_mode:
    support: full
    details: Key names and short fingerprints before and after, never values.
  idempotent:
    support: full
    details: Existing values are kept; a second run reports no change.
author:
  - SME Platform operations (@smeplatform-ops)
"""

EXAMPLES = r"""
- name: Ensure the production secrets
  smeplatform.deploy.production_secrets:
    kubeconfig: ~/.kube/config
    context: sme-prod-cluster
    namespace: sme-platform
    environment: prod
    external:
      sendgrid_api_key: "{{ vault_smeplatform_sendgrid_api_key }}"
      twilio_account_sid: "{{ vault_smeplatform_twilio_account_sid }}"
      twilio_auth_token: "{{ vault_smeplatform_twilio_auth_token }}"
      razorpay_key_id: "{{ vault_smeplatform_razorpay_key_id }}"
      razorpay_key_secret: "{{ vault_smeplatform_razorpay_key_secret }}"
      aws_access_key_id: "{{ lookup('ansible.builtin.env', 'AWS_ACCESS_KEY_ID') }}"
      aws_secret_access_key: "{{ lookup('ansible.builtin.env', 'AWS_SECRET_ACCESS_KEY') }}"
    compare_with:
      - label: staging
        context: sme-staging-cluster
        namespace: sme-platform
    export_fingerprints: /srv/secrets/prod-fingerprints.json

- name: Rotate the JWT secret
  smeplatform.deploy.production_secrets:
    namespace: sme-platform
    manage_external: false
    rotate: [JWT_SECRET]

- name: Check the Secret before a deployment, changing nothing
  smeplatform.deploy.production_secrets:
    namespace: sme-platform
    mode: verify
    verify_providers: true
"""

RETURN = r"""
secret:
  description: The Secret that was kept.
  returned: success
  type: dict
  sample: {"name": "sme-platform-secrets", "namespace": "sme-platform", "server": "https://127.0.0.1:16443",
           "resource_version": "4711", "exists": true}
created:
  description: Keys created by this run (would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: ["JWT_SECRET", "DATABASE_PASSWORD"]
rotated:
  description: Generated keys given a new value by this run.
  returned: success
  type: list
  elements: str
  sample: ["JWT_SECRET"]
updated:
  description: External keys whose configured value differs from the Secret's and was written.
  returned: success
  type: list
  elements: str
  sample: []
kept:
  description: Keys whose value was kept.
  returned: success
  type: list
  elements: str
  sample: ["REDIS_PASSWORD"]
missing:
  description: External keys neither given nor in the Secret (only when O(external_required=false)).
  returned: success
  type: list
  elements: str
  sample: []
due_for_rotation:
  description: Keys older than O(rotation_max_age_days) before this run, with their age in days.
  returned: success
  type: dict
  sample: {"SENDGRID_API_KEY": 97.5}
fingerprints:
  description: Short salted fingerprints by key; equal fingerprints mean equal values within this Secret.
  returned: success
  type: dict
  sample: {"JWT_SECRET": "hmac-sha256:3f9a0c1d2e4b5a69"}
reused:
  description: Keys whose value was found in another environment (the run fails in V(ensure) mode).
  returned: success
  type: dict
  sample: {}
reasons:
  description: Why the Secret changed.
  returned: success
  type: list
  elements: str
  sample: ["JWT_SECRET rotated"]
exported:
  description: Whether the fingerprint file was (or would be) written.
  returned: success
  type: bool
  sample: false
evidence:
  description: Evidence entries for 3.1.1, 3.2.1-3.2.4, 3.3.1-3.3.4, 7.3.3 and post.month1.3.
  returned: always
  type: list
  elements: dict
  sample: [{"id": "3.2.1", "status": "passed", "measured": {"bytes": 64, "encoding": "base64"},
            "threshold": {"bytes": 64, "unique": true, "reused_in": ["staging"]},
            "detail": "JWT_SECRET: 64 random bytes, not found in staging",
            "where": "Secret sme-platform/sme-platform-secrets", "duration": null}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.secrets import entry, options


def main() -> None:
    entry.run_production_secrets(AnsibleModule(**options.production_secrets()))


if __name__ == "__main__":
    main()
