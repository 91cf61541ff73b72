"""Stand-ins for the operations SaaS around the platform: Sentry, New Relic (APM), Statuspage, a log sink, PagerDuty.

Run from tests/lab:  python -m standins.ops
One process, five HTTPS ports (lab certificate), each answering the subset of the vendor's documented API that the
collection reads, with the vendor's status codes and error bodies:

Sentry      :15586  Web API (Bearer org auth token, sntrys_…):
                      GET  /api/0/projects/{org}/{project}/                 the project, 404 {"detail": ...} when absent
                      GET  /api/0/projects/{org}/{project}/keys/            the client keys (DSNs) of the project
                      GET  /api/0/projects/{org}/{project}/events/{id}/     an event, 404 until it has been processed
                      GET  /api/0/projects/{org}/{project}/issues/          issues, ?query=is:unresolved
                    ingestion (X-Sentry-Auth with the DSN's public key, no token):
                      POST /api/{project_id}/envelope/                      an envelope with one event: 200 {"id"}
                    An accepted event becomes readable after the project's `processing_seconds` (default 1), as
                    Sentry's pipeline makes it searchable a moment after ingestion; events live in memory.
New Relic   :15587  REST API v2 (X-Api-Key: a user key, NRAK-…):
                      GET  /v2/applications.json?filter[name]=…            APM applications with `reporting` and
                                                                            `last_reported_at`
                    An application's `last_report_seconds_ago` in the state sets `last_reported_at` relative to now;
                    `reporting` is true while that is under 10 minutes, as New Relic reports it.
Statuspage  :15588  REST API v1 (Authorization: OAuth <api key>):
                      GET  /v1/pages/{page_id}/components                   the page's components and their status
                      PATCH /v1/pages/{page_id}/components/{id}             {"component": {"status": ...}}

Log sink   :15589  Elasticsearch's Count API (Authorization: ApiKey <encoded key>):
                      GET|POST /{index}/_count   {"query": {"bool": {"filter": [{"term": {field: value}},
                                                 {"range": {"@timestamp": {"gte": "now-15m"}}}]}}} -> {"count": N}
                    An index of the state (`logsink.indices`, names or `*` patterns) holds the lines of one lab log
                    file with the Kubernetes fields Fluent Bit adds (kubernetes.namespace_name, …): what the cluster's
                    shipper would deliver of the platform, read from the platform stand-in's own log.

PagerDuty  :15590  REST API v2 (Authorization: Token token=<key>):
                      GET  /schedules/{id}                                 a schedule and its users
                      GET  /oncalls?schedule_ids[]={id}                    who is on call now: the schedule's users
                                                                            take turns of `turn_hours` from `start`
                      GET  /users/{id}/contact_methods                      a user's phone, SMS and email contacts

Only the lab's credentials (secrets/sentry_token, newrelic_api_key, statuspage_api_key, logsink_api_key,
pagerduty_api_key) are accepted; anything else gets the vendor's 401. Everything but Sentry's events lives in one
JSON file (--state, .lab/edge/ops/state.json), written with the lab's organisation when missing and re-read when it
changes, so tests remove a project, stop an application reporting or degrade a component, and put the file back.
"""

from __future__ import annotations

import argparse
import datetime
import fnmatch
import hmac
import json
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from standins.common import JSONHandler, TLSServer, read_secret, serve_forever, setup_logging, tls_context

LOG = setup_logging("ops")
SECRETS: Path = Path()
# The lab's Sentry project key: public by Sentry's design (the DSN ships in every browser bundle), so it is fixed
# and the lab chart values name it in SENTRY_DSN.
SENTRY_PUBLIC_KEY = "5f2c8e1a9b7d4c3e8f6a1b2c3d4e5f60"
SENTRY_PROJECT_ID = "4507123"
REPORTING_WINDOW = 600  # seconds: New Relic shows an application as not reporting after 10 minutes without data
VALID_STATUSES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")


