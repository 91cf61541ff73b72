# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The post-deployment ceilings, the same for the first hour's watch and the later stages' checks (the option table's
LIMITS); each module says in its own description how it holds a series to them."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  error_rate_max:
    description: The 5xx share of the requests must stay below this (0.01 is 1 %).
    type: float
    default: 0.01
  latency_p95_max:
    description: The p95 latency must stay below this, in seconds.
    type: float
    default: 0.2
"""
