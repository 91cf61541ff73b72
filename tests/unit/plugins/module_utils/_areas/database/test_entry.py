"""postgres_check's entry: an unreachable server fails the items that needed it, naming it, never the password;
4.2.4 and 3.2.3 use the platform's Secret and ConfigMap, and no value of that Secret reaches the result."""

from __future__ import annotations

import base64

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import entry
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s

from ...kube_fakes import JsonKube
from ...redis_fakes import FakeRedis, closed_port
from ..area_module import run_entry

DB_PW, REDIS_PW, OTHER = "Db-pw-of-the-secret-3", "Redis-pw-of-the-secret-4", "Jwt-of-the-secret-5"


def platform(monkeypatch, secret, config):
    data = {k: base64.b64encode(v.encode()).decode() for k, v in (secret or {}).items()}
    routes = {k8s.path("v1", "configmaps", "ns", "sme-platform-config"): {"data": config}}
    if secret is not None:
        routes[k8s.path("v1", "secrets", "ns", "sme-platform-secrets")] = {"data": data}
    kube = JsonKube(routes)
    monkeypatch.setattr(entry.k8s, "Kube", lambda *_a, **_k: kube)
    return kube


def args(**more):
    return {
        "host": "127.0.0.1",
        "port": closed_port(),
        "dbname": "d",
        "app_user": "a",
        "app_password": "Pg-pw-unit-99",
        "connect_timeout": 2,
        "namespace": "ns",
        **more,
    }


def by_id(result):
    return {e["id"]: e for e in result["evidence"]}


def test_an_unreachable_server_fails_its_items(monkeypatch):
    db_port, redis_port = closed_port(), closed_port()
    secret = {"DATABASE_PASSWORD": DB_PW, "REDIS_PASSWORD": REDIS_PW, "JWT_SECRET": OTHER}
    config = {"DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": str(db_port), "DATABASE_NAME": "d",
              "REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)}  # fmt: skip
    platform(monkeypatch, secret, config)
    result = run_entry("database", "postgres_check", args(), monkeypatch)
    assert not result["failed"], result.get("msg")
    found = by_id(result)
    assert found["4.2.4"]["status"] == "failed"
    assert f"a@127.0.0.1:{db_port}/d" in found["4.2.4"]["detail"]
    assert found["3.2.3"]["status"] == "failed"
    assert f"cannot connect to Redis at 127.0.0.1:{redis_port}" in found["3.2.3"]["detail"]
    for value in ("Pg-pw-unit-99", DB_PW, REDIS_PW, OTHER):
        assert value not in str(result)


def test_the_redis_password_of_the_secret_logs_in(monkeypatch):
    with FakeRedis(REDIS_PW).serving() as redis_port:
        secret = {"DATABASE_PASSWORD": DB_PW, "REDIS_PASSWORD": REDIS_PW}
        platform(monkeypatch, secret, {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(redis_port)})
        result = run_entry("database", "postgres_check", args(), monkeypatch)
    found = by_id(result)
    assert found["3.2.3"]["status"] == "passed", found["3.2.3"]
    assert REDIS_PW not in str(result) and DB_PW not in str(result)


def test_a_missing_secret_fails_4_2_4_and_3_2_3_without_trying_the_inventorys_password(monkeypatch):
    kube = platform(monkeypatch, None, {})
    result = run_entry("database", "postgres_check", args(), monkeypatch)
    found = by_id(result)
    for item in ("4.2.4", "3.2.3"):
        assert found[item]["status"] == "failed"
        assert "Secret ns/sme-platform-secrets does not exist" in found[item]["detail"]
    assert len([r for r in kube.requests if "/secrets/" in r[1]]) == 1, "the Secret is read once per run"


def test_check_mode_measures_the_same(monkeypatch):
    platform(monkeypatch, None, {})
    result = run_entry("database", "postgres_check", args(), monkeypatch, check_mode=True)
    assert result["changed"] is False
    assert by_id(result)["4.2.4"]["status"] == "failed"


def test_a_route_carries_the_connection_only_and_the_evidence_names_both_addresses(monkeypatch):
    db_port = closed_port()
    with FakeRedis(REDIS_PW).serving() as redis_port:
        secret = {"DATABASE_PASSWORD": DB_PW, "REDIS_PASSWORD": REDIS_PW}
        config = {"DATABASE_HOST": "postgres.db.svc.cluster.local", "DATABASE_PORT": "5432", "DATABASE_NAME": "d",
                  "REDIS_HOST": "redis.db.svc.cluster.local", "REDIS_PORT": "6379"}  # fmt: skip
        platform(monkeypatch, secret, config)
        routes = {"postgres.db.svc.cluster.local:5432": f"127.0.0.1:{db_port}",
                  "redis.db.svc.cluster.local:6379": f"127.0.0.1:{redis_port}"}  # fmt: skip
        result = run_entry("database", "postgres_check", args(routes=routes), monkeypatch)
    found = by_id(result)
    assert found["3.2.3"]["status"] == "passed", found["3.2.3"]
    assert f"redis.db.svc.cluster.local:6379 reached at 127.0.0.1:{redis_port}" in found["3.2.3"]["detail"]
    assert "REDIS_HOST of ConfigMap ns/sme-platform-config" in found["3.2.3"]["detail"]
    # the database's route is closed: the failure names the route it tried and the platform's own address
    assert found["4.2.4"]["status"] == "failed"
    assert f"a@127.0.0.1:{db_port}/d" in found["4.2.4"]["detail"]
    assert f"postgres.db.svc.cluster.local:5432 reached at 127.0.0.1:{db_port}" in found["4.2.4"]["detail"]
    assert "correct the route of postgres.db.svc.cluster.local:5432" in found["4.2.4"]["detail"]
    for value in (DB_PW, REDIS_PW):
        assert value not in str(result)


def test_a_route_that_is_not_host_and_port_fails_the_task(monkeypatch):
    platform(monkeypatch, {"DATABASE_PASSWORD": DB_PW}, {})
    result = run_entry("database", "postgres_check", args(routes={"postgres:5432": "nowhere"}), monkeypatch)
    assert result["failed"] and "routes: the route of postgres:5432 'nowhere' is not host:port" in result["msg"]
