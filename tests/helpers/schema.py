"""Helpers for the product schema and analytics tests: seeded data, acting as an application role,
catalog queries.

Every test gets a fresh clone of the migrated product database (`db` or `seeded`, autocommit off, as
a superuser). Tests work inside its one transaction and use savepoints for expected failures, so a
test costs milliseconds once the clone exists.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from dbrun.catalog import PRODUCT_SCHEMAS

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = sorted((REPO_ROOT / "seeds").glob("*.sql"))

# Seeded identities (seeds/20_acme.sql, seeds/30_globex.sql; secrets documented in docs/seeds.md).
ORG_A = "11111111-1111-4111-8111-111111111111"
ORG_B = "22222222-2222-4222-8222-222222222222"
PRODUCT_SCHEMAS_SQL = PRODUCT_SCHEMAS

Conn = psycopg.Connection[Any]


def load_seeds(conn: Conn) -> None:
    """Apply seeds/*.sql the way `dbrun seed` does: each file as one execute, in this transaction."""
    for path in SEEDS:
        conn.execute(path.read_bytes())
    conn.execute("RESET ROLE")


@contextmanager
def acting(conn: Conn, role: str | None, org: str | None = None, user: str | None = None) -> Iterator[Conn]:
    """Run the block as `role` with the given tenant context, inside a savepoint.

    Leaving normally resets role and context; an exception rolls the savepoint back (and with it the
    SET LOCALs), so the caller's transaction stays usable.
    """
    with conn.transaction():
        conn.execute("SELECT set_config('app.org_id', %s, true), set_config('app.user_id', %s, true)",
                     (org or "", user or ""))
        if role:
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
        yield conn
        conn.execute("RESET ROLE")
        conn.execute("SELECT set_config('app.org_id', '', true), set_config('app.user_id', '', true)")


@contextmanager
def rolled_back(conn: Conn) -> Iterator[Conn]:
    """A savepoint that is always rolled back: the block's changes never reach the rest of the test."""
    with conn.transaction(force_rollback=True):
        yield conn


def expect_error(conn: Conn, statement: str | sql.Composable, params: Any = None) -> psycopg.Error:
    """Run `statement` in a savepoint and return the error it must raise."""
    try:
        with conn.transaction():
            conn.execute(statement, params)
    except psycopg.Error as exc:
        return exc
    raise AssertionError(f"expected an error from: {statement!r}")


@dataclass(frozen=True)
class TenantTable:
    schema: str
    name: str
    forced: bool
    org_not_null: bool

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


def tenant_tables(conn: Conn) -> list[TenantTable]:
    """Every product table carrying an organization_id column, from the catalog."""
    rows = conn.execute(
        f"""SELECT n.nspname, c.relname, c.relforcerowsecurity, a.attnotnull
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped
            WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND {PRODUCT_SCHEMAS_SQL}
            ORDER BY 1, 2""").fetchall()
    return [TenantTable(*row) for row in rows]


def primary_key_columns(conn: Conn, table: TenantTable) -> list[str]:
    rows = conn.execute(
        """SELECT a.attname FROM pg_index i
           JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = %s::regclass AND i.indisprimary ORDER BY k.ord""", (str(table),)).fetchall()
    return [r[0] for r in rows]


def insertable_columns(conn: Conn, table: TenantTable) -> list[str]:
    rows = conn.execute(
        """SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
           AND attgenerated = '' ORDER BY attnum""", (str(table),)).fetchall()
    return [r[0] for r in rows]


# -- logging in as a service --------------------------------------------------------------------

# LOGIN roles the way services connect: granted app_rw, app_ro or app_ingest, never superuser; the platform
# scheduler's maintenance jobs (audit sealing, partitions) log in granted app_migrator. Roles are
# cluster-wide, so they are created once (idempotently) and reused by every test database.
SERVICE_LOGINS = {"app_rw": "svc_rw_login", "app_ro": "svc_ro_login", "app_ingest": "svc_ingest_login",
                  "app_migrator": "svc_migrator_login"}


def url_as(url: str, login: str) -> str:
    """The same database URL, logging in as `login` (the test cluster trusts its Unix socket)."""
    return url.replace("postgresql://postgres@", f"postgresql://{login}@", 1)


def ensure_service_logins(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        for group, login in SERVICE_LOGINS.items():
            admin.execute(sql.SQL("""DO $$ BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {login_text}) THEN
                    CREATE ROLE {login} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE {group};
                END IF; END $$""").format(login_text=sql.Literal(login), login=sql.Identifier(login),
                                          group=sql.Identifier(group)))


@contextmanager
def service_session(url: str, group: str, org: str | None = None, user: str | None = None) -> Iterator[Conn]:
    """A connection logged in as the service login of `group` (app_rw, app_ro, app_ingest, app_migrator), in a transaction
    with the given tenant context; rolled back when the block ends (committed work stays visible)."""
    ensure_service_logins(url)
    with psycopg.connect(url_as(url, SERVICE_LOGINS[group])) as conn:
        who = conn.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        assert who == (SERVICE_LOGINS[group], False), who
        conn.execute("SELECT set_config('app.org_id', %s, true), set_config('app.user_id', %s, true)",
                     (org or "", user or ""))
        try:
            yield conn
        finally:
            conn.rollback()
