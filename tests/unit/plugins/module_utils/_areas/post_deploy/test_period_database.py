"""PostgreSQL's reviews (post.day1.4, post.month1.4, post.month1.1) from the statistics views; nothing passes on an
empty pg_stat_statements."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

from .period_fakes import clients, run


class Cursor:
    def __init__(self, answers):
        self.answers = answers
        self.description = []
        self.rows = []

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def execute(self, sql, params=None):
        for key, rows in self.answers.items():
            if key in sql:
                self.description = [SimpleNamespace(name=n) for n in rows[0]] if rows else []
                self.rows = [tuple(r.values()) for r in rows]
                return
        raise AssertionError(f"unexpected SQL {sql}")

    def fetchall(self):
        return self.rows


def database(answers):
    @contextmanager
    def connect():
        yield SimpleNamespace(cursor=lambda: Cursor(answers))

    return connect


LOADED = {"shared_preload_libraries": [{"preload": "pg_stat_statements", "installed": True}]}
DB = {"database": {"host": "db", "dbname": "sme", "user": "ops"}}


def test_database_performance_from_pg_stat_statements():
    answers = {
        **LOADED,
        "percentile_cont": [{"statements": 12, "calls": 400, "mean_ms": 1.5, "p95_ms": 8.0, "slow": 0}],
        "ORDER BY total_exec_time": [{"query": "SELECT 1", "calls": 5, "mean_ms": 0.1, "total_ms": 0.5}],
        "pg_statio_all_indexes": [{"hit": 990, "read": 10}],
    }
    [e] = run(["database"], clients(database=database(answers)), **DB)
    assert e["id"] == "post.day1.4" and e["status"] == "passed"
    assert e["measured"]["index_hit_ratio"] == 0.99


def test_database_without_pg_stat_statements_fails_saying_how_to_load_it():
    answers = {"shared_preload_libraries": [{"preload": "", "installed": False}]}
    [e] = run(["database"], clients(database=database(answers)), **DB)
    assert e["status"] == "failed" and "shared_preload_libraries" in e["detail"]


def test_database_with_no_statement_recorded_fails():
    answers = {
        **LOADED,
        "percentile_cont": [{"statements": 0, "calls": 0, "mean_ms": None, "p95_ms": None, "slow": 0}],
        "ORDER BY total_exec_time": [],
        "pg_statio_all_indexes": [{"hit": 990, "read": 10}],
    }
    [e] = run(["database"], clients(database=database(answers)), **DB)
    assert e["status"] == "failed" and "nothing to judge" in e["detail"]
