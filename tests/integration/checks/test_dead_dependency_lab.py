"""A dead dependency ends its check fast with one line naming the server by its own address and what to do.

The PostgreSQL primary is stopped (pg_ctl stop, fast mode) behind PgBouncer: the checks that connect to it
directly are refused at once, the ones through PgBouncer would wait for PgBouncer's query_wait_timeout (120 s)
without the collection's own deadline. Prometheus is stopped for the monitoring checks. Each server is
started again afterwards."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from checks_support import ROOT, stop_process

pytestmark = pytest.mark.lab

PGBIN = Path("/usr/lib/postgresql/15/bin")
BUDGET = 20  # seconds from the first connection to the last answer of a section's checks: the time to NO-GO
RUN_BUDGET = 90  # the whole ansible-playbook run, Ansible's own start-up included (slow on a loaded machine)


def _slowest(run) -> float:
    return max(e.get("duration") or 0.0 for i in run.items.values() for e in i["evidence"])


def _as_postgres(*args: str) -> subprocess.CompletedProcess:
    cmd = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *args]
    return subprocess.run(cmd, cwd="/", capture_output=True, text=True, timeout=120, check=False)


def _primary_dir() -> Path:
    return (ROOT / ".lab" / "data" / "pg").resolve() / "primary"


@pytest.fixture
def primary_stopped(lab):
    data = _primary_dir()
    stop = _as_postgres(str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop")
    assert stop.returncode == 0, stop.stderr
    try:
        yield "127.0.0.1:15432"
    finally:
        log = data.parent / "log" / "primary.log"
        start = _as_postgres(str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60", "start")
        assert start.returncode == 0, start.stderr
        _wait_for_pgbouncer(lab)


def _wait_for_pgbouncer(lab, seconds: float = 90) -> None:
    """PgBouncer refuses queries for server_login_retry (15 s) after its last failed server login: the next tests
    need it serving again."""
    import psycopg

    password = Path(lab["SMEPLATFORM_LAB_PG_APP_PASSWORD_FILE"]).read_text().strip()
    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=int(lab["SMEPLATFORM_LAB_PGBOUNCER_PORT"]),
                dbname="sme_platform",
                user="sme_app",
                password=password,
                connect_timeout=5,
            ) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_a_stopped_primary_is_named_by_its_address_within_the_budget(run_role, lab, primary_stopped):
    started = time.monotonic()
    run = run_role("database", check=True)
    elapsed = time.monotonic() - started
    assert _slowest(run) <= BUDGET, f"the database checks took {_slowest(run):.0f} s with the primary stopped"
    assert elapsed <= RUN_BUDGET, f"the run took {elapsed:.0f} s with the primary stopped"
    primary = run.evidence("4.1.1")
    assert primary["status"] == "failed"
    assert primary["detail"].startswith(f"cannot connect to the PostgreSQL primary as sme_ops@{primary_stopped}/")
    assert primary["detail"].endswith(
        f"; start the PostgreSQL primary at {primary_stopped} (or correct database_host and database_port)"
    )
    pooled = run.evidence("4.1.6")
    assert pooled["status"] == "failed"
    assert f"cannot reach the PostgreSQL primary at {primary_stopped}: start it" in pooled["detail"], pooled
    assert run.status("4.2.4") == "failed"
    assert "\n" not in primary["detail"] + pooled["detail"]


def test_a_stopped_primary_in_the_pre_deploy_run_is_one_no_go_reason(lab, tmp_path, primary_stopped):
    report_dir = tmp_path / "reports"
    env = {**lab, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "SMEPLATFORM_REPORT_DIR": str(report_dir)}
    started = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", "-i", str(ROOT / "inventories" / "lab"), str(ROOT / "playbooks" / "pre_deploy.yml"),
         "--check", "--tags", "database,report"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert elapsed <= RUN_BUDGET, f"NO-GO after {elapsed:.0f} s with the primary stopped"
    report = json.loads(sorted(report_dir.glob("*.json"))[-1].read_text())
    slowest = max(e.get("duration") or 0.0 for i in report["items"] for e in i["evidence"])
    assert slowest <= BUDGET, f"a database check took {slowest:.0f} s with the primary stopped"
    assert report["verdict"]["decision"] == "NO-GO"
    reasons = "\n".join(report["verdict"]["reasons"])
    assert f"start the PostgreSQL primary at {primary_stopped}" in reasons, reasons


@pytest.fixture
def prometheus_stopped(lab):
    stop_process(ROOT / ".lab" / "data" / "run" / "prometheus.pid")
    try:
        yield lab["PROMETHEUS_URL"]
    finally:
        up = subprocess.run(
            ["bash", str(ROOT / "tests" / "lab" / "data" / "lab.sh"), "up"],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        assert up.returncode == 0, up.stderr[-2000:]


def test_a_stopped_prometheus_is_named_by_its_address_within_the_budget(run_role, prometheus_stopped):
    started = time.monotonic()
    run = run_role("monitoring", check=True)
    elapsed = time.monotonic() - started
    assert _slowest(run) <= BUDGET, f"the monitoring checks took {_slowest(run):.0f} s with Prometheus stopped"
    assert elapsed <= RUN_BUDGET, f"the run took {elapsed:.0f} s with Prometheus stopped"
    failed = [i for i in run.items.values() if i["status"] == "failed"]
    assert failed, run.output[-3000:]
    address = prometheus_stopped.split("//")[-1].rstrip("/")
    details = {i["id"]: e["detail"] for i in failed for e in i["evidence"]}
    assert {"6.1.1", "6.1.2", "6.1.3", "6.1.4"} <= set(details), details
    advice = f"; start Prometheus at {prometheus_stopped} (or correct monitoring_prometheus_url)"
    for item in ("6.1.1", "6.1.2", "6.1.3", "6.1.4"):
        assert address in details[item] and details[item].endswith(advice), details[item]
