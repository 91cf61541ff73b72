"""Fixtures of the failure-path tests: the release tests' lab fixtures (a release of its own, the platform
stand-in watching it), shared from tests/integration/release, and the row counts of the lab database, which no
faulty run may change."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

RELEASE_TESTS = Path(__file__).resolve().parents[1] / "release"
if str(RELEASE_TESTS) not in sys.path:
    sys.path.insert(0, str(RELEASE_TESTS))

_spec = importlib.util.spec_from_file_location("release_lab_fixtures", RELEASE_TESTS / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_fixtures)

release_env = _fixtures.release_env
lab = _fixtures.lab


# --- the lab database's rows: a faulty run writes none -------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[3]


def _data_lab() -> dict[str, str]:
    out = subprocess.run(
        ["bash", str(ROOT / "tests/lab/data/lab.sh"), "env"], capture_output=True, text=True, timeout=60, check=False
    ).stdout
    found = {}
    for line in out.splitlines():
        if line.startswith("export "):
            name, _sep, raw = line[len("export ") :].partition("=")
            found[name] = raw.strip("'\"")
    return found


def count_rows(data: dict[str, str]) -> dict[str, int]:
    """Rows of every table of the lab's application database (the primary), by schema-qualified name.

    Counted as the database's owner (the migrations' role), which owns the tables the platform's migrations make;
    a table it cannot read is an error here, not a table left out."""
    import psycopg
    from psycopg import sql

    password = Path(data["SMEPLATFORM_LAB_PG_OWNER_PASSWORD_FILE"]).read_text().strip()
    with psycopg.connect(
        host=data.get("PGHOST", "127.0.0.1"),
        port=int(data.get("PGPORT", "15432")),
        dbname=data.get("PGDATABASE", "sme_platform"),
        user=data["SMEPLATFORM_LAB_PG_OWNER_USER"],
        password=password,
        connect_timeout=10,
        autocommit=True,
    ) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2"
        ).fetchall()
        return {
            f"{schema}.{table}": conn.execute(
                sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
            ).fetchone()[0]
            for schema, table in tables
        }


@pytest.fixture(scope="session")
def lab_database() -> dict[str, str]:
    data = _data_lab()
    if "SMEPLATFORM_LAB_PG_OWNER_PASSWORD_FILE" not in data or not os.path.exists(
        data["SMEPLATFORM_LAB_PG_OWNER_PASSWORD_FILE"]
    ):
        pytest.fail("the data lab is not set up (tests/lab/lab.sh up data)", pytrace=False)
    return data


@pytest.fixture
def rows_unchanged(lab_database) -> Callable[[], contextlib.AbstractContextManager[dict[str, int]]]:
    """``with rows_unchanged(): <the faulty run>``: every table of the lab database has as many rows after it."""

    @contextlib.contextmanager
    def guard() -> Iterator[dict[str, int]]:
        before = count_rows(lab_database)
        assert before, "the lab database has no table to count"
        yield before
        after = count_rows(lab_database)
        assert after == before, f"rows changed by a faulty run: before {before}, after {after}"

    return guard
