# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of the smoke gate's e-mail probe (checklist deploy.7.7, post.hour.5, success.6)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  smtp:
    description: The V(email) check; skipped when O(smtp.host) is empty.
    type: dict
    default: {}
    suboptions:
      host:
        description: Relay host name (resolved through O(resolver)).
        type: str
      port:
        description: Relay port.
        type: int
        default: 587
      server_name:
        description: Name the relay's certificate must carry; O(smtp.host) when empty.
        type: str
      starttls:
        description: Upgrade with STARTTLS before authenticating.
        type: bool
        default: true
      username:
        description: SMTP user (C(apikey) for SendGrid).
        type: str
      password:
        description: SMTP password (the SendGrid API key).
        type: str
      sender:
        description: Envelope and header sender.
        type: str
        default: smoke@smeplatform.invalid
      recipient:
        description: Recipient of the test message; the sender when empty.
        type: str
"""
