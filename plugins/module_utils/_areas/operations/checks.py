# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Operations checks over the tools around the platform, each item from what the tool's API answers now:

- 6.2.1 Grafana healthy (database ok) and every required dashboard present with its required panels;
- 6.2.2 every required data source present and passing Grafana's own health check (Grafana queries the source);
- 6.2.3 user access: at least one and at most ``grafana_max_admins`` org admins, every required team with members,
  anonymous reads refused;
- 9.1.2 file backups: the backup bucket lies in its region, not the primary one, keeps versions, has an enabled
  lifecycle rule, and holds an object written within ``s3_max_backup_age``;
- 7.3.2 (when ``platform_url`` is set) every admin account the platform lists has MFA enabled, read through the
  platform's own API as its admin; skipped while the platform answers 502-504 (not deployed yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.grafana import Grafana, panel_titles
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession, join_url
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.s3 import S3Bucket
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import (
    entry,
    missing_problems,
    passed_unless,
)
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration, parse_duration

GRAFANA_IDS = ("6.2.1", "6.2.2", "6.2.3")
BACKUP_ID = "9.1.2"
MFA_ID = "7.3.2"
# What a gateway answers while no release serves the platform yet.
NOT_SERVING = (502, 503, 504)


@dataclass(frozen=True)
class OperationsSettings:
    """What the operations tools are held to; every value comes from operations_check's option table."""

    grafana_url: str
    grafana_token: str
    grafana_dashboards: list[dict[str, Any]]
    grafana_datasources: list[str]
    grafana_teams: list[str]
    grafana_max_admins: int
    s3_endpoint: str
    s3_bucket: str
    s3_region: str
    s3_primary_region: str
    s3_access_key_id: str
    s3_secret_access_key: str
    s3_prefix: str
    max_backup_age: float
    platform_url: str
    platform_admin_email: str
    platform_admin_password: str
    platform_login_path: str
    platform_admins_path: str

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> OperationsSettings:
        """The settings of operations_check's parameters (missing ones at the option table's defaults)."""
        p = settings(options.operations_check()["argument_spec"], params)
        return build(cls, p, max_backup_age=parse_duration(p["s3_max_backup_age"]))


# --- Grafana (6.2.1-6.2.3) -------------------------------------------------------------------------------------


def dashboards_entry(grafana: Grafana, s: OperationsSettings) -> dict[str, Any]:
    status, health = grafana.health()
    healthy = status == 200 and health.get("database") == "ok"
    version = health.get("version") or "(version unknown)"
    problems = [] if healthy else [f"/api/health answered {status}, database {health.get('database')!r}"]
    found: dict[str, Any] = {}
    for wanted in s.grafana_dashboards:
        uid = wanted["uid"]
        model = grafana.dashboard(uid)
        if model is None:
            problems.append(f"dashboard {uid} not found")
            found[uid] = "missing"
            continue
        titles = panel_titles(model)
        missing = [p for p in wanted.get("panels") or [] if p not in titles]
        if missing:
            problems.append(f"dashboard {uid} ({model.get('title')}) lacks panel(s) {', '.join(missing)}")
        found[uid] = {"title": model.get("title"), "panels": len(titles), "missing_panels": missing}
    if not s.grafana_dashboards:
        problems.append("no dashboard required: name the platform's dashboards (uid and panels)")
    return passed_unless(
        "6.2.1",
        problems,
        f"Grafana {version}: {len(found)} dashboard(s) with their panels",
        measured={"health": {"status": status, "database": health.get("database")}, "dashboards": found},
        threshold="Grafana healthy; every required dashboard present with its required panels",
        where=grafana.url,
    )


def datasources_entry(grafana: Grafana, s: OperationsSettings) -> dict[str, Any]:
    present = {d.get("name"): d for d in grafana.datasources() if isinstance(d, dict)}
    wanted = s.grafana_datasources or sorted(n for n in present if n)
    problems = [] if wanted else ["Grafana has no data source"]
    measured: dict[str, str] = {}
    for name in wanted:
        source = present.get(name)
        if source is None:
            problems.append(f"data source {name} not configured")
            measured[name] = "missing"
            continue
        healthy, message = grafana.datasource_health(str(source.get("uid") or ""))
        measured[name] = f"{source.get('type')}: {'OK' if healthy else 'ERROR'} {message}".strip()
        if not healthy:
            problems.append(f"data source {name} ({source.get('type')}) fails its health check: {message}")
    return passed_unless(
        "6.2.2",
        problems,
        f"{len(measured)} data source(s) healthy",
        measured=measured or "none",
        threshold="every required data source present and passing Grafana's health check",
        where=grafana.url,
    )


