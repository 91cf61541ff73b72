"""Helpers of the smoke gate's lab tests: the lab's settings, a release of the reference chart, the platform.

The platform stand-in watches the release `sme-platform` in namespace `sme-platform`, which other tests use
too: every test that changes the release puts v1.0.0 with the lab values back before it ends.
"""

from __future__ import annotations

import json
import os
import shlex
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LAB = Path(os.environ.get("SMEPLATFORM_LAB_DIR") or ROOT / ".lab")
PLAYBOOK = Path(__file__).parent / "playbook_smoke.yml"
CHART = ROOT / "charts" / "sme-platform"
GOOD_TAG = "v1.0.0"
API = "https://api.smeplatform.test:15543"


def lab_settings() -> dict[str, str]:
    env = dict(os.environ)
    out = subprocess.run(
        ["bash", str(ROOT / "tests/lab/lab.sh"), "env"], capture_output=True, text=True, timeout=120, check=False
    )
    for line in out.stdout.splitlines():
        if line.startswith("export "):
            name, _unused, raw = line[len("export ") :].partition("=")
            value = " ".join(shlex.split(raw))
            env[name] = value.replace("$PATH", env.get("PATH", ""))
    return env


def client_ip() -> str:
    """A client address of its own (X-Forwarded-For): rate-limit buckets never mix between runs."""
    n = uuid.uuid4().int
    return f"198.51.{100 + n % 2}.{1 + (n >> 8) % 254}"


def platform_get(path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    """GET on the platform stand-in at 127.0.0.1, presenting the API's name (SNI and Host)."""
    ctx = ssl.create_default_context(cafile=str(LAB / "tls" / "ca.crt"))
    ctx.check_hostname = False  # connecting by address; the name is the Host header's
    req = urllib.request.Request(
        f"https://127.0.0.1:15543{path}",
        headers={"Host": "api.smeplatform.test:15543", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=5) as r:  # noqa: S310 - fixed https URL
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class Release:
    """helm upgrade --install of the reference chart into the namespace the stand-in watches."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def deploy(self, tag: str = GOOD_TAG, *sets: str, wait: bool = True) -> None:
        """wait=False returns once helm has applied the objects and recorded the revision deployed."""
        cmd = [
            "helm", "upgrade", "--install", "sme-platform", str(CHART), "-n", "sme-platform", "--create-namespace",
            "-f", str(CHART / "values-lab.yaml"), "--set", f"backend.image.tag={tag}",
            "--set", f"frontend.image.tag={tag}", *(["--wait"] if wait else []), "--timeout", "180s",
        ]  # fmt: skip
        for s in sets:
            cmd += ["--set", s]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, f"helm failed: {proc.stdout}\n{proc.stderr}"

    def wait_serving(self, predicate, what: str, timeout: float = 30) -> None:
        """Until the stand-in (which caches the cluster for a second) serves what was deployed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.5)
        pytest.fail(f"the platform stand-in did not start serving {what} within {timeout:g} s", pytrace=False)

    def good(self) -> None:
        self.deploy(GOOD_TAG)
        self.wait_serving(lambda: health_version() == GOOD_TAG, GOOD_TAG)


def health_version() -> str | None:
    status, _unused, body = platform_get("/health")
    try:
        return json.loads(body).get("version") if status == 200 else None
    except ValueError:
        return None


def quiet_prometheus(env: dict[str, str], timeout: float = 420) -> float:
    """Wait until the lab Prometheus has seen no 5xx answer for 2 minutes and no critical alert fires (other
    tests deploy faulty builds).

    Two minutes is the lab inventory's window for "no errors in the last 10 minutes" (smoke_errors_10m_query).
    HighErrorRate (roles/monitoring/files/sme-platform-alerts.yml) looks at 5 minutes: once it fires it resolves
    only 5 minutes after the last 5xx answer, hence the default timeout.

    Returns the seconds waited. Fails the test, naming what still fires, when the lab is not quiet by `timeout`:
    a run started on a noisy Prometheus would fail for a reason that has nothing to do with the test.
    """
    url = env.get("PROMETHEUS_URL", "http://127.0.0.1:15490")
    query = (
        'sum(increase(http_requests_total{status=~"5.."}[2m])) > 0 or ALERTS{severity="critical",alertstate="firing"}'
    )
    started = time.monotonic()
    result: list = []
    while time.monotonic() - started < timeout:
        q = urllib.parse.urlencode({"query": query})
        with urllib.request.urlopen(f"{url}/api/v1/query?{q}", timeout=5) as r:  # noqa: S310 - the lab's Prometheus
            result = json.loads(r.read())["data"]["result"]
        if not result:
            return time.monotonic() - started
        time.sleep(10)
    noisy = [one["metric"].get("alertname", "5xx answers in the last 2m") for one in result]
    raise AssertionError(f"the lab Prometheus was not quiet after {timeout:.0f} s: {noisy}")
