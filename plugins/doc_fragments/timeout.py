# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-operation network timeout of the check modules that talk HTTP, DNS or SMTP."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  timeout:
    description: Seconds each network operation may take (connect, TLS handshake, request or SMTP exchange).
    type: float
    default: 10
"""
