"""The platform's own connection settings: read from its Secret and ConfigMap, masked, never the inventory's
password."""

from __future__ import annotations

import base64
import re

import pytest

from ansible_collections.smeplatform.deploy.plugins.module_utils._areas.database import app
from ansible_collections.smeplatform.deploy.plugins.module_utils._clients import kubernetes as k8s
from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import ConfigurationError

from ...kube_fakes import JsonKube

DB_PW, REDIS_PW = "Db-pw-from-secret-1", "Redis-pw-from-secret-2"
FALLBACK = app.Fallback(host="inv-host", port=6432, dbname="inv_db", user="inv_user", redis_host="inv-redis")
CONFIG = {"DATABASE_HOST": "pgbouncer", "DATABASE_PORT": "6432", "DATABASE_NAME": "sme_platform",
          "REDIS_HOST": "redis", "REDIS_PORT": "6380"}  # fmt: skip


def settings(secret=None, config=None):
    return app.AppSettings("ns", "sme-platform-secrets", "sme-platform-config", secret, config)


def test_the_secret_and_the_configmap_are_read_once_each_and_every_secret_value_masked():
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in {"DATABASE_PASSWORD": DB_PW, "X": "y"}.items()}
    kube = JsonKube({
        k8s.path("v1", "secrets", "ns", "s"): {"data": encoded},
        k8s.path("v1", "configmaps", "ns", "c"): {"data": CONFIG},
    })  # fmt: skip
    masked = []
    found = app.read(kube, "ns", "s", "c", masked.append)
    assert found.secret == {"DATABASE_PASSWORD": DB_PW, "X": "y"} and found.config == CONFIG
    assert masked == [DB_PW, "y"]
    assert len(kube.requests) == 2


def test_missing_objects_read_as_none():
    found = app.read(JsonKube({}), "ns", "s", "c", lambda _v: None)
    assert found.secret is None and found.config is None


def test_the_database_login_is_the_platforms_configmap_and_secret():
    got = app.database(settings({"DATABASE_PASSWORD": DB_PW}, {**CONFIG, "DATABASE_USER": "sme_app"}), FALLBACK)
    assert got.target == {"host": "pgbouncer", "port": 6432, "dbname": "sme_platform", "user": "sme_app",
                          "password": DB_PW}  # fmt: skip
    assert "DATABASE_PASSWORD of Secret ns/sme-platform-secrets" in got.sources
    assert DB_PW not in str(got.sources)


def test_without_the_configmap_the_inventory_gives_where_but_never_the_password():
    got = app.database(settings({"DATABASE_PASSWORD": DB_PW}, None), FALLBACK)
    assert (got.target["host"], got.target["port"], got.target["user"], got.target["password"]) == (
        "inv-host", 6432, "inv_user", DB_PW,
    )  # fmt: skip
    assert any("the inventory's host" in s for s in got.sources)


def test_a_missing_secret_or_password_is_a_problem_not_a_fallback():
    assert "does not exist" in app.database(settings(None, CONFIG), FALLBACK).problem
    assert app.database(settings({}, CONFIG), FALLBACK).problem.endswith("has no DATABASE_PASSWORD")
    assert app.redis(settings({}, CONFIG), FALLBACK).problem.endswith("has no REDIS_PASSWORD")


def test_a_database_url_replaces_the_separate_keys():
    url = f"postgresql://app:{DB_PW}@db.internal:5433/other"
    got = app.database(settings({"DATABASE_URL": url}, CONFIG), FALLBACK)
    assert got.target == {"host": "db.internal", "port": 5433, "dbname": "other", "user": "app", "password": DB_PW}
    assert got.sources == ["DATABASE_URL of Secret ns/sme-platform-secrets"]


def test_redis_from_host_and_port_with_the_secrets_password():
    got = app.redis(settings({"REDIS_PASSWORD": REDIS_PW}, CONFIG), FALLBACK)
    assert (got.target.host, got.target.port, got.target.password) == ("redis", 6380, REDIS_PW)
    assert "REDIS_PASSWORD of Secret ns/sme-platform-secrets" in got.sources


def test_redis_from_a_url_in_the_configmap():
    got = app.redis(settings({"REDIS_PASSWORD": REDIS_PW}, {"REDIS_URL": "redis://cache:6390/1"}), FALLBACK)
    assert (got.target.host, got.target.port, got.target.db, got.target.password) == ("cache", 6390, 1, REDIS_PW)


def test_a_port_that_is_not_a_number_is_named():
    with pytest.raises(ConfigurationError, match="DATABASE_PORT is 'x'"):
        app.database(settings({"DATABASE_PASSWORD": DB_PW}, {**CONFIG, "DATABASE_PORT": "x"}), FALLBACK)


def test_a_route_is_where_the_controller_connects_to_the_address_the_platform_names():
    routes = app.parse_routes({"Postgres.db.svc.cluster.local:5432": "127.0.0.1:16432", "[::1]:6379": "[::1]:16379"})
    assert app.routed("postgres.db.svc.cluster.local", 5432, routes) == (
        "127.0.0.1", 16432, "postgres.db.svc.cluster.local:5432 reached at 127.0.0.1:16432 (the inventory's route)",
    )  # fmt: skip
    assert app.routed("::1", 6379, routes)[:2] == ("::1", 16379)


def test_an_address_without_a_route_is_connected_to_as_named():
    routes = app.parse_routes({"postgres.db.svc.cluster.local:5432": "127.0.0.1:16432"})
    assert app.routed("postgres.db.svc.cluster.local", 5433, routes) == ("postgres.db.svc.cluster.local", 5433, "")
    assert app.routed("redis", 6379, app.parse_routes({})) == ("redis", 6379, "")
    assert app.parse_routes(None) == {}


@pytest.mark.parametrize(
    "raw, named",
    [
        ({"postgres.db.svc": "127.0.0.1:16432"}, "the platform's address 'postgres.db.svc'"),
        ({"postgres:5432": "127.0.0.1"}, "the route of postgres:5432 '127.0.0.1'"),
        ({"postgres:5432": "127.0.0.1:99999"}, "the route of postgres:5432 '127.0.0.1:99999'"),
        ({":5432": "127.0.0.1:1"}, "the platform's address ':5432'"),
    ],
)
def test_a_route_that_is_not_host_and_port_is_named(raw, named):
    with pytest.raises(ConfigurationError, match=f"routes: {re.escape(named)} is not host:port"):
        app.parse_routes(raw)
