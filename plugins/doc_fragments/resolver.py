# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DNS resolver option of the check modules that resolve host names themselves."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  dns_resolver:
    description:
      - DNS server (C(address[:port])) that resolves the host names the checks connect to; the system resolver
        when empty.
    type: str
    default: ""
"""
