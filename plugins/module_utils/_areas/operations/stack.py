# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operations stack around the platform, each item from what its vendor's API and the cluster answer now:

- 6.3.1 error tracking: the platform's live configuration (its ConfigMap) names a Sentry DSN, the DSN's project exists
  in the organization and the DSN's key is one of its active keys, and an event sent through that DSN is accepted and
  then read back through Sentry's API (in check mode no event is sent: the item is skipped after the reads);
- 6.3.2 APM: the live configuration names the New Relic application (the agent's app name), and New Relic shows that
  application reporting, its last report younger than ``apm_max_report_age``;
- 6.4.1 status page: every component of the page (or every one named) is ``operational``;
- 5.3.2 sender domain: SendGrid has the platform's sender domain authenticated and every DNS record of it valid;
- 5.3.4 email templates: every dynamic template the platform sends with exists in SendGrid with an active version;
- 5.4.2 log aggregation: the shipper DaemonSet is scheduled on every schedulable node with every pod ready, and the
  log sink (Elasticsearch's Count API) holds lines of the platform's namespace younger than ``log_max_age``;
- 7.1.4 service mesh, when the environment requires one: Istio's CRDs installed, the namespace labelled for sidecar
  injection, every pod of it with the istio-proxy sidecar, and STRICT mutual TLS; otherwise skipped with the reason;
- 10.1.5 on-call rotation: the PagerDuty schedule exists, rotates among at least ``oncall_min_rotation`` people, and
  someone is on call in it now; 10.1.4 emergency contacts: every person of the rotation has a phone or SMS contact
  method PagerDuty can page (the code gate's entries of the runbook documents stand beside these).

Items about the platform's configuration are skipped while no release has written its ConfigMap (before the first
deploy); a tool that is not configured fails its items, naming the setting that is missing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.operations import options
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.elasticsearch import LogIndex
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.newrelic import NewRelic
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.pagerduty import PagerDuty
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.providers import SendGridAccount
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.sentry import Dsn, Sentry, send_test_event
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.statuspage import Statuspage
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.evidence import entry, passed_if
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.options import build, settings
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.runner import Check, Entries, run_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.units import human_duration, parse_duration

SENTRY_ID = "6.3.1"
APM_ID = "6.3.2"
STATUS_PAGE_ID = "6.4.1"
SENDER_DOMAIN_ID = "5.3.2"
TEMPLATES_ID = "5.3.4"
LOGS_ID = "5.4.2"
MESH_ID = "7.1.4"
ISTIO_CRDS = (
    "virtualservices.networking.istio.io",
    "destinationrules.networking.istio.io",
    "peerauthentications.security.istio.io",
)
SIDECAR = "istio-proxy"
CONTACTS_ID = "10.1.4"
ONCALL_ID = "10.1.5"
PAGEABLE = ("phone_contact_method", "sms_contact_method")
OPERATIONAL = "operational"


@dataclass(frozen=True)
class StackSettings:
    """What the operations stack is held to; every value comes from operations_stack_check's option table."""

    namespace: str
    configmap: str
    sentry_url: str
    sentry_token: str
    sentry_organization: str
    sentry_project: str
    sentry_dsn_key: str
    sentry_environment: str
    sentry_event_timeout: float
    newrelic_url: str
    newrelic_api_key: str
    newrelic_app_name_key: str
    apm_max_report_age: float
    statuspage_url: str
    statuspage_api_key: str
    statuspage_page_id: str
    statuspage_components: list[str]
    sendgrid_url: str
    sendgrid_api_key: str
    sendgrid_domain: str
    sendgrid_templates: list[str]
    log_daemonset_namespace: str
    log_daemonset: str
    logsink_url: str
    logsink_api_key: str
    logsink_index: str
    log_namespace_field: str
    log_max_age: float
    mesh_required: bool
    mesh_root_namespace: str
    pagerduty_url: str
    pagerduty_api_key: str
    pagerduty_schedule_id: str
    oncall_min_rotation: int

    @classmethod
    def from_options(cls, params: Mapping[str, Any]) -> StackSettings:
        p = settings(options.operations_stack_check()["argument_spec"], params)
        return build(
            cls,
            p,
            apm_max_report_age=parse_duration(p["apm_max_report_age"]),
            log_max_age=parse_duration(p["log_max_age"]),
        )


@dataclass(frozen=True)
class LiveConfig:
    """The platform's live settings (its ConfigMap's data), or None before a release wrote them."""

    data: dict[str, str] | None
    where: str


def unset(item_id: str, what: str, setting: str) -> dict[str, Any]:
    return entry(item_id, "failed", measured=f"no {what}", detail=f"{what} is not configured ({setting})")


def not_deployed(item_id: str, config: LiveConfig, threshold: str) -> dict[str, Any]:
    return entry(
        item_id,
        "skipped",
        measured="no release",
        threshold=threshold,
        detail=f"{config.where} does not exist yet: no release has written the platform's settings; "
        "checked after the deploy",
        where=config.where,
    )


# --- 6.3.1 Sentry ----------------------------------------------------------------------------------------------


def sentry_entry(
    sentry: Sentry, s: StackSettings, config: LiveConfig, session: Callable[[], HttpSession], check_mode: bool
) -> dict[str, Any]:
    threshold = (
        f"{s.sentry_dsn_key} in the platform's settings names a DSN of project {s.sentry_organization}/"
        f"{s.sentry_project} with an active key; a test event through it accepted and seen via the API within "
        f"{human_duration(s.sentry_event_timeout)}"
    )
    if config.data is None:
        return not_deployed(SENTRY_ID, config, threshold)
    where = f"{sentry.url}/api/0/projects/{s.sentry_organization}/{s.sentry_project}/"

    def failed(detail: str, measured: Any) -> dict[str, Any]:
        return entry(SENTRY_ID, "failed", measured=measured, threshold=threshold, detail=detail, where=where)

    raw = (config.data.get(s.sentry_dsn_key) or "").strip()
    if not raw:
        return failed(f"{config.where} has no {s.sentry_dsn_key}: the platform reports no error to Sentry", "no DSN")
    try:
        dsn = Dsn.parse(raw)
    except ConfigurationError as exc:
        return failed(f"{s.sentry_dsn_key} in {config.where}: {exc}", "invalid DSN")
    project = sentry.project(s.sentry_project)
    if project is None:
        return failed(
            f"Sentry project {s.sentry_project} not found in organization {s.sentry_organization}", "no project"
        )
    measured: dict[str, Any] = {"project": project.get("slug"), "project_id": str(project.get("id")), "dsn": dsn.host}
    if str(project.get("id")) != dsn.project_id:
        return failed(
            f"{s.sentry_dsn_key} points at project id {dsn.project_id}, not {s.sentry_project} "
            f"(id {project.get('id')})",
            measured,
        )
    keys = sentry.keys(s.sentry_project)
    key = next((k for k in keys if k.get("public") == dsn.public_key), None)
    measured["key"] = key.get("name") if key else None
    if key is None or not key.get("isActive"):
        state = "is disabled" if key else "is not a key of the project"
        return failed(f"the DSN's key {state} ({s.sentry_project} has {len(keys)} key(s))", measured)
    if check_mode:
        return entry(
            SENTRY_ID,
            "skipped",
            measured=measured,
            threshold=threshold,
            detail=f"DSN of {s.sentry_project} with an active key; in check mode no test event is sent "
            "(a write to Sentry): a real run sends one",
            where=where,
        )
    status, event_id, detail = send_test_event(
        dsn, session, s.sentry_environment, "smeplatform.deploy: error tracking check (test event)"
    )
    measured["event_id"] = event_id
    if status != 200:
        return failed(f"Sentry refused the test event at {dsn.host}: HTTP {status} {detail}".strip(), measured)
    seen, waited = sentry.wait_for_event(s.sentry_project, event_id, s.sentry_event_timeout)
    measured["seen_after"] = round(waited, 1) if seen else None
    if seen is None:
        return failed(
            f"test event {event_id} was accepted but not seen via the API after {human_duration(waited)}", measured
        )
    return entry(
        SENTRY_ID,
        "passed",
        measured=measured,
        threshold=threshold,
        detail=f"test event {event_id} accepted and seen in {s.sentry_project} after {waited:.1f}s",
        where=where,
    )


# --- 6.3.2 APM -------------------------------------------------------------------------------------------------


def _age(stamp: Any) -> float | None:
    try:
        moment = datetime.datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, (datetime.datetime.now(datetime.UTC) - moment).total_seconds())


def apm_entry(newrelic: NewRelic, s: StackSettings, config: LiveConfig) -> dict[str, Any]:
    threshold = (
        f"{s.newrelic_app_name_key} in the platform's settings names a New Relic APM application that reports, "
        f"its last report younger than {human_duration(s.apm_max_report_age)}"
    )
    if config.data is None:
        return not_deployed(APM_ID, config, threshold)
    where = f"{newrelic.url}/v2/applications.json"
    name = (config.data.get(s.newrelic_app_name_key) or "").strip()
    if not name:
        return entry(
            APM_ID,
            "failed",
            measured="no agent",
            threshold=threshold,
            detail=f"{config.where} has no {s.newrelic_app_name_key}: the APM agent is not configured",
            where=where,
        )
    apps = newrelic.applications(name)
    if not apps:
        return entry(
            APM_ID,
            "failed",
            measured={"application": name, "found": False},
            threshold=threshold,
            detail=f"New Relic has no APM application {name}: the agent never reported",
            where=where,
        )
    app = apps[0]
    age = _age(app.get("last_reported_at")) if app.get("last_reported_at") else None
    measured = {
        "application": name,
        "id": app.get("id"),
        "language": app.get("language"),
        "reporting": app.get("reporting"),
        "health_status": app.get("health_status"),
        "last_report_age": human_duration(age) if age is not None else None,
        "instances": (app.get("application_summary") or {}).get("instance_count"),
    }
    problems = []
    if app.get("reporting") is not True:
        problems.append(f"New Relic shows {name} as not reporting")
    if age is None:
        problems.append(f"{name} has never reported")
    elif age > s.apm_max_report_age:
        problems.append(f"{name} last reported {human_duration(age)} ago")
    return passed_if(
        APM_ID,
        not problems,
        measured=measured,
        threshold=threshold,
        detail="; ".join(problems)
        if problems
        else f"{name} ({app.get('language')}) reporting, last report {human_duration(age or 0)} ago, "
        f"health {app.get('health_status')}",
        where=where,
    )


# --- 6.4.1 status page -----------------------------------------------------------------------------------------


def status_page_entry(page: Statuspage, s: StackSettings) -> dict[str, Any]:
    components = {str(c.get("name")): str(c.get("status")) for c in page.components()}
    wanted = s.statuspage_components or sorted(components)
    problems = [] if wanted else ["the page has no component"]
    for name in wanted:
        status = components.get(name)
        if status is None:
            problems.append(f"component {name} missing")
        elif status != OPERATIONAL:
            problems.append(f"component {name} is {status}")
    return passed_if(
        STATUS_PAGE_ID,
        not problems,
        measured={name: components.get(name, "missing") for name in wanted} or "none",
        threshold="every component of the status page operational",
        detail="; ".join(problems) if problems else f"{len(wanted)} component(s) operational",
        where=page.where,
    )


# --- 5.3.2 and 5.3.4 SendGrid ----------------------------------------------------------------------------------


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
    return passed_if(
        TEMPLATES_ID,
        not problems,
        measured=measured or "none",
        threshold="every template the platform sends with exists with an active version",
        detail="; ".join(problems) if problems else f"{len(measured)} template(s) with an active version",
        where=where,
    )


# --- 5.4.2 log aggregation ------------------------------------------------------------------------------------


class Cluster:
    """The Kubernetes reads of the stack checks, on one session opened at the first read."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._kube: Any = None

    def get(self, what: str, path: str) -> Any:
        if self._kube is None:
            self._kube = self._connect()
        return k8s.get(self._kube, what, path)

    def items(self, what: str, path: str) -> list[dict[str, Any]]:
        return (self.get(what, path) or {}).get("items") or []


def logs_entry(cluster: Any, index: LogIndex, s: StackSettings) -> dict[str, Any]:
    name = f"daemonset {s.log_daemonset_namespace}/{s.log_daemonset}"
    age = human_duration(s.log_max_age)
    threshold = (
        f"{name} on every schedulable node with every pod ready; the sink holds lines of namespace {s.namespace} "
        f"younger than {age}"
    )
    nodes = cluster.items("nodes", k8s.path("v1", "nodes"))
    schedulable = [n for n in nodes if not (n.get("spec") or {}).get("unschedulable")]
    daemonset = cluster.get(name, k8s.path("apps/v1", "daemonsets", s.log_daemonset_namespace, s.log_daemonset))
    problems = []
    measured: dict[str, Any] = {"nodes": len(schedulable)}
    if daemonset is None:
        problems.append(f"no log shipper: {name} not found")
    else:
        status = daemonset.get("status") or {}
        desired = int(status.get("desiredNumberScheduled") or 0)
        ready = int(status.get("numberReady") or 0)
        measured.update(scheduled=desired, ready=ready, misscheduled=int(status.get("numberMisscheduled") or 0))
        if desired < len(schedulable):
            problems.append(f"shipper not on every node: scheduled on {desired} of {len(schedulable)} node(s)")
        if ready < desired:
            problems.append(f"{ready} of {desired} shipper pod(s) ready")
    lines = index.count({s.log_namespace_field: s.namespace}, f"now-{int(s.log_max_age)}s")
    measured["lines"] = lines
    if lines == 0:
        problems.append(f"the sink has no line of namespace {s.namespace} in the last {age} ({index.where})")
    return passed_if(
        LOGS_ID,
        not problems,
        measured=measured,
        threshold=threshold,
        detail="; ".join(problems)
        if problems
        else f"shipper ready on {measured['ready']} of {len(schedulable)} node(s); the sink holds {lines} line(s) of "
        f"{s.namespace} from the last {age}",
        where=index.where,
    )


# --- 7.1.4 service mesh ----------------------------------------------------------------------------------------


def _has_sidecar(pod: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    # the sidecar is a container, or with native sidecars (Istio 1.19+) an init container that keeps running
    return any(c.get("name") == SIDECAR for c in (spec.get("containers") or []) + (spec.get("initContainers") or []))


def mesh_entry(cluster: Any, s: StackSettings) -> dict[str, Any]:
    threshold = (
        "when required: Istio's CRDs installed, the namespace labelled for injection, every pod with the istio-proxy "
        "sidecar, STRICT mutual TLS"
    )
    if not s.mesh_required:
        return entry(
            MESH_ID,
            "skipped",
            measured="not required",
            threshold=threshold,
            detail="this environment requires no service mesh (operations_mesh_required is false): nothing to check",
        )
    crds = {
        n: cluster.get(f"CRD {n}", k8s.path("apiextensions.k8s.io/v1", "customresourcedefinitions", name=n)) is not None
        for n in ISTIO_CRDS
    }
    missing = sorted(n for n, found in crds.items() if not found)
    namespace = cluster.get(f"namespace {s.namespace}", k8s.path("v1", "namespaces", name=s.namespace)) or {}
    labels = (namespace.get("metadata") or {}).get("labels") or {}
    injection = labels.get("istio-injection") == "enabled" or bool(labels.get("istio.io/rev"))
    pods = [
        p
        for p in cluster.items(f"pods of {s.namespace}", k8s.path("v1", "pods", s.namespace))
        if (p.get("status") or {}).get("phase") == "Running"
    ]
    without = sorted(str((p.get("metadata") or {}).get("name")) for p in pods if not _has_sidecar(p))
    strict = False
    if not missing:
        for ns in dict.fromkeys((s.namespace, s.mesh_root_namespace)):
            policies = cluster.items(
                f"PeerAuthentications of {ns}", k8s.path("security.istio.io/v1beta1", "peerauthentications", ns)
            )
            strict = strict or any(((p.get("spec") or {}).get("mtls") or {}).get("mode") == "STRICT" for p in policies)
    problems = []
    if missing:
        problems.append(f"Istio CRDs missing: {', '.join(missing)}")
    if not namespace:
        problems.append(f"namespace {s.namespace} not found")
    elif not injection:
        problems.append(f"namespace {s.namespace} not labelled for sidecar injection (istio-injection=enabled)")
    if not pods:
        problems.append(f"no running pod in {s.namespace}")
    elif without:
        problems.append(f"{len(without)} of {len(pods)} pod(s) without the {SIDECAR} sidecar: {', '.join(without[:5])}")
    if not missing and not strict:
        problems.append(f"no PeerAuthentication with mTLS STRICT in {s.namespace} or {s.mesh_root_namespace}")
    return passed_if(
        MESH_ID,
        not problems,
        measured={
            "crds_missing": missing,
            "injection": injection,
            "pods": len(pods),
            "without_sidecar": len(without),
            "mtls_strict": strict,
        },
        threshold=threshold,
        detail="; ".join(problems)
        if problems
        else f"Istio: {len(pods)} pod(s) of {s.namespace} with the sidecar, mTLS STRICT",
    )


# --- 10.1.4, 10.1.5 on-call ----------------------------------------------------------------------------------


def oncall_entries(pagerduty: PagerDuty, s: StackSettings) -> list[dict[str, Any]]:
    where = f"{pagerduty.url}/schedules/{s.pagerduty_schedule_id}"
    rotation_threshold = (
        f"schedule {s.pagerduty_schedule_id} rotating among at least {s.oncall_min_rotation} people, someone on "
        "call now"
    )
    contacts_threshold = "every person of the rotation with a phone or SMS contact method"
    schedule = pagerduty.schedule(s.pagerduty_schedule_id)
    if schedule is None:
        detail = f"PagerDuty schedule {s.pagerduty_schedule_id} not found"
        return [
            entry(
                ONCALL_ID, "failed", measured="no schedule", threshold=rotation_threshold, detail=detail, where=where
            ),
            entry(
                CONTACTS_ID, "failed", measured="no schedule", threshold=contacts_threshold, detail=detail, where=where
            ),
        ]
    users = [u for u in schedule.get("users") or [] if isinstance(u, dict)]
    names = {str(u.get("id")): str(u.get("summary") or u.get("id")) for u in users}
    on_call = [o for o in pagerduty.on_call_now(s.pagerduty_schedule_id) if isinstance(o.get("user"), dict)]
    now = [names.get(str(o["user"].get("id")), str(o["user"].get("summary"))) for o in on_call]
    problems = []
    if len(users) < s.oncall_min_rotation:
        problems.append(f"rotation of {len(users)} person(s), fewer than {s.oncall_min_rotation}")
    if not on_call:
        problems.append(f"no one on call now in {schedule.get('name') or s.pagerduty_schedule_id}")
    rotation = passed_if(
        ONCALL_ID,
        not problems,
        measured={
            "schedule": schedule.get("name"),
            "rotation": sorted(names.values()),
            "on_call": now,
            "until": on_call[0].get("end") if on_call else None,
        },
        threshold=rotation_threshold,
        detail="; ".join(problems)
        if problems
        else f"{', '.join(now)} on call now in {schedule.get('name')} (rotation of {len(users)}) until "
        f"{on_call[0].get('end')}",
        where=where,
    )
    unreachable = []
    for uid, name in names.items():
        methods = pagerduty.contact_methods(uid)
        if not any(m.get("type") in PAGEABLE and m.get("address") for m in methods):
            unreachable.append(name)
    contacts = passed_if(
        CONTACTS_ID,
        bool(names) and not unreachable,
        measured={"people": len(names), "without_phone_or_sms": unreachable},
        threshold=contacts_threshold,
        detail=(
            f"no phone or SMS contact for: {', '.join(unreachable)}"
            if unreachable
            else f"{len(names)} person(s) of the rotation reachable by phone or SMS"
        )
        if names
        else "the rotation has no one",
        where=where,
    )
    return [rotation, contacts]


# --- the batch -------------------------------------------------------------------------------------------------


def read_config(cluster: Any, s: StackSettings) -> LiveConfig:
    where = f"configmap {s.namespace}/{s.configmap}"
    live = cluster.get(where, k8s.path("v1", "configmaps", s.namespace, s.configmap))
    return LiveConfig({k: str(v) for k, v in (live.get("data") or {}).items()} if live is not None else None, where)


def check_stack(s: StackSettings, session: Callable[[], HttpSession], cluster: Any, check_mode: bool) -> Entries:
    checks: list[Check] = []
    found: Entries = []
    config = read_config(cluster, s)
    if s.sentry_url and s.sentry_token:
        sentry = Sentry(s.sentry_url, s.sentry_token, s.sentry_organization, session)
        checks.append(Check((SENTRY_ID,), lambda: [sentry_entry(sentry, s, config, session, check_mode)], s.sentry_url))
    else:
        found.append(unset(SENTRY_ID, "Sentry", "operations_sentry_url, operations_sentry_token"))
    if s.newrelic_url and s.newrelic_api_key:
        newrelic = NewRelic(s.newrelic_url, s.newrelic_api_key, session)
        checks.append(Check((APM_ID,), lambda: [apm_entry(newrelic, s, config)], s.newrelic_url))
    else:
        found.append(unset(APM_ID, "New Relic APM", "operations_newrelic_url, operations_newrelic_api_key"))
    if s.statuspage_url and s.statuspage_api_key and s.statuspage_page_id:
        page = Statuspage(s.statuspage_url, s.statuspage_api_key, s.statuspage_page_id, session)
        checks.append(Check((STATUS_PAGE_ID,), lambda: [status_page_entry(page, s)], page.where))
    else:
        found.append(
            unset(
                STATUS_PAGE_ID,
                "the status page",
                "operations_statuspage_url, operations_statuspage_api_key, operations_statuspage_page_id",
            )
        )
    if s.sendgrid_url and s.sendgrid_api_key:
        account = SendGridAccount(s.sendgrid_url, s.sendgrid_api_key, session)
        checks += [
            Check((SENDER_DOMAIN_ID,), lambda: [sender_domain_entry(account, s)], account.url),
            Check((TEMPLATES_ID,), lambda: [templates_entry(account, s)], account.url),
        ]
    else:
        found += [
            unset(i, "SendGrid", "operations_sendgrid_url, operations_sendgrid_api_key")
            for i in (SENDER_DOMAIN_ID, TEMPLATES_ID)
        ]
    if s.logsink_url and s.logsink_api_key:
        index = LogIndex(s.logsink_url, s.logsink_api_key, s.logsink_index, session)
        checks.append(Check((LOGS_ID,), lambda: [logs_entry(cluster, index, s)], index.where))
    else:
        found.append(unset(LOGS_ID, "the log sink", "operations_logsink_url, operations_logsink_api_key"))
    checks.append(Check((MESH_ID,), lambda: [mesh_entry(cluster, s)], "the cluster"))
    if s.pagerduty_url and s.pagerduty_api_key and s.pagerduty_schedule_id:
        pagerduty = PagerDuty(s.pagerduty_url, s.pagerduty_api_key, session)
        checks.append(Check((ONCALL_ID, CONTACTS_ID), lambda: oncall_entries(pagerduty, s), pagerduty.url))
    else:
        found += [
            unset(
                i,
                "PagerDuty on-call",
                "operations_pagerduty_url, operations_pagerduty_api_key, operations_pagerduty_schedule_id",
            )
            for i in (ONCALL_ID, CONTACTS_ID)
        ]
    return (run_checks(checks) if checks else []) + found
