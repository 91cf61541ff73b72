"""Integration tests of the data lab (tests/lab/data/lab.sh).

They run against the real servers the component starts from Debian's packages:
PostgreSQL 15 primary and streaming replica, PgBouncer, Redis 7, Prometheus,
Alertmanager, the blackbox exporter and the registry. The lab must be up
(``tests/lab/data/lab.sh up``); settings come from ``lab.sh env``, which names the
files holding the secrets. Alert mail and /health probing also need the edge
component (SMTP relay, platform stand-in).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import shlex
import shutil
import socket
import stat
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest
import redis
import requests
import yaml
from psycopg import errors as pg_errors

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import checks as monitoring_checks
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.monitoring import targets as monitoring_targets

pytestmark = pytest.mark.lab

REPO = Path(__file__).resolve().parents[3]
LAB_SH = REPO / "tests" / "lab" / "data" / "lab.sh"
RULES = REPO / "roles" / "monitoring" / "files" / "sme-platform-alerts.yml"
RULES_TEST = REPO / "tests" / "lab" / "data" / "sme-platform-alerts.test.yml"
PORTS = {15432, 15433, 15434, 15450, 15479, 15490, 15493, 15495}
LAB_DIR = Path(os.environ.get("SMEPLATFORM_LAB_DIR") or REPO / ".lab")
SMTP_ADDR = ("127.0.0.1", 15525)
LAB_CA = LAB_DIR / "tls" / "ca.crt"
IMAGE_TAGS = {"v0.9.0", "v1.0.0", "v1.1.0", "v1.2.0-unready", "v1.2.0-faulty"}
MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
ALERT_GROUPS = {"sme-platform-availability", "sme-platform-errors", "sme-platform-latency"}


def read_secret(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").strip()


SETTINGS = (
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "SMEPLATFORM_LAB_PG_PASSWORD_FILE",
    "SMEPLATFORM_LAB_PG_APP_USER",
    "SMEPLATFORM_LAB_PG_APP_PASSWORD_FILE",
    "SMEPLATFORM_LAB_PG_REPLICA_PORT",
    "SMEPLATFORM_LAB_PG_WAL_ARCHIVE",
    "SMEPLATFORM_LAB_PGBOUNCER_PORT",
    "REDIS_URL",
    "SMEPLATFORM_LAB_REDIS_PASSWORD_FILE",
    "PROMETHEUS_URL",
    "ALERTMANAGER_URL",
    "SMEPLATFORM_LAB_BLACKBOX_URL",
    "SMEPLATFORM_LAB_HEALTH_URL",
    "SMEPLATFORM_LAB_ALERT_MAIL_TO",
    "SMEPLATFORM_LAB_REGISTRY",
    "SMEPLATFORM_LAB_REGISTRY_USER",
    "SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE",
)


@pytest.fixture(scope="module")
def data() -> dict[str, str]:
    """The component's settings: the environment first, then ``lab.sh env``."""
    out = subprocess.run(["bash", str(LAB_SH), "env"], capture_output=True, text=True, check=True, timeout=30)
    printed = {}
    for line in out.stdout.splitlines():
        if line.startswith("export "):
            name, _unused, raw = line[len("export ") :].partition("=")
            printed[name] = " ".join(shlex.split(raw))
    settings = {name: os.environ.get(name) or printed.get(name, "") for name in SETTINGS}
    missing = [name for name, value in settings.items() if not value]
    assert not missing, f"lab.sh env does not set {missing}"
    if not Path(settings["SMEPLATFORM_LAB_PG_PASSWORD_FILE"]).is_file():
        pytest.fail(f"the data lab is not up: run {LAB_SH} up", pytrace=False)
    return settings


def connect(data: dict[str, str], *, port: str | None = None, app: bool = False, **kw) -> psycopg.Connection:
    user = data["SMEPLATFORM_LAB_PG_APP_USER"] if app else data["PGUSER"]
    secret = data["SMEPLATFORM_LAB_PG_APP_PASSWORD_FILE"] if app else data["SMEPLATFORM_LAB_PG_PASSWORD_FILE"]
    params = {
        "host": data["PGHOST"],
        "port": port or data["PGPORT"],
        "user": user,
        "password": read_secret(secret),
        "dbname": data["PGDATABASE"],
        "connect_timeout": 5,
        "autocommit": True,
    }
    params.update(kw)
    return psycopg.connect(**params)


