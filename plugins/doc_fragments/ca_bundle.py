# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CA bundle option of every module that verifies a server's TLS certificate."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  ca_bundle:
    description:
      - PEM file of the CA certificates that verify the servers' TLS certificates (HTTPS, SMTP STARTTLS); the
        system trust store when not set.
    type: path
"""
