# Copyright: contributors to smeplatform.deploy
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PostgreSQL server or pooler as the checks reach it (psycopg 3): its login, a query held to the endpoint's
timeout, and a failure that names the server and what to do. Used by the database, backup and post-deployment
areas."""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass
from typing import Any

from ansible_collections.smeplatform.deploy.plugins.module_utils._core.errors import (
    ConfigurationError,
    ConnectionFailure,
)

try:
    import psycopg

    HAS_PSYCOPG = True
    PSYCOPG_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module with missing_required_lib
    HAS_PSYCOPG = False
    PSYCOPG_IMPORT_ERROR = exc


def login_args() -> dict[str, dict[str, Any]]:
    """The TLS and connect-timeout options of a PostgreSQL login, fresh for an option table."""
    return {
        "sslmode": {
            "type": "str",
            "default": "prefer",
            "choices": ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
        },
        "sslrootcert": {"type": "path"},
        "connect_timeout": {"type": "int", "default": 10},
    }


@dataclass(frozen=True)
class Endpoint:
    """Where and as whom to connect. ``password`` never appears in a message."""

    host: str
    port: int
    dbname: str
    user: str
    password: str | None = None
    sslmode: str = "prefer"
    sslrootcert: str | None = None
    connect_timeout: int = 10
    # What this server is, in messages ("the PostgreSQL primary", "PgBouncer"), and the settings that point at it.
    kind: str = "PostgreSQL"
    settings: str = ""
    # For a pooler: the address of the PostgreSQL server it hands queries to.
    behind: str = ""
    # Where the password comes from when it is not the inventory's ("DATABASE_PASSWORD of Secret ns/name").
    password_from: str = ""

    @property
    def label(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def advice(self, error: str) -> str:
        """What to do about a connection error: one clause, or empty."""
        text = error.lower()
        if "password authentication failed" in text or "authentication failed" in text:
            if self.password_from:
                return (
                    f"{self.password_from} is not the password of {self.user}: set the role's password to it "
                    "(ALTER ROLE ... PASSWORD) or correct the Secret"
                )
            return f"correct the password of {self.user} (it is what the server refused)"
        held = ("server login has been failing", "no answer within")
        if any(s in text for s in held) or (self.behind and "timeout expired" in text):
            # a pooler that holds the login or the query: it runs, its server does not answer it
            server = f"the PostgreSQL primary at {self.behind}" if self.behind else "its PostgreSQL server"
            also = f" (if {self.kind} itself does not answer, start {self.kind})" if "timeout expired" in text else ""
            return f"{self.kind} at {self.address} cannot reach {server}: start it{also}"
        if any(
            s in text
            for s in ("connection refused", "timeout expired", "timed out", "no route", "could not translate host")
        ):
            where = f" (or correct {self.settings})" if self.settings else ""
            return f"start {self.kind} at {self.address}{where}"
        return ""

    def failure(self, exc: Exception) -> ConnectionFailure:
        """The one-line error of a failed connection or query: which server, as whom, why, what to do."""
        error = one_line(exc)
        advice = self.advice(error)
        return ConnectionFailure(
            f"cannot connect to {self.kind} as {self.label}: {error}" + (f"; {advice}" if advice else "")
        )

    def connect(self, admin_console: bool = False) -> Any:
        """Open a connection; an admin console (PgBouncer's) takes the simple query protocol only."""
        if not HAS_PSYCOPG:
            raise ConfigurationError(f"the psycopg (3) Python package is required: {PSYCOPG_IMPORT_ERROR}")
        params: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "dbname": self.dbname,
            "user": self.user,
            "sslmode": self.sslmode,
            "connect_timeout": self.connect_timeout,
            "application_name": "smeplatform.deploy-check",
            "autocommit": True,
        }
        if self.password is not None:
            params["password"] = self.password
        if self.sslrootcert:
            params["sslrootcert"] = self.sslrootcert
        if admin_console:
            params["cursor_factory"] = psycopg.ClientCursor
            params["prepare_threshold"] = None
            params.pop("application_name")
        try:
            return psycopg.connect(**params)
        except psycopg.Error as exc:
            raise self.failure(exc) from exc

    def rows(self, conn: Any, sql: str) -> list[dict[str, Any]]:
        """Run a query that must answer within connect_timeout seconds: a pooler holds a query while it has no
        server (PgBouncer's query_wait_timeout is 120 s by default), so the socket is shut down at the deadline
        and the wait becomes this endpoint's failure."""
        fired = threading.Event()

        def give_up() -> None:
            fired.set()
            try:
                with socket.socket(fileno=os.dup(conn.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        timer = threading.Timer(self.connect_timeout, give_up)
        timer.daemon = True
        timer.start()
        try:
            return query_rows(conn, sql)
        except Exception as exc:
            if fired.is_set():
                raise self.failure(
                    TimeoutError(f"no answer within {self.connect_timeout} s to a query sent through it")
                ) from exc
            if HAS_PSYCOPG and isinstance(exc, psycopg.Error):
                raise self.failure(exc) from exc
            raise
        finally:
            timer.cancel()


def one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def query_rows(conn: Any, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with conn.cursor() as cur:
        cur.execute(sql, params or None)
        if cur.description is None:
            return []
        names = [d.name for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