@pytest.fixture
def primary_ops(data: dict[str, str]) -> Iterator[psycopg.Connection]:
    with connect(data) as conn:
        yield conn


@pytest.fixture
def primary_app(data: dict[str, str]) -> Iterator[psycopg.Connection]:
    with connect(data, app=True) as conn:
        yield conn


@pytest.fixture
def replica_app(data: dict[str, str]) -> Iterator[psycopg.Connection]:
    with connect(data, port=data["SMEPLATFORM_LAB_PG_REPLICA_PORT"], app=True) as conn:
        yield conn


# --------------------------------------------------------------------------
# PostgreSQL


def test_primary_is_postgresql_15_and_writable(primary_ops: psycopg.Connection) -> None:
    row = primary_ops.execute(
        "SELECT current_setting('server_version_num')::int, pg_is_in_recovery(), current_database()"
    ).fetchone()
    assert row is not None
    version, in_recovery, database = row
    assert 150000 <= version < 160000
    assert in_recovery is False
    assert database == "sme_platform"


def test_replica_streams_rows_and_refuses_writes(primary_app: psycopg.Connection, replica_app) -> None:
    note = f"replication-{uuid.uuid4()}"
    primary_app.execute("INSERT INTO lab_probe (note) VALUES (%s)", (note,))
    deadline = time.monotonic() + 15
    seen = 0
    while time.monotonic() < deadline:
        row = replica_app.execute("SELECT count(*) FROM lab_probe WHERE note = %s", (note,)).fetchone()
        seen = row[0] if row else 0
        if seen:
            break
        time.sleep(0.2)
    assert seen == 1, "row written on the primary never reached the replica"
    assert replica_app.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
    with pytest.raises(pg_errors.ReadOnlySqlTransaction):
        replica_app.execute("INSERT INTO lab_probe (note) VALUES ('written on the replica')")


def test_replica_is_in_pg_stat_replication_through_a_slot(primary_ops: psycopg.Connection) -> None:
    rows = primary_ops.execute(
        "SELECT r.application_name, r.state, s.slot_name, s.active, s.slot_type"
        "  FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid"
    ).fetchall()
    assert ("sme_replica", "streaming", "sme_replica", True, "physical") in rows


def test_wal_archiving_grows_after_switch(data: dict[str, str], primary_ops, primary_app) -> None:
    assert primary_ops.execute("SHOW archive_mode").fetchone() == ("on",)
    before = primary_ops.execute("SELECT archived_count, failed_count FROM pg_stat_archiver").fetchone()
    assert before is not None
    # pg_switch_wal() only closes a segment that holds WAL: write some first.
    primary_app.execute("INSERT INTO lab_probe (note) VALUES (%s)", (f"archive-{uuid.uuid4()}",))
    primary_ops.execute("SELECT pg_switch_wal()")
    deadline = time.monotonic() + 30
    after = before
    while time.monotonic() < deadline:
        after = primary_ops.execute(
            "SELECT archived_count, failed_count, last_archived_wal FROM pg_stat_archiver"
        ).fetchone()
        assert after is not None
        if after[0] > before[0]:
            break
        time.sleep(0.25)
    assert after[0] > before[0], f"archived_count stayed at {before[0]} for 30s"
    assert after[1] == before[1], "archive_command failed"
    assert (Path(data["SMEPLATFORM_LAB_PG_WAL_ARCHIVE"]) / after[2]).is_file()


