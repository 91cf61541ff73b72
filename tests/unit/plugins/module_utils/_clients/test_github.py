"""The GitHub client: pages, errors that name the request but never the token, artifacts fetched without it."""

from __future__ import annotations

import http.server
import io
import json
import threading
import zipfile
from collections.abc import Iterator

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.github import GitHub
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.http import HttpSession
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ApiError,
    ConfigurationError,
    ConnectionFailure,
)

TOKEN = "ghp_unitTestTokenValue0123456789abcdefABCD"
SEEN: list[dict[str, str]] = []


class Fake(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_args) -> None:
        pass

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        SEEN.append({"path": self.path, "auth": self.headers.get("Authorization", "")})
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path.startswith("/blob/"):
            if self.headers.get("Authorization"):
                self.reply(400, b"no auth header here")
                return
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as archive:
                archive.writestr("coverage/coverage-summary.json", '{"total": {}}')
            self.reply(200, out.getvalue())
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.reply(401, json.dumps({"message": "Bad credentials"}).encode())
        elif self.path.startswith("/repos/o/r/actions/secrets"):
            page = 2 if "page=2" in self.path else 1
            names = [{"name": f"S{page}{i}"} for i in range(2)]
            link = {"Link": f'<{base}/repos/o/r/actions/secrets?per_page=100&page=2>; rel="next"'} if page == 1 else {}
            self.reply(200, json.dumps({"total_count": 4, "secrets": names}).encode(), link)
        elif self.path.startswith("/repos/o/r/actions/artifacts/5/zip"):
            self.reply(302, b"", {"Location": f"{base}/blob/5.zip?sig=x"})
        elif self.path.startswith("/repos/o/r/releases/tags/"):
            self.reply(404, json.dumps({"message": "Not Found"}).encode())
        else:
            self.reply(500, json.dumps({"message": "boom"}).encode())


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(api: str, token: str = TOKEN) -> GitHub:
    return GitHub(api, "o/r", token, lambda: HttpSession(timeout=5))


def test_pages_are_followed(api):
    assert client(api).secret_names() == ["S10", "S11", "S20", "S21"]


def test_artifacts_are_fetched_from_the_redirect_without_the_token(api):
    SEEN.clear()
    files = client(api).artifact_files({"id": 5, "name": "coverage"})
    assert list(files) == ["coverage/coverage-summary.json"]
    blob = [s for s in SEEN if s["path"].startswith("/blob/")]
    assert blob and blob[0]["auth"] == ""


def test_a_missing_release_is_none(api):
    assert client(api).release("v1.0.0") is None


def test_errors_name_the_request_never_the_token(api):
    with pytest.raises(ConnectionFailure) as caught:
        client(api, "ghp_wrongTokenValue999").workflows()
    assert "refused the token" in str(caught.value) and "wrongTokenValue" not in str(caught.value)
    with pytest.raises(ApiError) as caught:
        client(api).workflows()
    assert "500" in str(caught.value) and TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "repo", "token", "message"),
    [
        ("ftp://x", "o/r", TOKEN, "not an absolute http"),
        ("https://api.github.com", "o", TOKEN, "owner/name"),
        ("https://api.github.com", "o/r", "", "no GitHub token"),
    ],
)
def test_bad_settings(url, repo, token, message):
    with pytest.raises(ConfigurationError, match=message):
        GitHub(url, repo, token, HttpSession)