def now_iso(offset: float = 0.0) -> str:
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=offset)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def default_state() -> dict[str, Any]:
    """The lab's organisations: a Sentry project, a New Relic APM application, a status page."""
    return {
        "sentry": {
            "organization": "sme-platform",
            "projects": [
                {
                    "id": SENTRY_PROJECT_ID,
                    "slug": "sme-platform-backend",
                    "name": "sme-platform-backend",
                    "platform": "node-nestjs",
                    "status": "active",
                    "dateCreated": "2025-11-02T10:00:00Z",
                    "processing_seconds": 1,
                    "keys": [{"id": "a1b2c3", "name": "Default", "public": SENTRY_PUBLIC_KEY, "isActive": True}],
                    "issues": [
                        {
                            "id": "1001",
                            "shortId": "SME-PLATFORM-BACKEND-1",
                            "title": "TimeoutError: Razorpay order creation took longer than 10000ms",
                            "level": "warning",
                            "status": "resolved",
                            "count": "3",
                            "userCount": 2,
                            "firstSeen": "2026-11-20T08:00:00Z",
                            "lastSeen": "2026-11-21T09:30:00Z",
                        }
                    ],
                }
            ],
        },
        "newrelic": {
            "applications": [
                {
                    "id": 601234567,
                    "name": "sme-platform-backend",
                    "language": "nodejs",
                    "health_status": "green",
                    "last_report_seconds_ago": 20,
                    "application_summary": {
                        "response_time": 84.2,
                        "throughput": 312.0,
                        "error_rate": 0.1,
                        "apdex_target": 0.5,
                        "apdex_score": 0.97,
                        "host_count": 3,
                        "instance_count": 3,
                    },
                }
            ]
        },
        "logsink": {
            "indices": {
                "logs-kubernetes": {
                    "file": "platform.log",
                    "fields": {
                        "kubernetes.namespace_name": "sme-platform",
                        "kubernetes.container_name": "backend",
                        "kubernetes.labels.app.kubernetes.io/name": "sme-platform",
                    },
                }
            }
        },
        "pagerduty": {
            "schedules": [
                {
                    "id": "PSME001",
                    "name": "SME Platform primary",
                    "time_zone": "Asia/Kolkata",
                    "start": "2026-01-05T03:30:00Z",
                    "turn_hours": 168,
                    "users": ["PUSR001", "PUSR002", "PUSR003"],
                }
            ],
            "users": {
                "PUSR001": {
                    "name": "Asha Rao",
                    "email": "asha.rao@smeplatform.test",
                    "contact_methods": [
                        {"type": "phone_contact_method", "country_code": 91, "address": "9800000001"},
                        {"type": "email_contact_method", "address": "asha.rao@smeplatform.test"},
                    ],
                },
                "PUSR002": {
                    "name": "Vikram Shah",
                    "email": "vikram.shah@smeplatform.test",
                    "contact_methods": [
                        {"type": "sms_contact_method", "country_code": 91, "address": "9800000002"},
                        {"type": "email_contact_method", "address": "vikram.shah@smeplatform.test"},
                    ],
                },
                "PUSR003": {
                    "name": "Meera Iyer",
                    "email": "meera.iyer@smeplatform.test",
                    "contact_methods": [
                        {"type": "phone_contact_method", "country_code": 91, "address": "9800000003"},
                    ],
                },
            },
        },
        "statuspage": {
            "pages": [
                {
                    "id": "kctbh9vrtdwd",
                    "name": "SME Platform",
                    "components": [
                        {"id": "cmp-web", "name": "Web application", "status": "operational"},
                        {"id": "cmp-api", "name": "API", "status": "operational"},
                        {"id": "cmp-pay", "name": "Payments", "status": "operational"},
                        {"id": "cmp-mail", "name": "Email notifications", "status": "operational"},
                    ],
                }
            ]
        },
    }


