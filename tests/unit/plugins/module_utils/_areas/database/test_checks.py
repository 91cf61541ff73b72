"""Database checks: the version rule and the one-line connection errors."""

from __future__ import annotations

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import checks

POLICY = checks.PostgresPolicy.from_options({"min_version": 15})


class Conn:
    def __init__(self, version):
        self.version = version

    def cursor(self, **_):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def execute(self, *_):
        pass

    def fetchall(self):
        return [{"server_version_num": self.version, "server_version": f"{self.version // 10000}.2"}]

    description = [("server_version_num",), ("server_version",)]


def test_an_endpoint_label_never_holds_the_password():
    endpoint = checks.Endpoint("db", 5432, "d", "u", password="Pg-pw-unit-1")
    assert endpoint.label == "u@db:5432/d"
    assert "Pg-pw-unit-1" not in repr(endpoint.label)


def test_a_connection_error_is_one_line():
    assert checks._one_line(RuntimeError("a\n  b\tc")) == "a b c"