def access_entry(grafana: Grafana, s: OperationsSettings) -> dict[str, Any]:
    users = [u for u in grafana.org_users() if isinstance(u, dict)]
    roles: dict[str, int] = {}
    for user in users:
        roles[str(user.get("role"))] = roles.get(str(user.get("role")), 0) + 1
    admins = sorted(str(u.get("login") or u.get("email")) for u in users if u.get("role") == "Admin")
    teams = {t.get("name"): int(t.get("memberCount") or 0) for t in grafana.teams() if isinstance(t, dict)}
    anonymous = grafana.anonymous_status()
    problems = []
    if not admins:
        problems.append("no org admin")
    elif len(admins) > s.grafana_max_admins:
        problems.append(f"{len(admins)} org admins ({', '.join(admins)}), more than {s.grafana_max_admins}")
    for team in s.grafana_teams:
        if team not in teams:
            problems.append(f"team {team} missing")
        elif teams[team] < 1:
            problems.append(f"team {team} has no members")
    if anonymous not in (401, 403):
        problems.append(f"an anonymous request reads the dashboard list (HTTP {anonymous})")
    return passed_unless(
        "6.2.3",
        problems,
        f"{len(users)} user(s), admins {', '.join(admins)}; anonymous access refused ({anonymous})",
        measured={
            "users": len(users),
            "roles": roles,
            "teams": {t: teams.get(t, "missing") for t in s.grafana_teams},
            "anonymous": anonymous,
        },
        threshold=f"1-{s.grafana_max_admins} org admins, required teams with members, anonymous access refused",
        where=grafana.url,
    )


# --- file backups (9.1.2) --------------------------------------------------------------------------------------


def file_backups_entry(bucket: S3Bucket, s: OperationsSettings) -> dict[str, Any]:
    location = bucket.location()
    versioning = bucket.versioning()
    rules = bucket.lifecycle()
    active = [r for r in rules if r.enabled and (r.expiration_days or r.noncurrent_days or r.transitions)]
    newest = bucket.newest_object(s.s3_prefix)
    age = bucket.age(newest.last_modified) if newest else None
    problems = []
    if location != s.s3_region:
        problems.append(f"bucket lies in {location}, not {s.s3_region}")
    if not s.s3_primary_region:
        problems.append("the primary region is not set: an offsite copy cannot be told from a local one")
    elif location == s.s3_primary_region:
        problems.append(f"bucket lies in the primary region {location}: not offsite")
    if versioning != "Enabled":
        problems.append(f"versioning {versioning or 'never enabled'}")
    if not active:
        problems.append("no enabled lifecycle rule (expiration, noncurrent expiration or transition)")
    if newest is None:
        problems.append(f"no object under {s.s3_prefix or 'the bucket root'}: no file backup written")
    elif age is not None and age > s.max_backup_age:
        problems.append(f"newest object {newest.key} is {human_duration(age)} old")
    return passed_unless(
        BACKUP_ID,
        problems,
        lambda: (
            f"{newest.count if newest else 0} object(s), newest {newest.key if newest else '-'} "
            f"{human_duration(age or 0)} old; {len(active)} lifecycle rule(s) active"
        ),
        measured={
            "region": location,
            "versioning": versioning or "off",
            "lifecycle_rules": [
                {
                    "id": r.id,
                    "enabled": r.enabled,
                    "expiration_days": r.expiration_days,
                    "noncurrent_days": r.noncurrent_days,
                    "transitions": list(r.transitions),
                }
                for r in rules
            ],
            "objects": newest.count if newest else 0,
            "newest_age": human_duration(age) if age is not None else None,
        },
        threshold=(
            f"bucket in {s.s3_region} (not {s.s3_primary_region or 'the primary region'}), versioning Enabled, "
            f"an enabled lifecycle rule, newest object younger than {human_duration(s.max_backup_age)}"
        ),
        where=bucket.where,
    )


