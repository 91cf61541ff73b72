# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SendGrid, the platform's email sender: 5.3.2 the sender domain authenticated with every DNS record valid, 5.3.4 every
dynamic template the platform sends with present with an active version."""

from __future__ import annotations

from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations.stack_inputs import StackSettings
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.providers import SendGridAccount
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if, passed_unless

SENDER_DOMAIN_ID = "5.3.2"
TEMPLATES_ID = "5.3.4"


def sender_domain_entry(account: SendGridAccount, s: StackSettings) -> dict[str, Any]:
    where = f"{account.url}/v3/whitelabel/domains"
    threshold = f"{s.sendgrid_domain} authenticated in SendGrid, every DNS record valid"
    if not s.sendgrid_domain:
        return entry(
            SENDER_DOMAIN_ID,
            "failed",
            measured="no domain",
            threshold=threshold,
            detail="the sender domain is not set (operations_sendgrid_domain)",
            where=where,
        )
    domains = [d for d in account.domains() if str(d.get("domain", "")).lower() == s.sendgrid_domain.lower()]
    if not domains:
        return entry(
            SENDER_DOMAIN_ID,
            "failed",
            measured={"domain": s.sendgrid_domain, "authenticated": False},
            threshold=threshold,
            detail=f"sender domain {s.sendgrid_domain} is not authenticated in SendGrid",
            where=where,
        )
    domain = next((d for d in domains if d.get("valid")), domains[0])
    records = {name: bool(r.get("valid")) for name, r in (domain.get("dns") or {}).items() if isinstance(r, dict)}
    invalid = sorted(name for name, ok in records.items() if not ok)
    ok = bool(domain.get("valid")) and not invalid
    return passed_if(
        SENDER_DOMAIN_ID,
        ok,
        measured={"domain": s.sendgrid_domain, "valid": domain.get("valid"), "records": records},
        threshold=threshold,
        detail=f"sender domain {s.sendgrid_domain} verified ({len(records)} DNS records valid)"
        if ok
        else f"sender domain {s.sendgrid_domain} unverified"
        + (f": invalid DNS record(s) {', '.join(invalid)}" if invalid else ""),
        where=where,
    )


def templates_entry(account: SendGridAccount, s: StackSettings) -> dict[str, Any]:
    where = f"{account.url}/v3/templates"
    found = {str(t.get("name")): t for t in account.templates()}
    problems = [] if s.sendgrid_templates else ["no template named (operations_sendgrid_templates)"]
    measured: dict[str, Any] = {}
    for name in s.sendgrid_templates:
        template = found.get(name)
        if template is None:
            problems.append(f"template {name} missing")
            measured[name] = "missing"
            continue
        active = [v for v in template.get("versions") or [] if isinstance(v, dict) and v.get("active") == 1]
        measured[name] = {"id": template.get("id"), "active_version": active[0].get("name") if active else None}
        if not active:
            problems.append(f"template {name} has no active version")
    return passed_unless(
        TEMPLATES_ID,
        problems,
        f"{len(measured)} template(s) with an active version",
        measured=measured or "none",
        threshold="every template the platform sends with exists with an active version",
        where=where,
    )