class State:
    """The JSON file, re-read when its modification time changes; written back for Statuspage's PATCH."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()
        self._stamp: int | None = None
        self._data: dict[str, Any] = {}

    def get(self) -> dict[str, Any]:
        with self.lock:
            stamp = self.path.stat().st_mtime_ns
            if stamp != self._stamp:
                self._data = json.loads(self.path.read_text())
                self._stamp = stamp
            return self._data

    def save(self, data: dict[str, Any]) -> None:
        with self.lock:
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1))
            tmp.replace(self.path)
            self._stamp = None


STATE: State
# Sentry events by project id: {event_id: (readable_after, event)}
EVENTS: dict[str, dict[str, tuple[float, dict[str, Any]]]] = {}
EVENTS_LOCK = threading.Lock()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Sentry(JSONHandler):
    server_version = "nginx"
    SENTRY_AUTH = re.compile(r"sentry_key=([0-9a-f]+)")

    def refuse(self) -> None:
        self.send_json(401, {"detail": "Invalid token"})

    def not_found(self) -> None:
        self.send_json(404, {"detail": "The requested resource does not exist"})

    def project(self, org: str, slug: str) -> dict[str, Any] | None:
        sentry = STATE.get()["sentry"]
        if org != sentry["organization"]:
            return None
        return next((p for p in sentry["projects"] if p["slug"] == slug), None)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        token = self.bearer()
        if token is None or not same(token, read_secret(SECRETS, "sentry_token")):
            self.refuse()
            return
        if len(segments) < 5 or segments[:3] != ["api", "0", "projects"]:
            self.not_found()
            return
        project = self.project(segments[3], segments[4])
        if project is None:
            self.not_found()
            return
        rest = segments[5:]
        host = self.headers.get("Host", "127.0.0.1:15586")
        if not rest:
            self.send_json(
                200,
                {
                    "id": project["id"],
                    "slug": project["slug"],
                    "name": project["name"],
                    "platform": project.get("platform"),
                    "status": project.get("status", "active"),
                    "dateCreated": project.get("dateCreated"),
                    "isMember": True,
                    "organization": {"slug": segments[3], "name": segments[3]},
                },
            )
        elif rest == ["keys"]:
            self.send_json(
                200,
                [
                    {
                        "id": k["id"],
                        "name": k["name"],
                        "label": k["name"],
                        "public": k["public"],
                        "secret": "0" * 32,
                        "projectId": int(project["id"]),
                        "isActive": k["isActive"],
                        "dsn": {
                            "public": f"https://{k['public']}@{host}/{project['id']}",
                            "secret": f"https://{k['public']}:{'0' * 32}@{host}/{project['id']}",
                        },
                        "dateCreated": project.get("dateCreated"),
                    }
                    for k in project.get("keys", [])
                ],
            )
        elif len(rest) == 2 and rest[0] == "events":
            with EVENTS_LOCK:
                found = EVENTS.get(project["id"], {}).get(rest[1].replace("-", ""))
            if found is None or found[0] > time.time():
                self.send_json(404, {"detail": "Event not found"})
            else:
                self.send_json(200, found[1])
        elif rest == ["issues"]:
            query = (parse_qs(parts.query).get("query") or [""])[0]
            issues = project.get("issues", [])
            if "is:unresolved" in query:
                issues = [i for i in issues if i.get("status", "unresolved") == "unresolved"]
            self.send_json(200, [{"project": {"slug": project["slug"]}, **i} for i in issues])
        else:
            self.not_found()

    def do_POST(self) -> None:
        segments = urlsplit(self.path).path.strip("/").split("/")
        if len(segments) != 3 or segments[0] != "api" or segments[2] != "envelope":
            self.not_found()
            return
        match = self.SENTRY_AUTH.search(self.headers.get("X-Sentry-Auth", ""))
        project = next((p for p in STATE.get()["sentry"]["projects"] if p["id"] == segments[1]), None)
        key = (
            next((k for k in project.get("keys", []) if match and same(k["public"], match.group(1))), None)
            if project
            else None
        )
        if project is None or key is None:
            self.send_json(401, {"detail": "event submission rejected with_reason: ProjectId"})
            return
        if not key["isActive"]:
            self.send_json(403, {"detail": "event submission rejected with_reason: DisabledKey"})
            return
        lines = self.read_body().decode("utf-8", "replace").split("\n")
        try:
            header = json.loads(lines[0])
            item_header = json.loads(lines[1])
            event = json.loads(lines[2])
        except (IndexError, ValueError):
            self.send_json(400, {"detail": "invalid envelope: failed to parse"})
            return
        event_id = str(event.get("event_id") or header.get("event_id") or uuid.uuid4().hex).replace("-", "")
        if item_header.get("type") != "event":
            self.send_json(200, {"id": event_id})
            return
        stored = {
            "id": event_id,
            "eventID": event_id,
            "projectID": project["id"],
            "message": str(event.get("message") or ""),
            "title": str(event.get("message") or "<unlabeled event>")[:200],
            "platform": event.get("platform", "other"),
            "level": event.get("level", "error"),
            "environment": event.get("environment"),
            "tags": [{"key": k, "value": v} for k, v in (event.get("tags") or {}).items()],
            "dateCreated": event.get("timestamp") or now_iso(),
            "dateReceived": now_iso(),
        }
        with EVENTS_LOCK:
            EVENTS.setdefault(project["id"], {})[event_id] = (
                time.time() + float(project.get("processing_seconds", 1)),
                stored,
            )
        self.send_json(200, {"id": event_id})


class NewRelic(JSONHandler):
    server_version = "nginx"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        key = self.headers.get("X-Api-Key") or self.headers.get("Api-Key") or ""
        if not same(key, read_secret(SECRETS, "newrelic_api_key")):
            self.send_json(401, {"error": {"title": "The API key provided is invalid"}})
            return
        if parts.path != "/v2/applications.json":
            self.send_json(404, {"error": {"title": "Route not found"}})
            return
        wanted = (parse_qs(parts.query).get("filter[name]") or [""])[0].lower()
        apps = []
        for app in STATE.get()["newrelic"]["applications"]:
            if wanted not in app["name"].lower():
                continue
            ago = app.get("last_report_seconds_ago")
            shown = {k: v for k, v in app.items() if k != "last_report_seconds_ago"}
            shown["reporting"] = ago is not None and ago < REPORTING_WINDOW
            if ago is not None:
                shown["last_reported_at"] = now_iso(float(ago)).replace("Z", "+00:00")
            if not shown["reporting"]:
                shown["health_status"] = "gray"
                shown.pop("application_summary", None)
            shown["settings"] = {"app_apdex_threshold": 0.5, "end_user_apdex_threshold": 7.0}
            shown["links"] = {"application_instances": [], "servers": [], "application_hosts": []}
            apps.append(shown)
        self.send_json(200, {"applications": apps, "links": {}})


class Statuspage(JSONHandler):
    server_version = "nginx"
    COMPONENTS = re.compile(r"^/v1/pages/([^/]+)/components(?:/([^/]+))?/?$")

    def authorised(self) -> bool:
        value = self.headers.get("Authorization", "")
        if value[:6].lower() != "oauth ":
            return False
        return same(value[6:].strip(), read_secret(SECRETS, "statuspage_api_key"))

    def page(self, page_id: str) -> dict[str, Any] | None:
        return next((p for p in STATE.get()["statuspage"]["pages"] if p["id"] == page_id), None)

    @staticmethod
    def shown(page_id: str, c: dict[str, Any], position: int) -> dict[str, Any]:
        return {
            "id": c["id"],
            "page_id": page_id,
            "group_id": c.get("group_id"),
            "created_at": "2025-11-02T10:00:00.000Z",
            "updated_at": c.get("updated_at", "2025-11-02T10:00:00.000Z"),
            "group": bool(c.get("group", False)),
            "name": c["name"],
            "description": c.get("description"),
            "position": position,
            "status": c["status"],
            "showcase": True,
            "only_show_if_degraded": False,
            "automation_email": f"component+{c['id']}@notifications.statuspage.io",
        }

    def do_GET(self) -> None:
        if not self.authorised():
            self.send_json(401, {"error": "Could not authenticate"})
            return
        m = self.COMPONENTS.match(urlsplit(self.path).path)
        page = self.page(unquote(m.group(1))) if m and not m.group(2) else None
        if page is None:
            self.send_json(404, {"error": "Not Found"})
            return
        self.send_json(200, [self.shown(page["id"], c, i + 1) for i, c in enumerate(page["components"])])

    def do_PATCH(self) -> None:
        if not self.authorised():
            self.send_json(401, {"error": "Could not authenticate"})
            return
        m = self.COMPONENTS.match(urlsplit(self.path).path)
        if not m or not m.group(2):
            self.send_json(404, {"error": "Not Found"})
            return
        try:
            status = (self.read_json() or {}).get("component", {}).get("status")
        except (ValueError, AttributeError):
            status = None
        if status not in VALID_STATUSES:
            self.send_json(422, {"error": ["Status is not included in the list"]})
            return
        data = json.loads(json.dumps(STATE.get()))
        page = next((p for p in data["statuspage"]["pages"] if p["id"] == unquote(m.group(1))), None)
        component = next((c for c in (page or {}).get("components", []) if c["id"] == unquote(m.group(2))), None)
        if component is None:
            self.send_json(404, {"error": "Not Found"})
            return
        component["status"] = status
        component["updated_at"] = now_iso()
        STATE.save(data)
        position = page["components"].index(component) + 1
        self.send_json(200, self.shown(page["id"], component, position))


LOG_DIR: Path = Path()
LINE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) ")
RELATIVE = re.compile(r"^now-(\d+)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TAIL_BYTES = 4 << 20


def line_times(path: Path) -> list[float]:
    """Epoch seconds of each line of a lab log (the newest few MiB), as the shipper stamps @timestamp."""
    try:
        with path.open("rb") as fh:
            fh.seek(max(0, path.stat().st_size - TAIL_BYTES))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return []
    found = []
    for line in data.splitlines():
        m = LINE_TIME.match(line)
        if m:
            moment = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")  # local time, as logging writes it
            found.append(moment.timestamp() + int(m.group(2)) / 1000)
    return found


class LogSink(JSONHandler):
    server_version = "elasticsearch"

    def extra_headers(self) -> dict[str, str]:
        return {"X-elastic-product": "Elasticsearch"}

    def error(self, status: int, kind: str, reason: str) -> None:
        cause = {"type": kind, "reason": reason}
        self.send_json(status, {"error": {"root_cause": [cause], **cause}, "status": status})

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        value = self.headers.get("Authorization", "")
        if value[:7].lower() != "apikey " or not same(value[7:].strip(), read_secret(SECRETS, "logsink_api_key")):
            self.error(
                401,
                "security_exception",
                "unable to authenticate with provided credentials and anonymous access is not allowed for this request",
            )
            return
        segments = urlsplit(self.path).path.strip("/").split("/")
        if len(segments) != 2 or segments[1] != "_count":
            self.error(400, "illegal_argument_exception", f"request [{urlsplit(self.path).path}] is not supported here")
            return
        pattern = unquote(segments[0])
        indices = STATE.get().get("logsink", {}).get("indices", {})
        matched = [n for n in indices if fnmatch.fnmatchcase(n, pattern)]
        if not matched and "*" not in pattern:
            self.error(404, "index_not_found_exception", f"no such index [{pattern}]")
            return
        try:
            query = (self.read_json() or {}).get("query") or {"match_all": {}}
            terms, since = self.filters(query)
        except (ValueError, AttributeError, TypeError) as exc:
            self.error(400, "parsing_exception", f"unsupported query: {exc}")
            return
        count = 0
        for name in matched:
            index = indices[name]
            if any(index.get("fields", {}).get(field) != value for field, value in terms.items()):
                continue
            count += sum(1 for t in line_times(LOG_DIR / index["file"]) if since is None or t >= since)
        shards = {"total": len(matched), "successful": len(matched), "skipped": 0, "failed": 0}
        self.send_json(200, {"count": count, "_shards": shards})

    @staticmethod
    def filters(query: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        """The term filters and the @timestamp lower bound of a bool query (the subset the collection sends)."""
        if "match_all" in query:
            return {}, None
        clauses = query["bool"].get("filter") or []
        clauses = clauses if isinstance(clauses, list) else [clauses]
        terms: dict[str, Any] = {}
        since = None
        for clause in clauses:
            if "term" in clause:
                ((field, value),) = clause["term"].items()
                terms[field] = value.get("value") if isinstance(value, dict) else value
            elif "range" in clause:
                bound = clause["range"]["@timestamp"]["gte"]
                m = RELATIVE.match(bound)
                if not m:
                    raise ValueError(f"@timestamp bound {bound!r}")
                since = time.time() - int(m.group(1)) * UNITS[m.group(2)]
            else:
                raise ValueError(f"clause {sorted(clause)}")
        return terms, since


def parse_time(value: str) -> float:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class PagerDuty(JSONHandler):
    server_version = "nginx"

    def extra_headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json"}

    def reference(self, uid: str, kind: str, summary: str) -> dict[str, Any]:
        return {
            "id": uid,
            "type": f"{kind}_reference",
            "summary": summary,
            "self": f"https://api.pagerduty.com/{kind}s/{uid}",
        }

    def do_GET(self) -> None:
        value = self.headers.get("Authorization", "")
        if not value.startswith("Token token=") or not same(value[12:], read_secret(SECRETS, "pagerduty_api_key")):
            self.send_json(401, {"error": {"message": "Unauthorized", "code": 2006}})
            return
        parts = urlsplit(self.path)
        segments = [unquote(x) for x in parts.path.strip("/").split("/")]
        data = STATE.get()["pagerduty"]
        schedules = {x["id"]: x for x in data["schedules"]}
        if len(segments) == 2 and segments[0] == "schedules":
            schedule = schedules.get(segments[1])
            if schedule is None:
                self.send_json(404, {"error": {"message": "Not Found", "code": 2100}})
                return
            users = [self.reference(u, "user", data["users"][u]["name"]) for u in schedule["users"]]
            self.send_json(
                200,
                {
                    "schedule": {
                        "id": schedule["id"],
                        "type": "schedule",
                        "name": schedule["name"],
                        "summary": schedule["name"],
                        "time_zone": schedule["time_zone"],
                        "users": users,
                        "escalation_policies": [self.reference("PESC001", "escalation_policy", "SME Platform")],
                    }
                },
            )
        elif segments == ["oncalls"]:
            wanted = parse_qs(parts.query).get("schedule_ids[]") or list(schedules)
            oncalls = []
            now = time.time()
            for sid in wanted:
                schedule = schedules.get(sid)
                if not schedule or not schedule["users"]:
                    continue
                turn = schedule["turn_hours"] * 3600
                start = parse_time(schedule["start"])
                if now < start:
                    continue
                index = int((now - start) // turn)
                uid = schedule["users"][index % len(schedule["users"])]
                begins = start + index * turn
                oncalls.append(
                    {
                        "user": self.reference(uid, "user", data["users"][uid]["name"]),
                        "schedule": self.reference(sid, "schedule", schedule["name"]),
                        "escalation_policy": self.reference("PESC001", "escalation_policy", "SME Platform"),
                        "escalation_level": 1,
                        "start": datetime.datetime.fromtimestamp(begins, datetime.UTC)
                        .isoformat()
                        .replace("+00:00", "Z"),
                        "end": datetime.datetime.fromtimestamp(begins + turn, datetime.UTC)
                        .isoformat()
                        .replace("+00:00", "Z"),
                    }
                )
            self.send_json(200, {"oncalls": oncalls, "limit": 25, "offset": 0, "more": False, "total": None})
        elif len(segments) == 3 and segments[0] == "users" and segments[2] == "contact_methods":
            user = data["users"].get(segments[1])
            if user is None:
                self.send_json(404, {"error": {"message": "Not Found", "code": 2100}})
                return
            methods = [
                {"id": f"P{segments[1][-3:]}{i}", "summary": m["type"].split("_")[0], "label": "Work", **m}
                for i, m in enumerate(user["contact_methods"])
            ]
            self.send_json(200, {"contact_methods": methods})
        else:
            self.send_json(404, {"error": {"message": "Not Found", "code": 2100}})


def main() -> None:
    global SECRETS, STATE, LOG_DIR
    repo = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--sentry-port", type=int, default=15586)
    p.add_argument("--newrelic-port", type=int, default=15587)
    p.add_argument("--statuspage-port", type=int, default=15588)
    p.add_argument("--logsink-port", type=int, default=15589)
    p.add_argument("--pagerduty-port", type=int, default=15590)
    p.add_argument("--log-dir", default=str(repo / ".lab/edge/logs"))
    p.add_argument("--tls-dir", default=str(repo / ".lab/tls"))
    p.add_argument("--secrets-dir", default=str(repo / ".lab/edge/secrets"))
    p.add_argument("--state", default=str(repo / ".lab/edge/ops/state.json"))
    args = p.parse_args()
    SECRETS = Path(args.secrets_dir)
    LOG_DIR = Path(args.log_dir)
    state = Path(args.state)
    if not state.exists():
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(default_state(), indent=1))
    else:  # a state written by an older stand-in: add the tools it did not know yet, keep the rest
        kept = json.loads(state.read_text())
        missing = {k: v for k, v in default_state().items() if k not in kept}
        if missing:
            state.write_text(json.dumps({**kept, **missing}, indent=1))
    STATE = State(state)
    ctx = tls_context(Path(args.tls_dir))
    servers = [
        TLSServer((args.listen, port), handler, ctx)
        for port, handler in (
            (args.sentry_port, Sentry),
            (args.newrelic_port, NewRelic),
            (args.statuspage_port, Statuspage),
            (args.logsink_port, LogSink),
            (args.pagerduty_port, PagerDuty),
        )
    ]
    for s, name in zip(servers, ("sentry", "newrelic", "statuspage", "logsink", "pagerduty"), strict=True):
        LOG.info("%s listening on https://%s:%d (state %s)", name, args.listen, s.server_address[1], state)
    serve_forever(servers)


if __name__ == "__main__":
    main()
