# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""post.day1.2, the status page after the deployment: components put under maintenance for the deployment are set
back to operational, then every component is read back and must be operational.

A component in an incident state (degraded performance, partial or major outage) is never overwritten: that is an
incident the on-call engineer owns, and the item fails naming it. The change goes through the one sync engine, so
check mode sets nothing and reports what it would set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.statuspage import Statuspage
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.sync import NONE, Plan, sync

ITEM = "post.day1.2"
OPERATIONAL = "operational"
MAINTENANCE = "under_maintenance"
THRESHOLD = "every component operational (maintenance lifted after the deployment; incidents are not overwritten)"


def update_status_page(
    params: Mapping[str, Any], session: Callable[[], HttpSession], check_mode: bool
) -> dict[str, Any]:
    """The module's result: changed, diff, the components and the evidence of post.day1.2."""
    page = Statuspage(params["statuspage_url"], params["statuspage_api_key"], params["statuspage_page_id"], session)
    wanted = set(params["components"] or [])
    components = [c for c in page.components() if not wanted or c.get("name") in wanted]
    before = {str(c.get("name")): str(c.get("status")) for c in components}
    lift = [c for c in components if c.get("status") == MAINTENANCE] if params["lift_maintenance"] else []
    after = {**before, **{str(c.get("name")): OPERATIONAL for c in lift}}
    plan = Plan("update" if lift else NONE, before, after, [str(c.get("name")) for c in lift])

    def apply(_plan: Plan) -> dict[str, str]:
        for component in lift:
            page.set_status(str(component["id"]), OPERATIONAL)
        return {str(c.get("name")): str(c.get("status")) for c in page.components()}

    result = sync(plan, apply, check_mode, diff_header=f"statuspage {page.page_id}")
    measured = dict(result["applied"]) if result["applied"] else after
    measured = {name: measured.get(name, "missing") for name in (sorted(wanted) or sorted(before))}
    missing = sorted(wanted - set(before))
    incidents = {n: s for n, s in measured.items() if s not in (OPERATIONAL, "missing")}
    problems = [f"component {n} missing" for n in missing]
    problems += [f"component {n} is {s}: an open incident, left to the on-call engineer" for n, s in incidents.items()]
    if not measured:
        problems.append("the page has no component")
    lifted = ", ".join(plan.paths)
    if problems:
        status, detail = "failed", "; ".join(problems)
    elif check_mode and plan.changed:
        status, detail = "skipped", f"check mode: would set {lifted} from under_maintenance to operational"
    else:
        status = "passed"
        detail = f"{len(measured)} component(s) operational" + (f"; set operational: {lifted}" if lifted else "")
    evidence = entry(ITEM, status, measured=measured, threshold=THRESHOLD, detail=detail, where=page.where)
    return {
        "changed": result["changed"],
        "diff": result.get("diff"),
        "components": measured,
        "evidence": [evidence],
        "msg": detail,
    }