def test_app_role_has_least_privilege(primary_app: psycopg.Connection) -> None:
    row = primary_app.execute(
        "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,"
        "       has_database_privilege(current_user, current_database(), 'CREATE'),"
        "       has_schema_privilege(current_user, 'public', 'CREATE'),"
        "       has_schema_privilege(current_user, 'public', 'USAGE')"
        "  FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    assert row == (False, False, False, False, False, False, False, True)
    with pytest.raises(pg_errors.InsufficientPrivilege):
        primary_app.execute("CREATE TABLE app_may_not_create (id int)")
    with pytest.raises(pg_errors.InsufficientPrivilege):
        primary_app.execute("DROP TABLE lab_probe")
    # DML on the owner's tables comes from default privileges.
    note = f"dml-{uuid.uuid4()}"
    with primary_app.transaction():
        primary_app.execute("INSERT INTO lab_probe (note) VALUES (%s)", (note,))
        primary_app.execute("UPDATE lab_probe SET note = note || '-updated' WHERE note = %s", (note,))
        deleted = primary_app.execute("DELETE FROM lab_probe WHERE note = %s", (f"{note}-updated",)).rowcount
    assert deleted == 1


def test_wrong_password_is_refused_over_scram(data: dict[str, str], primary_ops: psycopg.Connection) -> None:
    assert primary_ops.execute("SHOW password_encryption").fetchone() == ("scram-sha-256",)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(data, password="not-the-password").close()


def test_pgbouncer_pools_transactions_for_the_app(data: dict[str, str]) -> None:
    with connect(data, port=data["SMEPLATFORM_LAB_PGBOUNCER_PORT"], app=True) as conn:
        assert conn.execute("SELECT current_user, current_database()").fetchone() == ("sme_app", "sme_platform")
        # The server answering is the primary, not PgBouncer itself.
        assert conn.execute("SELECT inet_server_port()").fetchone() == (int(data["PGPORT"]),)
    admin = connect(
        data,
        port=data["SMEPLATFORM_LAB_PGBOUNCER_PORT"],
        dbname="pgbouncer",
        cursor_factory=psycopg.ClientCursor,
    )
    with admin:
        config = dict((name, value) for name, value, *_unused in admin.execute("SHOW CONFIG").fetchall())
        pools = admin.execute("SHOW POOLS").fetchall()
    assert config["pool_mode"] == "transaction"
    assert config["listen_addr"] == "127.0.0.1"
    assert config["auth_type"] == "scram-sha-256"
    assert any(p[0] == "sme_platform" for p in pools)


# --------------------------------------------------------------------------
# Redis


def test_redis_refuses_commands_without_auth(data: dict[str, str]) -> None:
    anonymous = redis.Redis.from_url(data["REDIS_URL"], socket_timeout=5)
    with pytest.raises(redis.exceptions.AuthenticationError):
        anonymous.set("lab:anonymous", "1")
    wrong = redis.Redis.from_url(data["REDIS_URL"], password="not-the-password", socket_timeout=5)
    with pytest.raises(redis.exceptions.AuthenticationError):
        wrong.ping()


def test_redis_accepts_commands_with_auth(data: dict[str, str]) -> None:
    client = redis.Redis.from_url(
        data["REDIS_URL"],
        password=read_secret(data["SMEPLATFORM_LAB_REDIS_PASSWORD_FILE"]),
        socket_timeout=5,
        decode_responses=True,
    )
    key, value = f"lab:probe:{uuid.uuid4()}", uuid.uuid4().hex
    assert client.set(key, value, ex=60) is True
    assert client.get(key) == value
    info = client.info("server")
    assert info["redis_version"].startswith("7.")
    assert client.config_get("appendonly") == {"appendonly": "no"}
    assert client.config_get("bind")["bind"] == "127.0.0.1"


# --------------------------------------------------------------------------
# Prometheus and Alertmanager


def prom(data: dict[str, str], path: str) -> dict:
    resp = requests.get(data["PROMETHEUS_URL"] + path, timeout=10)
    resp.raise_for_status()
    body = resp.json()
    assert body["status"] == "success"
    return body["data"]


def test_prometheus_is_ready_with_30_day_retention(data: dict[str, str]) -> None:
    assert requests.get(data["PROMETHEUS_URL"] + "/-/ready", timeout=10).status_code == 200
    flags = prom(data, "/api/v1/status/flags")
    assert flags["storage.tsdb.retention.time"] == "30d"
    assert flags["web.listen-address"].startswith("127.0.0.1:")


def test_prometheus_loaded_the_platform_alert_rules(data: dict[str, str]) -> None:
    groups = prom(data, "/api/v1/rules")["groups"]
    assert {g["name"] for g in groups} >= ALERT_GROUPS
    # Health is "unknown" until a group's first evaluation (15 s interval).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        groups = prom(data, "/api/v1/rules")["groups"]
        if all(r["health"] != "unknown" for g in groups for r in g["rules"]):
            break
        time.sleep(1)
    alerts = {r["name"]: r for g in groups for r in g["rules"] if r["type"] == "alerting"}
    assert {"HighErrorRate", "HighLatencyP95", "BackendDown"} <= alerts.keys()
    assert alerts["HighErrorRate"]["labels"]["severity"] == "critical"
    assert alerts["BackendDown"]["labels"]["severity"] == "critical"
    assert all(r["health"] == "ok" for r in alerts.values()), {n: r.get("lastError") for n, r in alerts.items()}


def test_prometheus_scrapes_the_backend_over_tls(data: dict[str, str]) -> None:
    targets = prom(data, "/api/v1/targets")["activeTargets"]
    backend = [t for t in targets if t["labels"].get("job") == "sme-platform-backend"]
    assert len(backend) == 1
    assert backend[0]["scrapeUrl"] == "https://127.0.0.1:15543/metrics"
    config = prom(data, "/api/v1/status/config")["yaml"]
    assert "server_name: api.smeplatform.test" in config
    assert "scrape_interval: 5s" in config
    managers = prom(data, "/api/v1/alertmanagers")["activeAlertmanagers"]
    assert [m["url"] for m in managers] == [data["ALERTMANAGER_URL"] + "/api/v2/alerts"]


def test_alertmanager_is_ready_without_clustering(data: dict[str, str]) -> None:
    assert requests.get(data["ALERTMANAGER_URL"] + "/-/ready", timeout=10).status_code == 200
    status = requests.get(data["ALERTMANAGER_URL"] + "/api/v2/status", timeout=10).json()
    assert status["cluster"]["status"] == "disabled"
    assert status["config"]["original"].startswith("global:")


def eventually(check: Callable[[], Any], timeout: float, what: str, interval: float = 0.5) -> Any:
    """Poll check() until it returns a truthy value; fail with the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s (last: {last!r})")


def require_listening(addr: tuple[str, int], what: str) -> None:
    try:
        socket.create_connection(addr, timeout=2).close()
    except OSError:
        pytest.fail(f"{what} is not listening on {addr[0]}:{addr[1]}: tests/lab/edge/lab.sh up", pytrace=False)


def alertmanager_config(data: dict[str, str]) -> dict[str, Any]:
    status = requests.get(data["ALERTMANAGER_URL"] + "/api/v2/status", timeout=10).json()
    return yaml.safe_load(status["config"]["original"])


def test_alertmanager_routes_alerts_to_an_email_receiver(data: dict[str, str]) -> None:
    config = alertmanager_config(data)
    routed = monitoring_checks._routed_receivers(config["route"])  # the 6.2.4 check's own reading
    receivers = {r["name"]: r for r in config["receivers"]}
    mailing = [receivers[name]["email_configs"] for name in routed if receivers[name].get("email_configs")]
    assert mailing, f"no routed receiver with email_configs: {config}"
    (mail,) = mailing[0]
    assert mail["smarthost"] == f"{SMTP_ADDR[0]}:{SMTP_ADDR[1]}"
    assert mail["to"] == data["SMEPLATFORM_LAB_ALERT_MAIL_TO"]
    assert mail["auth_username"] == "apikey"
    assert mail["require_tls"] is True
    assert mail["tls_config"]["server_name"] == "smtp.smeplatform.test"
    assert mail["tls_config"]["ca_file"] == str(LAB_CA)
    # The password is read from a 0600 file at each send; neither the running
    # configuration nor the file Alertmanager loads holds it.
    password_file = Path(mail["auth_password_file"])
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text(encoding="utf-8")
    assert password and password == password.strip(), "the SMTP password file must have no final newline"
    assert password == (LAB_DIR / "edge" / "secrets" / "smtp").read_text(encoding="utf-8").strip()
    loaded = (LAB_DIR / "data" / "alertmanager" / "alertmanager.yml").read_text(encoding="utf-8")
    assert password not in loaded
    assert password not in json.dumps(config)


def test_critical_alert_is_mailed_through_the_smtp_relay(data: dict[str, str]) -> None:
    require_listening(SMTP_ADDR, "the lab SMTP relay")
    mail_dir = Path(os.environ.get("SMEPLATFORM_LAB_MAIL_DIR") or LAB_DIR / "edge" / "mail")
    marker = f"mail-{uuid.uuid4().hex[:12]}"
    # A name of its own: a new alert group is notified after group_wait (1 s in
    # the lab), while one joining an existing group waits for group_interval (1 m).
    name = f"LabAlertMailTest{marker[5:]}"
    labels = {"alertname": name, "severity": "critical", "service": "lab-test", "marker": marker}
    now = datetime.now(UTC)
    alert = {
        "labels": labels,
        "annotations": {"summary": "lab alert mail test"},
        "startsAt": now.isoformat(),
        "endsAt": (now + timedelta(minutes=5)).isoformat(),
    }
    started = time.monotonic()
    resp = requests.post(data["ALERTMANAGER_URL"] + "/api/v2/alerts", json=[alert], timeout=10)
    assert resp.status_code == 200, resp.text

    def delivered() -> list[Path]:
        return [p for p in mail_dir.glob("*.eml") if marker in p.read_text(encoding="utf-8", errors="replace")]

    try:
        (path,) = eventually(delivered, 30, f"a mail for {marker} in {mail_dir}")
        elapsed = time.monotonic() - started
    finally:
        # Resolve it so it does not linger in the lab's Alertmanager.
        alert["endsAt"] = datetime.now(UTC).isoformat()
        requests.post(data["ALERTMANAGER_URL"] + "/api/v2/alerts", json=[alert], timeout=10)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert message["X-Lab-Auth-User"] == "apikey"  # the relay accepted AUTH, which it offers only after STARTTLS
    assert message["X-Lab-Envelope-To"] == data["SMEPLATFORM_LAB_ALERT_MAIL_TO"]
    assert message["Subject"].startswith(f"[FIRING:1] {name} critical")
    assert elapsed < 30


def health_status(url: str) -> int:
    return requests.get(url, verify=str(LAB_CA), timeout=5).status_code


def probe(data: dict[str, str], target: str) -> float:
    resp = requests.get(
        data["SMEPLATFORM_LAB_BLACKBOX_URL"] + "/probe", params={"module": "http_2xx", "target": target}, timeout=15
    )
    resp.raise_for_status()
    (line,) = [x for x in resp.text.splitlines() if x.startswith("probe_success ")]
    return float(line.split()[1])


def test_blackbox_exporter_probes_health_over_verified_tls(data: dict[str, str]) -> None:
    require_listening(("127.0.0.1", 15543), "the platform stand-in")
    url = data["SMEPLATFORM_LAB_HEALTH_URL"]
    assert urlsplit(url).path == "/health"
    # The probe agrees with /health as a client trusting the lab CA sees it:
    # 1 while the platform is healthy, 0 when it answers 503 (nothing deployed, faulty build).
    eventually(
        lambda: probe(data, url) == (1.0 if health_status(url) == 200 else 0.0), 15, "probe agreeing with /health"
    )
    assert probe(data, url.replace("https://", "http://", 1)) == 0.0  # plain HTTP refused (fail_if_not_ssl)
    assert probe(data, url.rsplit("/", 1)[0] + "/no-such-route") == 0.0  # 404


def test_prometheus_monitors_health_through_the_blackbox_exporter(data: dict[str, str]) -> None:
    url = data["SMEPLATFORM_LAB_HEALTH_URL"]
    targets = prom(data, "/api/v1/targets?state=active")["activeTargets"]
    (target,) = [t for t in targets if t["labels"].get("job") == "sme-platform-health"]
    scrape = urlsplit(target["scrapeUrl"])
    assert scrape.netloc == urlsplit(data["SMEPLATFORM_LAB_BLACKBOX_URL"]).netloc
    assert parse_qs(scrape.query) == {"module": ["http_2xx"], "target": [url]}
    assert target["labels"]["instance"] == url
    # what the 6.4.2 check accepts: a probe of the platform's own health URL
    assert any(monitoring_targets._same_endpoint(u, url, None) for u in monitoring_targets._probed_urls(target)[0])
    eventually(lambda: target_health(data, "sme-platform-health") == "up", 15, "job sme-platform-health up")

    def sample() -> float | None:
        result = prom(data, "/api/v1/query?query=" + requests.utils.quote('probe_success{job="sme-platform-health"}'))
        return float(result["result"][0]["value"][1]) if result["result"] else None

    eventually(lambda: sample() is not None, 15, "a probe_success sample")
    if health_status(url) == 200:
        # A sample is at most one scrape interval (5 s) old.
        eventually(lambda: sample() == 1.0, 15, "probe_success 1 while /health answers 200")


def target_health(data: dict[str, str], job: str) -> str | None:
    targets = prom(data, "/api/v1/targets?state=active")["activeTargets"]
    return next((t["health"] for t in targets if t["labels"].get("job") == job), None)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool comes with the data lab install")
def test_alert_rules_pass_promtool() -> None:
    check = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(["promtool", "test", "rules", str(RULES_TEST)], capture_output=True, text=True, check=False)
    assert unit.returncode == 0, unit.stdout + unit.stderr


# --------------------------------------------------------------------------
# Registry


def registry_auth(data: dict[str, str]) -> tuple[str, str]:
    return data["SMEPLATFORM_LAB_REGISTRY_USER"], read_secret(data["SMEPLATFORM_LAB_REGISTRY_PASSWORD_FILE"])


def test_registry_requires_credentials(data: dict[str, str]) -> None:
    base = f"http://{data['SMEPLATFORM_LAB_REGISTRY']}"
    anonymous = requests.get(f"{base}/v2/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    wrong = requests.get(f"{base}/v2/", auth=(data["SMEPLATFORM_LAB_REGISTRY_USER"], "wrong"), timeout=10)
    assert wrong.status_code == 401
    assert requests.get(f"{base}/v2/", auth=registry_auth(data), timeout=10).status_code == 200
    anonymous_manifest = requests.get(f"{base}/v2/sme-platform/backend/manifests/v1.0.0", timeout=10)
    assert anonymous_manifest.status_code == 401


@pytest.mark.parametrize("repository", ["sme-platform/backend", "sme-platform/frontend"])
def test_registry_serves_every_lab_tag(data: dict[str, str], repository: str) -> None:
    base = f"http://{data['SMEPLATFORM_LAB_REGISTRY']}/v2/{repository}"
    auth = registry_auth(data)
    tags = requests.get(f"{base}/tags/list", auth=auth, timeout=10).json()["tags"]
    assert set(tags) == IMAGE_TAGS
    resp = requests.get(f"{base}/manifests/v1.0.0", auth=auth, headers={"Accept": MANIFEST_V2}, timeout=10)
    assert resp.status_code == 200
    digest = "sha256:" + hashlib.sha256(resp.content).hexdigest()
    assert resp.headers["Docker-Content-Digest"] == digest
    manifest = json.loads(resp.content)
    assert manifest["mediaType"] == MANIFEST_V2
    config = requests.get(f"{base}/blobs/{manifest['config']['digest']}", auth=auth, timeout=10)
    assert config.status_code == 200
    assert "sha256:" + hashlib.sha256(config.content).hexdigest() == manifest["config"]["digest"]
    assert config.json()["config"]["Labels"]["org.opencontainers.image.version"] == "v1.0.0"
    digests = {
        requests.head(f"{base}/manifests/{tag}", auth=auth, headers={"Accept": MANIFEST_V2}, timeout=10).headers[
            "Docker-Content-Digest"
        ]
        for tag in IMAGE_TAGS
    }
    assert len(digests) == len(IMAGE_TAGS), "each tag must be a distinct image"


# --------------------------------------------------------------------------
# The component itself


def test_every_listener_is_on_loopback() -> None:
    out = subprocess.run(["bash", str(LAB_SH), "listeners"], capture_output=True, text=True, check=True, timeout=30)
    listeners = [line.split()[0] for line in out.stdout.splitlines() if line.strip()]
    addresses = {addr.rpartition(":")[0] for addr in listeners}
    ports = {int(addr.rpartition(":")[2]) for addr in listeners}
    assert ports == PORTS, out.stdout
    assert addresses == {"127.0.0.1"}, out.stdout


def test_env_prints_secret_paths_never_values(data: dict[str, str]) -> None:
    out = subprocess.run(["bash", str(LAB_SH), "env"], capture_output=True, text=True, check=True, timeout=30)
    secret_dir = Path(data["SMEPLATFORM_LAB_REDIS_PASSWORD_FILE"]).parent
    secrets = [p for p in secret_dir.iterdir() if p.is_file()]
    assert len(secrets) >= 6
    for path in secrets:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        for line in path.read_text(encoding="utf-8").splitlines():
            for token in line.split(":"):
                if len(token) >= 16:
                    assert token not in out.stdout, f"{path.name} content printed by lab.sh env"
    assert stat.S_IMODE(secret_dir.stat().st_mode) == 0o700
