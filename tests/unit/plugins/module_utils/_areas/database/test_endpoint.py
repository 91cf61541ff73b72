"""A PostgreSQL endpoint: its label, one-line connection errors naming the server, queries held to a deadline."""

from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import endpoint as pg
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConnectionFailure


def test_an_endpoint_label_never_holds_the_password():
    endpoint = pg.Endpoint("db", 5432, "d", "u", password="Pg-pw-unit-1")
    assert endpoint.label == "u@db:5432/d"
    assert "Pg-pw-unit-1" not in repr(endpoint.label)


def test_a_connection_error_is_one_line():
    assert pg.one_line(RuntimeError("a\n  b\tc")) == "a b c"


# ---------------------------------------------------------------- a dead server, named by its own address
def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_stopped_primary_is_named_by_its_address_with_what_to_do():
    port = _closed_port()
    primary = pg.Endpoint(
        "127.0.0.1",
        port,
        "d",
        "ops",
        password="Pg-pw-unit-2",
        connect_timeout=2,
        kind="the PostgreSQL primary",
        settings="database_host and database_port",
    )
    started = time.monotonic()
    with pytest.raises(ConnectionFailure) as caught:
        primary.connect()
    assert time.monotonic() - started < 2
    message = str(caught.value)
    assert message.startswith(f"cannot connect to the PostgreSQL primary as ops@127.0.0.1:{port}/d: ")
    assert "Connection refused" in message
    assert message.endswith(
        f"; start the PostgreSQL primary at 127.0.0.1:{port} (or correct database_host and database_port)"
    )
    assert "\n" not in message
    assert "Pg-pw-unit-2" not in message


class HeldConn:
    """A pooler's connection that holds a query: execute waits for an answer that never comes."""

    def __init__(self):
        self.ours, self.theirs = socket.socketpair()

    def fileno(self):
        return self.ours.fileno()

    def cursor(self, **_):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def execute(self, *_):
        if not self.ours.recv(1):
            raise OSError("server closed the connection unexpectedly")

    description = None


def test_a_query_held_by_the_pooler_fails_at_the_deadline_naming_the_server_behind_it():
    pooler = pg.Endpoint("127.0.0.1", 6432, "d", "app", connect_timeout=1, kind="PgBouncer", behind="127.0.0.1:5432")
    conn = HeldConn()
    started = time.monotonic()
    with pytest.raises(ConnectionFailure) as caught:
        pooler.rows(conn, "SELECT 1")
    assert 0.9 <= time.monotonic() - started < 3
    assert str(caught.value) == (
        "cannot connect to PgBouncer as app@127.0.0.1:6432/d: no answer within 1 s to a query sent through it;"
        " PgBouncer at 127.0.0.1:6432 cannot reach the PostgreSQL primary at 127.0.0.1:5432: start it"
    )


def test_a_query_answered_in_time_is_returned():
    class Answering(HeldConn):
        description = [type("D", (), {"name": "one"})()]

        def execute(self, *_):
            pass

        def fetchall(self):
            return [(1,)]

    pooler = pg.Endpoint("127.0.0.1", 6432, "d", "app", connect_timeout=1, kind="PgBouncer")
    assert pooler.rows(Answering(), "SELECT 1 AS one") == [{"one": 1}]


@pytest.mark.parametrize(
    "error, advice",
    [
        ('FATAL: password authentication failed for user "app"', "correct the password of app"),
        (
            "server login has been failing, try again later (server_login_retry)",
            "cannot reach the PostgreSQL primary at 10.0.0.5:5432",
        ),
        ("connection timeout expired", "cannot reach the PostgreSQL primary at 10.0.0.5:5432: start it (if PgBouncer"),
        ("syntax error at or near", ""),
    ],
)
def test_the_advice_follows_the_error(error, advice):
    endpoint = pg.Endpoint("10.0.0.9", 6432, "d", "app", kind="PgBouncer", behind="10.0.0.5:5432")
    message = str(endpoint.failure(RuntimeError(error)))
    assert message.startswith(f"cannot connect to PgBouncer as app@10.0.0.9:6432/d: {error}")
    if advice:
        assert advice in message
    else:
        assert message.endswith(error)


def test_login_args_give_each_option_table_the_same_tls_and_timeout_options():
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import options
    from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.post_deploy import options as post

    postgres = options.postgres_check()["argument_spec"]
    review = post.post_deploy_check()["argument_spec"]["database"]["options"]
    for name, spec in pg.login_args().items():
        assert postgres[name] == spec == review[name]
    assert pg.login_args()["sslmode"]["default"] == "prefer"
