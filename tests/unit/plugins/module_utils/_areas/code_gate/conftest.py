"""A real application repository (the lab's generator) and the lab's GitHub stand-in served in-process over HTTP."""

from __future__ import annotations

import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[6] / "tests" / "lab"
sys.path.insert(0, str(LAB))
sys.path.insert(0, str(LAB / "data"))

import app_repo  # noqa: E402
from standins import github as standin  # noqa: E402

TOKEN = "github_pat_unitTESTtoken_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"


@pytest.fixture(scope="session")
def token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def lab_repo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """{path, tags, fixtures}: the generated repository and its GitHub fixture folder."""
    dest = tmp_path_factory.mktemp("app-repo")
    tags = app_repo.generate(dest, "127.0.0.1:15450")
    return {"path": dest / "sme-platform", "tags": tags, "fixtures": dest / "github"}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@pytest.fixture(scope="session")
def github_api(lab_repo: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the GitHub stand-in (plain HTTP on an ephemeral port), with TOKEN as its token."""
    secrets = tmp_path_factory.mktemp("secrets")
    (secrets / "github_token").write_text(TOKEN + "\n")
    standin.SECRETS, standin.FIXTURES = secrets, lab_repo["fixtures"]
    server = _Server(("127.0.0.1", 0), standin.GitHub)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
