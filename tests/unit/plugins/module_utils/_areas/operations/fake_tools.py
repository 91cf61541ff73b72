"""A small in-process HTTP server that answers as Grafana's API and an S3 bucket do, from a mutable dict."""

from __future__ import annotations

import copy
import datetime
import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "glsa_unitTestTokenValue0123456789abcd_0a1b2c3d"
S3_KEY_ID = "AKIAUNITTESTKEY00001"
S3_SECRET = "unitTestSecretAccessKey/0123456789abcdefg"
ADMIN_PASSWORD = "unitTestAdminPassword-42"
JWT = "eyJhbGciOiJIUzI1NiJ9.unit.test"

BASE: dict[str, Any] = {
    "health": {"database": "ok", "version": "11.3.0"},
    "datasources": [{"uid": "p1", "name": "Prometheus", "type": "prometheus", "healthy": True}],
    "dashboards": {
        "overview": {
            "uid": "overview",
            "title": "Overview",
            "panels": [
                {"type": "timeseries", "title": "Request rate"},
                {"type": "row", "title": "More", "panels": [{"type": "stat", "title": "Error rate"}]},
            ],
        }
    },
    "users": [
        {"login": "admin", "role": "Admin"},
        {"login": "dev", "role": "Viewer"},
    ],
    "teams": [{"name": "SRE", "memberCount": 2}],
    "anonymous": 401,
    "platform": {
        "status": 200,
        "admins": [
            {"id": "1", "email": "admin@x.test", "role": "admin", "mfaEnabled": True},
            {"id": "2", "email": "ops@x.test", "role": "admin", "mfaEnabled": True},
        ],
    },
    "bucket": {
        "name": "backups",
        "region": "eu-west-1",
        "versioning": "Enabled",
        "lifecycle": True,
        "objects": [("uploads/a.pdf", "2026-01-01T00:00:00.000Z"), ("uploads/b.pdf", "NOW")],
    },
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # one write per answer (handle_one_request flushes): no delayed-ACK wait between headers and body
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    state: dict[str, Any] = {}
    seen: list[dict[str, str]] = []

    def log_message(self, *_args: Any) -> None:
        pass

    def reply(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def xml(self, status: int, text: str) -> None:
        self.reply(status, ('<?xml version="1.0" encoding="UTF-8"?>' + text).encode(), "application/xml")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.seen.append({"path": self.path, "auth": ""})
        platform = self.state["platform"]
        if platform["status"] != 200:
            self.reply(platform["status"], {"message": "Service Unavailable"})
        elif body.get("password") == ADMIN_PASSWORD:
            self.reply(201, {"access_token": JWT})
        else:
            self.reply(401, {"message": "Invalid credentials"})

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        auth = self.headers.get("Authorization", "")
        self.seen.append({"path": self.path, "auth": auth})
        if parts.path == "/api/admin/users":
            if auth != f"Bearer {JWT}":
                self.reply(401, {"message": "Unauthorized"})
            else:
                admins = self.state["platform"]["admins"]
                self.reply(200, {"items": admins, "total": len(admins)})
        elif parts.path.startswith("/api/"):
            self.grafana(parts.path, auth)
        else:
            self.s3(parts.path, parse_qs(parts.query, keep_blank_values=True), auth)

    def grafana(self, path: str, auth: str) -> None:
        s = self.state
        if path == "/api/health":
            self.reply(200, s["health"])
            return
        if auth != f"Bearer {TOKEN}":
            anonymous = s["anonymous"] if not auth else 401
            self.reply(anonymous, [] if anonymous == 200 else {"message": "Unauthorized"})
            return
        if path == "/api/datasources":
            self.reply(200, [{k: v for k, v in d.items() if k != "healthy"} for d in s["datasources"]])
        elif path.startswith("/api/datasources/uid/") and path.endswith("/health"):
            uid = path.split("/")[4]
            source = next(d for d in s["datasources"] if d["uid"] == uid)
            if source["healthy"]:
                self.reply(200, {"status": "OK", "message": "Successfully queried the Prometheus API."})
            else:
                self.reply(400, {"status": "ERROR", "message": "connection refused"})
        elif path.startswith("/api/dashboards/uid/"):
            found = s["dashboards"].get(path.rsplit("/", 1)[1])
            if found:
                self.reply(200, {"dashboard": found, "meta": {}})
            else:
                self.reply(404, {"message": "Dashboard not found"})
        elif path == "/api/org/users":
            self.reply(200, s["users"])
        elif path == "/api/teams/search":
            self.reply(200, {"totalCount": len(s["teams"]), "teams": s["teams"]})
        elif path == "/api/search":
            self.reply(200, [])
        else:
            self.reply(404, {"message": "Not found"})

    def s3(self, path: str, query: dict[str, list[str]], auth: str) -> None:
        b = self.state["bucket"]
        if not auth.startswith(f"AWS4-HMAC-SHA256 Credential={S3_KEY_ID}/"):
            self.xml(403, "<Error><Code>InvalidAccessKeyId</Code></Error>")
            return
        if path.strip("/") != b["name"]:
            self.xml(404, "<Error><Code>NoSuchBucket</Code></Error>")
            return
        ns = ' xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
        if "location" in query:
            self.xml(200, f"<LocationConstraint{ns}>{b['region']}</LocationConstraint>")
        elif "versioning" in query:
            status = f"<Status>{b['versioning']}</Status>" if b["versioning"] else ""
            self.xml(200, f"<VersioningConfiguration{ns}>{status}</VersioningConfiguration>")
        elif "lifecycle" in query:
            if not b["lifecycle"]:
                self.xml(404, "<Error><Code>NoSuchLifecycleConfiguration</Code></Error>")
                return
            self.xml(
                200,
                f"<LifecycleConfiguration{ns}><Rule><ID>keep</ID><Status>Enabled</Status>"
                "<NoncurrentVersionExpiration><NoncurrentDays>90</NoncurrentDays></NoncurrentVersionExpiration>"
                "<Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>"
                "</Rule></LifecycleConfiguration>",
            )
        elif query.get("list-type") == ["2"]:
            # two pages, to exercise the continuation token
            objects = b["objects"]
            first = "continuation-token" not in query
            page = objects[:1] if first else objects[1:]
            items = "".join(
                f"<Contents><Key>{k}</Key><LastModified>{_now() if t == 'NOW' else t}</LastModified></Contents>"
                for k, t in page
            )
            more = "<IsTruncated>true</IsTruncated><NextContinuationToken>t2</NextContinuationToken>" if first else ""
            self.xml(200, f"<ListBucketResult{ns}>{items}{more}</ListBucketResult>")
        else:
            self.xml(400, "<Error><Code>InvalidRequest</Code></Error>")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@contextmanager
def fake_tools() -> Iterator[tuple[str, dict[str, Any], list[dict[str, str]]]]:
    """(base URL, the state to change, the requests seen) of a fresh server."""
    state = copy.deepcopy(BASE)
    seen: list[dict[str, str]] = []
    handler = type("H", (Handler,), {"state": state, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state, seen
    finally:
        server.shutdown()
        server.server_close()
