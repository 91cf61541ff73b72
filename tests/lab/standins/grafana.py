"""Stand-in for the subset of Grafana's HTTP API (Grafana 11) that the collection reads.

Run from tests/lab:  python -m standins.grafana
HTTPS on :15584 (lab certificate, name grafana.smeplatform.test). Grafana itself cannot be installed here (AGPL,
and no Debian package), so this answers as Grafana's documented API does, for:

  GET /api/health                          no authentication: {commit, database: "ok", version}
  GET /api/datasources                     the organisation's data sources
  GET /api/datasources/uid/{uid}/health    Grafana's own health check: for a Prometheus source it really queries
                                           `1+1` at the source's URL (200 {status: OK} or 400 {status: ERROR})
  GET /api/search                          dashboards (type dash-db), optional query= on the title
  GET /api/dashboards/uid/{uid}            {dashboard, meta} or 404 {"message": "Dashboard not found"}
  GET /api/org/users                       users of the organisation with their roles
  GET /api/teams/search                    {totalCount, teams: [{id, name, memberCount}], page, perPage}

Every /api request but /api/health needs the lab's service account token (Bearer glsa_…, secrets/grafana_token);
anything else gets 401 {"message": "Unauthorized"}, as Grafana with anonymous access off answers.
The organisation lives in one JSON file (--state, default .lab/edge/grafana/state.json), written with the lab's
organisation when missing and re-read when it changes, so tests can remove a dashboard or point a data source at
a dead address and put the file back.
"""

from __future__ import annotations

import argparse
import hmac
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from standins.common import JSONHandler, TLSServer, read_secret, serve_forever, setup_logging, tls_context

LOG = setup_logging("grafana")
SECRETS: Path = Path()
VERSION = "11.3.0"


def default_state(prometheus_url: str) -> dict[str, Any]:
    """The lab's organisation: Prometheus as data source, the platform's dashboard, four users, one team."""

    def panel(pid: int, title: str, expr: str, y: int) -> dict[str, Any]:
        return {
            "id": pid,
            "type": "timeseries",
            "title": title,
            "gridPos": {"h": 8, "w": 12, "x": 0 if pid % 2 else 12, "y": y},
            "datasource": {"type": "prometheus", "uid": "prometheus-lab"},
            "targets": [{"refId": "A", "expr": expr}],
        }

    return {
        "datasources": [
            {
                "id": 1,
                "uid": "prometheus-lab",
                "orgId": 1,
                "name": "Prometheus",
                "type": "prometheus",
                "typeName": "Prometheus",
                "access": "proxy",
                "url": prometheus_url,
                "isDefault": True,
                "readOnly": True,
                "basicAuth": False,
                "jsonData": {"httpMethod": "POST"},
            }
        ],
        "dashboards": [
            {
                "id": 1,
                "uid": "sme-platform-overview",
                "title": "SME Platform overview",
                "tags": ["sme-platform"],
                "schemaVersion": 39,
                "version": 3,
                "panels": [
                    {"id": 10, "type": "row", "title": "Traffic", "collapsed": False, "panels": []},
                    panel(1, "Request rate", "sum(rate(http_requests_total[5m]))", 1),
                    panel(2, "Error rate (5xx)", 'sum(rate(http_requests_total{status=~"5.."}[5m]))', 1),
                    panel(
                        3,
                        "Response time p95",
                        "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
                        9,
                    ),
                    {
                        "id": 20,
                        "type": "row",
                        "title": "Resources",
                        "collapsed": True,
                        "panels": [
                            panel(5, "Pod CPU", "sum(rate(container_cpu_usage_seconds_total[5m]))", 18),
                            panel(6, "Pod memory", "sum(container_memory_working_set_bytes)", 18),
                        ],
                    },
                ],
            }
        ],
        "users": [
            {"userId": 1, "login": "admin", "email": "admin@smeplatform.test", "role": "Admin"},
            {"userId": 2, "login": "devops-lead", "email": "devops@smeplatform.test", "role": "Admin"},
            {"userId": 3, "login": "oncall", "email": "oncall@smeplatform.test", "role": "Editor"},
            {"userId": 4, "login": "developer", "email": "dev@smeplatform.test", "role": "Viewer"},
        ],
        "teams": [{"id": 1, "name": "SRE", "email": "sre@smeplatform.test", "members": [2, 3]}],
    }


