"""The Redis client: URLs, RESP framing, login, and failures that name the server and never the password."""

from __future__ import annotations

import io

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import redis
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

from ..redis_fakes import FakeRedis, closed_port

PASSWORD = "Redis-pw-unit-7"


def test_a_url_gives_host_port_db_and_credentials():
    target = redis.parse_url(f"rediss://app:{PASSWORD}@cache.internal:6380/2")
    assert (target.host, target.port, target.db, target.username, target.password, target.tls) == (
        "cache.internal", 6380, 2, "app", PASSWORD, True,
    )  # fmt: skip
    assert PASSWORD not in target.url and target.url == "rediss://app@cache.internal:6380/2"


def test_a_url_without_password_takes_the_given_one():
    target = redis.parse_url("redis://127.0.0.1:15479/0", PASSWORD)
    assert (target.port, target.db, target.password, target.tls) == (15479, 0, PASSWORD, False)


@pytest.mark.parametrize("url", ["http://x:1", f"redis://:{PASSWORD}@h:1/db", f"redis://:{PASSWORD}@h:port"])
def test_a_bad_url_is_named_without_its_password(url):
    with pytest.raises(ConfigurationError) as err:
        redis.parse_url(url)
    assert PASSWORD not in str(err.value)


def test_commands_are_resp_arrays_and_replies_are_read():
    assert redis.encode("AUTH", "pw") == b"*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"
    reader = redis.Reader(io.BytesIO(b"+PONG\r\n:7\r\n$3\r\nabc\r\n$-1\r\n*2\r\n+a\r\n:1\r\n-ERR no\r\n"))
    assert [reader.reply() for _index in range(5)] == ["PONG", 7, b"abc", None, ["a", 1]]
    error = reader.reply()
    assert isinstance(error, Exception) and str(error) == "ERR no"


def test_info_lines_become_a_dict():
    assert redis.parse_info("# Server\r\nredis_version:7.0.15\r\n\r\nrole:master\r\n") == {
        "redis_version": "7.0.15",
        "role": "master",
    }


def test_login_ping_and_info_on_a_server():
    fake = FakeRedis(PASSWORD)
    with fake.serving() as port, redis.RedisConnection(redis.RedisTarget("127.0.0.1", port, 3, password=PASSWORD)) as c:
        c.login()
        assert c.command("PING") == "PONG"
        assert c.info("server")["redis_version"] == "7.0.15"
    assert fake.commands == ["AUTH", "SELECT", "PING", "INFO"]


def test_a_refused_password_names_the_server_and_not_the_password():
    fake = FakeRedis("the-real-one-123")
    with (
        fake.serving() as port,
        redis.RedisConnection(redis.RedisTarget("127.0.0.1", port, password=PASSWORD)) as c,
        pytest.raises(redis.RedisError) as err,
    ):
        c.login()
    assert str(err.value).startswith(f"Redis at 127.0.0.1:{port} refused AUTH: WRONGPASS")
    assert PASSWORD not in str(err.value)


def test_a_server_that_is_down_is_named_by_its_address():
    port = closed_port()
    with pytest.raises(ConnectionFailure) as err:
        redis.RedisConnection(redis.RedisTarget("127.0.0.1", port, password=PASSWORD), timeout=2)
    assert str(err.value).startswith(f"cannot connect to Redis at 127.0.0.1:{port}: ")
    assert "refused" in str(err.value).lower()