# --- admin accounts (7.3.2) ------------------------------------------------------------------------------------


def admin_mfa_entry(s: OperationsSettings, session_factory: Callable[[], HttpSession]) -> dict[str, Any]:
    login_url = join_url(s.platform_url, s.platform_login_path)
    admins_url = join_url(s.platform_url, s.platform_admins_path)
    threshold = "at least one admin account, every one with MFA enabled"
    if not s.platform_admin_email or not s.platform_admin_password:
        return entry(
            MFA_ID,
            "failed",
            measured="no admin credentials",
            threshold=threshold,
            detail="the platform's admin email and password are not set (operations_platform_admin_email/_password)",
            where=admins_url,
        )
    with session_factory() as session:
        login = session.request(
            "POST", login_url, json_body={"email": s.platform_admin_email, "password": s.platform_admin_password}
        )
        if login.status in NOT_SERVING:
            return entry(
                MFA_ID,
                "skipped",
                measured=login.status,
                threshold=threshold,
                detail=f"the platform answers {login.status} at {login_url}: no release serves it yet; "
                "its admin accounts are checked after the deploy",
                where=admins_url,
            )
        token = None
        try:
            body = login.json()
            token = body.get("access_token") or body.get("token") if isinstance(body, dict) else None
        except ValueError:
            pass
        if not 200 <= login.status < 300 or not isinstance(token, str):
            return entry(
                MFA_ID,
                "failed",
                measured=login.status,
                threshold=threshold,
                detail=f"login of {s.platform_admin_email} at {login_url} answered {login.status} without a token",
                where=admins_url,
            )
        listed = session.request("GET", admins_url, headers={"Authorization": f"Bearer {token}"})
    try:
        body = listed.json()
    except ValueError:
        body = None
    items = body.get("items") if isinstance(body, dict) else body
    if listed.status != 200 or not isinstance(items, list):
        return entry(
            MFA_ID,
            "failed",
            measured=listed.status,
            threshold=threshold,
            detail=f"GET {admins_url} as {s.platform_admin_email} answered {listed.status}: no admin list",
            where=admins_url,
        )
    admins = [a for a in items if isinstance(a, dict) and str(a.get("role", "admin")).lower() == "admin"]
    without = sorted(str(a.get("email") or a.get("id")) for a in admins if a.get("mfaEnabled") is not True)
    return passed_unless(
        MFA_ID,
        missing_problems(admins, without, "the platform lists no admin account", "admin account(s) without MFA"),
        f"{len(admins)} admin(s), all with MFA",
        measured={"admins": len(admins), "without_mfa": without},
        threshold=threshold,
        where=admins_url,
    )


# --- the batch -------------------------------------------------------------------------------------------------


def check_operations(s: OperationsSettings, session_factory: Callable[[], HttpSession]) -> Entries:
    checks: list[Check] = []
    unset: Entries = []
    if s.grafana_url:
        grafana = Grafana(s.grafana_url, s.grafana_token, session_factory)
        checks += [
            Check(("6.2.1",), lambda: [dashboards_entry(grafana, s)], s.grafana_url),
            Check(("6.2.2",), lambda: [datasources_entry(grafana, s)], s.grafana_url),
            Check(("6.2.3",), lambda: [access_entry(grafana, s)], s.grafana_url),
        ]
    else:
        unset += [
            entry(i, "failed", measured="no Grafana", detail="Grafana's URL is not set (operations_grafana_url)")
            for i in GRAFANA_IDS
        ]
    if s.s3_bucket:
        bucket = S3Bucket(
            s.s3_endpoint,
            s.s3_bucket,
            s.s3_region,
            s.s3_access_key_id,
            s.s3_secret_access_key,
            session_factory,
        )
        checks.append(Check((BACKUP_ID,), lambda: [file_backups_entry(bucket, s)], bucket.where))
    else:
        unset.append(
            entry(
                BACKUP_ID,
                "failed",
                measured="no bucket",
                detail="no file backup bucket is named (operations_s3_bucket)",
            )
        )
    if s.platform_url:
        checks.append(Check((MFA_ID,), lambda: [admin_mfa_entry(s, session_factory)], s.platform_url))
    found = run_checks(checks) if checks else []
    return found + unset
