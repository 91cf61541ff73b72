# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""post.week1.2, the error tracking review of the first week: the platform's Sentry project holds at most
``max_unresolved`` unresolved issues of the reviewed levels seen within the period, each named in the evidence.

The week stage's other entry of post.week1.2 (the 5xx share, post_deploy) measures the errors the platform answered;
this one what the platform reported: an item passes only when both do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.sentry import Sentry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import (
    age_seconds,
    human_duration,
    parse_duration,
    parse_time,
)

ITEM = "post.week1.2"


def _seen_within(issue: Mapping[str, Any], period: float) -> bool:
    age = age_seconds(parse_time(issue.get("lastSeen")))
    return age is None or age <= period  # an issue without a readable date is counted, not hidden


def review_errors(params: Mapping[str, Any], session: Callable[[], HttpSession]) -> list[dict[str, Any]]:
    """The evidence of post.week1.2 from the project's unresolved issues."""
    sentry = Sentry(params["sentry_url"], params["sentry_token"], params["sentry_organization"], session)
    period = parse_duration(params["period"])
    levels = [str(level).lower() for level in params["levels"]]
    stats_period = f"{max(1, round(period / 3600))}h"
    unresolved = sentry.unresolved_issues(params["sentry_project"], stats_period)
    counted = [i for i in unresolved if str(i.get("level", "error")).lower() in levels and _seen_within(i, period)]
    counted.sort(key=lambda i: -int(i.get("count") or 0))
    named = [f"{i.get('shortId')} {str(i.get('title'))[:80]} ({i.get('count')} events)" for i in counted[:5]]
    limit = params["max_unresolved"]
    ok = len(counted) <= limit
    what = f"unresolved {'/'.join(levels)} issue(s) seen in the last {human_duration(period)}"
    return [
        passed_if(
            ITEM,
            ok,
            measured={"unresolved": len(counted), "unresolved_all_levels": len(unresolved), "top": named},
            threshold=f"at most {limit} {what}",
            detail=f"{len(counted)} {what}" + (f": {'; '.join(named)}" if named else ""),
            where=f"{sentry.url}/api/0/projects/{params['sentry_organization']}/{params['sentry_project']}/issues/",
        )
    ]
