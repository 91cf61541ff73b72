# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a writer changes something: plan, then check mode or apply, and the diff from the same plan.

A writer (the secrets' Secret, the backup CronJob, the configuration export, a new namespace and its labels, the
deployment lock) compares what it wants with what is there and says so in a :class:`Plan`. :func:`sync` owns the
rest: ``changed`` is the plan's, in check mode and in a real run alike; check mode applies nothing (a writer that
can have the server validate the change without storing it gives a ``rehearse``); the diff shows the plan's own
before and after, so it cannot disagree with ``changed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NONE = "none"


@dataclass
class Plan:
    """What a writer found and would do; ``action`` is NONE when what is there already matches."""

    action: str
    before: Any = None
    after: Any = None
    paths: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.action != NONE


def sync(
    plan: Plan,
    apply: Callable[[Plan], Any],
    check_mode: bool,
    rehearse: Callable[[Plan], Any] | None = None,
    diff_header: str | None = None,
    bookkeeping: bool = False,
) -> dict[str, Any]:
    """Carry out ``plan``: nothing when unchanged; in check mode only ``rehearse`` (if any); else ``apply``.

    Returns ``changed``, ``action``, ``applied`` (what apply or rehearse returned) and, with a ``diff_header``,
    ``diff`` built from the plan's before and after. ``bookkeeping`` marks a change that exists only for the run
    that makes it (the deployment lock's Lease): check mode, which makes none, reports none.
    """
    changed = plan.changed and not (bookkeeping and check_mode)
    result: dict[str, Any] = {"changed": changed, "action": plan.action, "applied": None}
    if plan.changed:
        if not check_mode:
            result["applied"] = apply(plan)
        elif rehearse is not None:
            result["applied"] = rehearse(plan)
    if diff_header is not None and plan.changed:
        result["diff"] = {
            "before_header": diff_header,
            "after_header": diff_header,
            "before": plan.before,
            "after": plan.after,
        }
    return result