class State:
    """The organisation's JSON file, re-read when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._data: dict[str, Any] = {}

    def get(self) -> dict[str, Any]:
        with self._lock:
            stamp = self.path.stat().st_mtime_ns
            if stamp != self._stamp:
                self._data = json.loads(self.path.read_text())
                self._stamp = stamp
            return self._data


STATE: State


def source_health(source: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """What Grafana's health check answers for a data source: a real query of Prometheus sources."""
    if source.get("type") != "prometheus":
        return 400, {"status": "ERROR", "message": f"plugin health check not implemented for {source.get('type')}"}
    url = str(source.get("url") or "").rstrip("/") + "/api/v1/query?query=" + quote("1+1")
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - the lab data source's URL
            body = json.load(answer)
        if body.get("status") == "success":
            return 200, {"status": "OK", "message": "Successfully queried the Prometheus API."}
        problem = f"unexpected answer status {body.get('status')!r}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        problem = f'Post "{url}": {reason}'
    return 400, {
        "status": "ERROR",
        "message": f"{problem} - There was an error returned querying the Prometheus API.",
    }


class Grafana(JSONHandler):
    server_version = "grafana"

    def authorised(self) -> bool:
        token = self.bearer()
        return token is not None and hmac.compare_digest(token.encode(), read_secret(SECRETS, "grafana_token").encode())

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/")
        query = parse_qs(parts.query)
        if path == "/api/health":
            self.send_json(200, {"commit": "lab", "database": "ok", "version": VERSION})
            return
        if not self.authorised():
            self.send_json(401, {"message": "Unauthorized", "messageId": "auth.unauthorized", "statusCode": 401})
            return
        state = STATE.get()
        segments = [unquote(s) for s in path.split("/")]
        if path == "/api/datasources":
            self.send_json(200, state["datasources"])
        elif len(segments) == 6 and segments[:4] == ["", "api", "datasources", "uid"] and segments[5] == "health":
            source = next((d for d in state["datasources"] if d["uid"] == segments[4]), None)
            if source is None:
                self.send_json(404, {"message": "Data source not found"})
            else:
                self.send_json(*source_health(source))
        elif path == "/api/search":
            wanted = (query.get("query") or [""])[0].lower()
            self.send_json(
                200,
                [
                    {
                        "id": d["id"],
                        "uid": d["uid"],
                        "title": d["title"],
                        "uri": f"db/{d['uid']}",
                        "url": f"/d/{d['uid']}",
                        "type": "dash-db",
                        "tags": d.get("tags", []),
                        "isStarred": False,
                    }
                    for d in state["dashboards"]
                    if wanted in d["title"].lower()
                ],
            )
        elif len(segments) == 5 and segments[:4] == ["", "api", "dashboards", "uid"]:
            found = next((d for d in state["dashboards"] if d["uid"] == segments[4]), None)
            if found is None:
                self.send_json(404, {"message": "Dashboard not found"})
            else:
                meta = {
                    "type": "db",
                    "slug": found["uid"],
                    "url": f"/d/{found['uid']}",
                    "version": found.get("version"),
                }
                self.send_json(200, {"dashboard": found, "meta": meta})
        elif path == "/api/org/users":
            self.send_json(
                200,
                [{"orgId": 1, "avatarUrl": "", "lastSeenAt": "", "lastSeenAtAge": "", **u} for u in state["users"]],
            )
        elif path == "/api/teams/search":
            teams = [
                {
                    "id": t["id"],
                    "orgId": 1,
                    "name": t["name"],
                    "email": t.get("email", ""),
                    "memberCount": len(t["members"]),
                }
                for t in state["teams"]
            ]
            self.send_json(200, {"totalCount": len(teams), "teams": teams, "page": 1, "perPage": 1000})
        else:
            self.send_json(404, {"message": "Not found"})


def main() -> None:
    global SECRETS, STATE
    repo = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15584)
    p.add_argument("--tls-dir", default=str(repo / ".lab/tls"))
    p.add_argument("--secrets-dir", default=str(repo / ".lab/edge/secrets"))
    p.add_argument("--state", default=str(repo / ".lab/edge/grafana/state.json"))
    p.add_argument("--prometheus-url", default="http://127.0.0.1:15490")
    args = p.parse_args()
    SECRETS = Path(args.secrets_dir)
    state = Path(args.state)
    if not state.exists():
        state.parent.mkdir(parents=True, exist_ok=True)
        state.write_text(json.dumps(default_state(args.prometheus_url), indent=1))
    STATE = State(state)
    server = TLSServer((args.listen, args.port), Grafana, tls_context(Path(args.tls_dir)))
    LOG.info("grafana listening on https://%s:%d (state %s)", args.listen, args.port, state)
    serve_forever([server])


if __name__ == "__main__":
    main()
