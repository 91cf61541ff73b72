"""Stand-in for the GitHub REST API (the parts a release gate reads).

Run from tests/lab:  python -m standins.github
HTTPS on :15583 with the lab certificate. Every repository is one JSON file
<fixtures>/<owner>/<repo>.json (written by tests/lab/data/app_repo.py for smeplatform/sme-platform;
tests add variants beside it), re-read when it changes. Answers as api.github.com does
(paths, shapes, pagination with Link headers, status codes and error bodies from its docs):

  GET /repos/{o}/{r}                                    the repository
  GET /repos/{o}/{r}/commits/{sha}/check-runs           check runs of a commit
  GET /repos/{o}/{r}/actions/runs?head_sha=             workflow runs (newest first)
  GET /repos/{o}/{r}/actions/workflows                  workflows and their state
  GET /repos/{o}/{r}/actions/workflows/{id|file}/runs   runs of one workflow (status=, branch=, head_sha=)
  GET /repos/{o}/{r}/actions/runs/{id}/artifacts        artifacts of a run
  GET /repos/{o}/{r}/actions/artifacts/{id}/zip         302 to a signed blob URL (no Authorization accepted there)
  GET /repos/{o}/{r}/actions/secrets                    repository secret names (never values)
  GET /repos/{o}/{r}/releases/tags/{tag}                the release of a tag

Token: `Authorization: Bearer <token>` (or `token <token>`) with the lab's token from
.lab/edge/secrets/github_token, re-read on every request; anything else gets 401 "Bad credentials".
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import json
import re
import ssl
import threading
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from standins.common import JSONHandler, TLSServer, read_secret, serve_forever, setup_logging, tls_context

LOG = setup_logging("github")
SECRETS: Path = Path()
FIXTURES: Path = Path()
DOCS = "https://docs.github.com/rest"
_CACHE: dict[Path, tuple[float, dict[str, Any]]] = {}
_LOCK = threading.Lock()
_REPO = re.compile(r"^/repos/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)(/.*)?$")


def load(owner: str, repo: str) -> dict[str, Any] | None:
    path = FIXTURES / owner / f"{repo}.json"
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return None
    with _LOCK:
        cached = _CACHE.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        data = json.loads(path.read_text())
        _CACHE[path] = (mtime, data)
        return data


def blob_signature(full_name: str, artifact_id: int) -> str:
    key = read_secret(SECRETS, "github_token").encode()
    return hmac.new(key, f"{full_name}/{artifact_id}".encode(), hashlib.sha256).hexdigest()[:32]


def zipped(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2025, 11, 20, 6, 0, 0))
            archive.writestr(info, text)
    return out.getvalue()


def public(run: dict[str, Any]) -> dict[str, Any]:
    """A run as GitHub lists it: its artifacts are a list of their own."""
    return {k: v for k, v in run.items() if k != "artifacts"}


class GitHub(JSONHandler):
    server_version = "github.com"

    def extra_headers(self) -> dict[str, str]:
        return {"X-GitHub-Media-Type": "github.v3; format=json", "X-RateLimit-Limit": "5000"}

    def origin(self) -> str:
        """Scheme and host this request came in on (HTTPS in the lab; plain HTTP when a unit test serves it)."""
        scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
        return f"{scheme}://{self.headers.get('Host', '127.0.0.1')}"

    def error(self, status: int, message: str) -> None:
        self.send_json(status, {"message": message, "documentation_url": DOCS, "status": str(status)})

    def token(self) -> str | None:
        value = self.headers.get("Authorization", "")
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() in ("bearer", "token") and token.strip() else None

    def page(self, items: list[Any], key: str | None, query: dict[str, list[str]]) -> None:
        """One page of a list, with GitHub's Link header when there are more."""
        per_page = max(1, min(100, int((query.get("per_page") or ["30"])[0])))
        number = max(1, int((query.get("page") or ["1"])[0]))
        chunk = items[(number - 1) * per_page : number * per_page]
        headers = {}
        if number * per_page < len(items):
            base = urlsplit(self.path).path
            rest = {k: v[0] for k, v in query.items() if k not in ("page",)}
            args = "&".join(f"{k}={quote(str(v))}" for k, v in rest.items())
            url = f"{self.origin()}{base}?{args + '&' if args else ''}page={number + 1}"
            headers["Link"] = f'<{url}>; rel="next"'
        if key is None:
            self.send_json(200, chunk, headers)
        else:
            self.send_json(200, {"total_count": len(items), key: chunk}, headers)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path.startswith("/_blob/"):
            self.blob(parts.path, query)
            return
        token = self.token()
        if token is None:
            self.error(401, "Requires authentication")
            return
        if not hmac.compare_digest(token.encode(), read_secret(SECRETS, "github_token").encode()):
            self.error(401, "Bad credentials")
            return
        match = _REPO.match(parts.path)
        data = load(match.group(1), match.group(2)) if match else None
        if data is None:
            self.error(404, "Not Found")
            return
        self.route(data, match.group(3) or "", query)

    def route(self, data: dict[str, Any], rest: str, query: dict[str, list[str]]) -> None:
        full = data["full_name"]
        runs = self.runs(data)
        if rest == "":
            self.send_json(200, {"full_name": full, "default_branch": data["default_branch"], "private": True})
        elif m := re.fullmatch(r"/commits/([0-9a-f]{7,40})/check-runs", rest):
            sha = m.group(1)
            found = next((c for s, c in data["commits"].items() if s.startswith(sha)), None)
            checks = [
                {
                    "id": 500000 + n,
                    "name": c["name"],
                    "head_sha": sha,
                    "status": c["status"],
                    "conclusion": c.get("conclusion"),
                    "html_url": f"https://github.com/{full}/runs/{500000 + n}",
                    "completed_at": "2025-11-20T06:10:00Z",
                }
                for n, c in enumerate((found or {}).get("check_runs", []))
            ]
            self.page(checks, "check_runs", query)
        elif rest == "/actions/runs":
            sha = (query.get("head_sha") or [""])[0]
            self.page([public(r) for r in runs if not sha or r["head_sha"] == sha], "workflow_runs", query)
        elif rest == "/actions/workflows":
            self.page(data["workflows"], "workflows", query)
        elif m := re.fullmatch(r"/actions/workflows/([^/]+)/runs", rest):
            workflow = next(
                (w for w in data["workflows"] if m.group(1) in (str(w["id"]), w["path"].rsplit("/", 1)[-1])), None
            )
            if workflow is None:
                self.error(404, "Not Found")
                return
            picked = [r for r in runs if r["workflow_id"] == workflow["id"]]
            for field, key in (("status", "status"), ("branch", "head_branch"), ("head_sha", "head_sha")):
                want = (query.get(field) or [""])[0]
                if want:
                    picked = [r for r in picked if r[key] == want or (field == "status" and r["conclusion"] == want)]
            self.page([public(r) for r in picked], "workflow_runs", query)
        elif m := re.fullmatch(r"/actions/runs/(\d+)/artifacts", rest):
            run = next((r for r in runs if r["id"] == int(m.group(1))), None)
            if run is None:
                self.error(404, "Not Found")
                return
            self.page(run["artifacts"], "artifacts", query)
        elif m := re.fullmatch(r"/actions/artifacts/(\d+)/zip", rest):
            artifact_id = int(m.group(1))
            if not any(a["id"] == artifact_id for r in runs for a in r["artifacts"]):
                self.error(404, "Not Found")
                return
            sig = blob_signature(full, artifact_id)
            location = f"{self.origin()}/_blob/{full}/artifacts/{artifact_id}.zip?sig={sig}"
            self.send_body(302, b"", "text/plain", {"Location": location})
        elif rest == "/actions/secrets":
            secrets = [
                {"name": name, "created_at": "2025-10-01T00:00:00Z", "updated_at": "2025-11-01T00:00:00Z"}
                for name in data["secrets"]
            ]
            self.page(secrets, "secrets", query)
        elif m := re.fullmatch(r"/releases/tags/(.+)", rest):
            release = next((r for r in data["releases"] if r["tag_name"] == m.group(1)), None)
            if release is None:
                self.error(404, "Not Found")
                return
            self.send_json(200, {**release, "html_url": f"https://github.com/{full}/releases/tag/{m.group(1)}"})
        else:
            self.error(404, "Not Found")

    def runs(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Workflow runs in GitHub's shape, newest first; artifacts with their download URLs."""
        by_file = {w["path"].rsplit("/", 1)[-1]: w for w in data["workflows"]}
        out = []
        for sha, commit in data["commits"].items():
            for run in commit.get("workflow_runs", []):
                workflow = by_file.get(run["workflow"], {"id": 0, "name": run["workflow"], "path": run["workflow"]})
                base = f"{self.origin()}/repos/{data['full_name']}/actions"
                artifacts = [
                    {
                        "id": a["id"],
                        "name": a["name"],
                        "expired": a.get("expired", False),
                        "size_in_bytes": sum(len(t) for t in a["files"].values()),
                        "archive_download_url": f"{base}/artifacts/{a['id']}/zip",
                        "workflow_run": {"id": run["id"], "head_sha": sha},
                    }
                    for a in run.get("artifacts", [])
                ]
                out.append(
                    {
                        "id": run["id"],
                        "name": workflow["name"],
                        "workflow_id": workflow["id"],
                        "path": workflow["path"],
                        "head_sha": sha,
                        "head_branch": run.get("head_branch", ""),
                        "event": run.get("event", "push"),
                        "status": run.get("status", "completed"),
                        "conclusion": run.get("conclusion"),
                        "created_at": run.get("created_at", ""),
                        "html_url": f"https://github.com/{data['full_name']}/actions/runs/{run['id']}",
                        "artifacts": artifacts,
                    }
                )
        return sorted(out, key=lambda r: (r["created_at"], r["id"]), reverse=True)

    def blob(self, path: str, query: dict[str, list[str]]) -> None:
        """The signed download GitHub redirects to: it refuses an Authorization header, as blob storage does."""
        m = re.fullmatch(r"/_blob/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/artifacts/(\d+)\.zip", path)
        data = load(m.group(1), m.group(2)) if m else None
        if data is None:
            self.send_body(404, b"BlobNotFound", "text/plain")
            return
        artifact_id = int(m.group(3))
        if self.headers.get("Authorization"):
            self.send_body(400, b"InvalidAuthenticationInfo: Authentication information is not given in the correct "
                           b"format", "text/plain")  # fmt: skip
            return
        if not hmac.compare_digest((query.get("sig") or [""])[0], blob_signature(data["full_name"], artifact_id)):
            self.send_body(403, b"AuthenticationFailed", "text/plain")
            return
        for commit in data.get("commits", {}).values():
            for run in commit.get("workflow_runs", []):
                for artifact in run.get("artifacts", []):
                    if artifact["id"] == artifact_id:
                        self.send_body(200, zipped(artifact["files"]), "application/zip")
                        return
        self.send_body(404, b"BlobNotFound", "text/plain")


def main() -> None:
    global SECRETS, FIXTURES
    repo = Path(__file__).resolve().parents[3]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1")
    p.add_argument("--port", type=int, default=15583)
    p.add_argument("--tls-dir", default=str(repo / ".lab/tls"))
    p.add_argument("--secrets-dir", default=str(repo / ".lab/edge/secrets"))
    p.add_argument("--fixtures-dir", default=str(repo / ".lab/data/app-repo/github"))
    args = p.parse_args()
    SECRETS, FIXTURES = Path(args.secrets_dir), Path(args.fixtures_dir)
    server = TLSServer((args.listen, args.port), GitHub, tls_context(Path(args.tls_dir)))
    LOG.info("github listening on https://%s:%d (repositories from %s)", args.listen, args.port, FIXTURES)
    serve_forever([server])


if __name__ == "__main__":
    main()
