"""3.2.3 on a Redis: the platform's REDIS_PASSWORD logs in; a wrong one, a replica or a dead server fail, named."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import cache
from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database.app import Resolved
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients.redis import RedisTarget

from ...redis_fakes import FakeRedis, closed_port

PASSWORD = "Redis-pw-unit-7"
REF = "Secret ns/sme-platform-secrets"


def check(port, password=PASSWORD, min_version=6):
    target = RedisTarget("127.0.0.1", port, password=password)
    return cache.redis_entry(Resolved(target, ["REDIS_HOST of ConfigMap ns/c"]), REF, min_version, 2)


def test_the_platforms_password_logs_in_and_info_is_the_evidence():
    with FakeRedis(PASSWORD).serving() as port:
        found = check(port)
    assert found["id"] == "3.2.3" and found["status"] == "passed", found
    assert found["measured"] == {"ping": "PONG", "redis_version": "7.0.15", "role": "master",
                                 "maxmemory": "67108864", "maxmemory_policy": "allkeys-lru"}  # fmt: skip
    assert found["where"] == f"redis://127.0.0.1:{port}/0"
    assert PASSWORD not in str(found)


def test_a_wrong_password_fails_naming_the_server_and_what_to_do():
    with FakeRedis("not-what-the-secret-says").serving() as port:
        found = check(port)
    assert found["status"] == "failed"
    assert found["detail"].startswith(f"Redis at 127.0.0.1:{port} refused AUTH: WRONGPASS")
    assert "REDIS_PASSWORD of Secret ns/sme-platform-secrets is not this server's password" in found["detail"]
    assert "\n" not in found["detail"] and PASSWORD not in str(found)


def test_a_redis_without_a_password_fails():
    with FakeRedis(None).serving() as port:
        found = check(port)
    assert found["status"] == "failed" and "has no password" in found["detail"]


def test_a_replica_or_an_old_version_fails():
    with FakeRedis(PASSWORD, role="slave", version="5.0.7").serving() as port:
        found = check(port)
    assert found["status"] == "failed"
    assert "it is a slave" in found["detail"] and "version 5.0.7 is below 6" in found["detail"]


def test_a_dead_redis_is_named_by_its_own_address():
    port = closed_port()
    found = check(port)
    assert found["status"] == "failed"
    assert found["detail"].startswith(f"cannot connect to Redis at 127.0.0.1:{port}: ")
    assert f"start Redis at 127.0.0.1:{port}" in found["detail"]


def test_no_settings_fail_with_the_problem():
    found = cache.redis_entry(Resolved(None, problem=f"{REF} has no REDIS_PASSWORD"), REF, 6, 2)
    assert found["status"] == "failed" and found["detail"] == f"{REF} has no REDIS_PASSWORD"
