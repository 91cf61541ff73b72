"""Database checks: the version rule, on the rows a server answers."""

from __future__ import annotations

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import checks

POLICY = checks.PostgresPolicy.from_options({"min_version": 15})


class Column:
    def __init__(self, name):
        self.name = name


class Conn:
    """A connection whose one query answers PostgreSQL's version settings."""

    def __init__(self, num, text):
        self.row = (num, text)

    def cursor(self, **_):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def execute(self, *_):
        pass

    def fetchall(self):
        return [self.row]

    description = [Column("num"), Column("v")]


@pytest.mark.parametrize(
    ("num", "text", "status"),
    [(150004, "15.4", "passed"), (160002, "16.2", "passed"), (140011, "14.11", "failed")],
)
def test_the_server_major_version_is_held_to_the_minimum(num, text, status):
    found = checks.version_entry(Conn(num, text), "db:5432", POLICY)
    assert (found["id"], found["status"], found["measured"], found["threshold"]) == ("4.1.1", status, text, ">= 15")
    assert f"major {num // 10000}" in found["detail"]
