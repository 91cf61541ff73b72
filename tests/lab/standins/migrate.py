"""The platform stand-in's database migrations: real SQL against PostgreSQL.

Run in the platform's image (tests/lab/kind), as the release runs the
platform's `npm run migration:run|show|revert` (TypeORM):

    python3 -m standins.migrate run|show|revert

Connection from the environment the chart gives the container: DATABASE_HOST,
DATABASE_PORT, DATABASE_NAME (ConfigMap), DATABASE_USER (default sme_owner)
and DATABASE_PASSWORD (Secret). Applied migrations are rows of the table
`migrations` (id, timestamp, name), as TypeORM keeps them; each migration runs
in its own transaction with its row. Output follows TypeORM's wording, so the
Job's log reads like the real platform's.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    timestamp: int
    name: str
    up: str
    down: str

    @property
    def full_name(self) -> str:
        return f"{self.name}{self.timestamp}"


MIGRATIONS = (
    Migration(
        1700000000000,
        "CreateInvoices",
        """CREATE TABLE invoices (
             id uuid PRIMARY KEY,
             number varchar(32) NOT NULL UNIQUE,
             customer varchar(200) NOT NULL,
             amount_paise bigint NOT NULL CHECK (amount_paise >= 0),
             status varchar(16) NOT NULL DEFAULT 'draft',
             created_at timestamptz NOT NULL DEFAULT now()
           )""",
        "DROP TABLE invoices",
    ),
    Migration(
        1700000100000,
        "AddInvoiceDueDate",
        "ALTER TABLE invoices ADD COLUMN due_date date",
        "ALTER TABLE invoices DROP COLUMN due_date",
    ),
    Migration(
        1700000200000,
        "CreatePayments",
        """CREATE TABLE payments (
             id uuid PRIMARY KEY,
             invoice_id uuid NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
             amount_paise bigint NOT NULL CHECK (amount_paise > 0),
             received_at timestamptz NOT NULL DEFAULT now()
           )""",
        "DROP TABLE payments",
    ),
)

TABLE = """CREATE TABLE IF NOT EXISTS migrations (
             id serial PRIMARY KEY,
             "timestamp" bigint NOT NULL,
             name varchar NOT NULL
           )"""


def connect():
    import psycopg2  # noqa: PLC0415 - only inside the platform image

    return psycopg2.connect(
        host=os.environ["DATABASE_HOST"],
        port=int(os.environ.get("DATABASE_PORT", "5432")),
        dbname=os.environ["DATABASE_NAME"],
        user=os.environ.get("DATABASE_USER", "sme_owner"),
        password=os.environ["DATABASE_PASSWORD"],
        connect_timeout=10,
    )


def applied(cur) -> list[tuple[int, int, str]]:
    cur.execute(TABLE)
    cur.execute('SELECT id, "timestamp", name FROM migrations ORDER BY "timestamp"')
    return list(cur.fetchall())


def run(conn) -> int:
    with conn, conn.cursor() as cur:
        done = {row[2] for row in applied(cur)}
    pending = [m for m in MIGRATIONS if m.full_name not in done]
    print(f"{len(done)} migrations are already loaded in the database.")
    print(f"{len(MIGRATIONS)} migrations were found in the source code.")
    if not pending:
        print("No migrations are pending")
        return 0
    print(f"{len(pending)} migrations are new migrations must be executed.")
    for m in pending:
        with conn, conn.cursor() as cur:
            cur.execute(m.up)
            cur.execute('INSERT INTO migrations ("timestamp", name) VALUES (%s, %s)', (m.timestamp, m.full_name))
        print(f"Migration {m.full_name} has been executed successfully.")
    return 0


def show(conn) -> int:
    with conn, conn.cursor() as cur:
        rows = {row[2]: row[0] for row in applied(cur)}
    for m in MIGRATIONS:
        print(f" [X] {rows[m.full_name]} {m.full_name}" if m.full_name in rows else f" [ ] {m.full_name}")
    return 0


def revert(conn) -> int:
    with conn, conn.cursor() as cur:
        rows = applied(cur)
    print(f"{len(rows)} migrations are already loaded in the database.")
    if not rows:
        print("No migrations were found in the database. Nothing to revert!")
        return 0
    _, _, name = rows[-1]
    migration = next((m for m in MIGRATIONS if m.full_name == name), None)
    if migration is None:
        print(f"Migration {name} is in the database but not in the source code: cannot revert it", file=sys.stderr)
        return 1
    with conn, conn.cursor() as cur:
        cur.execute(migration.down)
        cur.execute("DELETE FROM migrations WHERE name = %s", (name,))
    print(f"Migration {name} has been reverted successfully.")
    return 0


def main(argv: list[str]) -> int:
    commands = {"run": run, "show": show, "revert": revert}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python3 -m standins.migrate run|show|revert", file=sys.stderr)
        return 2
    print(f"query: database {os.environ.get('DATABASE_NAME')} on {os.environ.get('DATABASE_HOST')}")
    conn = connect()
    try:
        return commands[argv[0]](conn)
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
