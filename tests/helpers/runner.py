"""Sample migrations and small queries for the runner, review and CLI tests."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun.errors import ProblemsFound
from dbrun.source import load_repository

A_UP = """-- Migration: create_accounts
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_accounts PRIMARY KEY,
    name text NOT NULL CONSTRAINT ck_accounts_name_length CHECK (length(name) BETWEEN 1 AND 200)
);
CREATE FUNCTION touch() RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN 1; -- a semicolon inside a body must not split the file
END;
$$;
INSERT INTO accounts (name) VALUES ('a'), ('b');
"""
A_DOWN = "DROP FUNCTION touch();\nDROP TABLE accounts;\n"
B_UP = ("-- Migration: add_email\nALTER TABLE accounts ADD COLUMN email text;\n"
        "CREATE INDEX idx_accounts_email ON accounts (email);\n")
B_DOWN = "DROP INDEX idx_accounts_email;\nALTER TABLE accounts DROP COLUMN email;\n"


def two_migrations() -> dict[str, str | bytes]:
    return {"sql/up/202601010000_create_accounts.sql": A_UP, "sql/down/202601010000_create_accounts.sql": A_DOWN,
            "sql/up/202601020000_add_email.sql": B_UP, "sql/down/202601020000_add_email.sql": B_DOWN}


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params or None).fetchall()


def table_counts(url: str) -> dict[str, int]:
    """Row count of every user table: for proving a database unchanged."""
    with psycopg.connect(url, autocommit=True) as conn:
        tables = conn.execute(
            """SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
               WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1""").fetchall()
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for (t,) in tables}  # type: ignore[index]



def execute(url: str, sql: str) -> None:
    """Run SQL (several statements allowed, sent as written) on its own autocommit connection."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def migration_pair(version: str, slug: str, up: str, down: str, header: bool = True) -> dict[str, str | bytes]:
    """A versioned migration's up and down files, for `make_repo`."""
    prefix = f"-- Migration: {slug}\n" if header else ""
    return {f"sql/up/{version}_{slug}.sql": prefix + up, f"sql/down/{version}_{slug}.sql": down}


def without_bookkeeping(dump: str) -> str:
    """A schema dump without the `dbrun` schema's lines (they legitimately differ between databases)."""
    return "\n".join(line for line in dump.splitlines() if "dbrun" not in line)


def problems_of(root: Path) -> list[tuple[str, str, int | None]]:
    """(code, path, line) of each problem a repository is refused for."""
    with pytest.raises(ProblemsFound) as caught:
        load_repository(root)
    return [(p.code, str(p.path), p.line) for p in caught.value.problems]


def subprocess_env(**extra: str) -> dict[str, str]:
    """This environment without database and dbrun settings, plus `extra`, for `python -m dbrun`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DBRUN_"))}
    env.update(extra)
    return env


def wait_for_query(url: str, pattern: str) -> None:
    """Wait until another session is running a statement LIKE `pattern`."""
    deadline = time.monotonic() + 60
    while not query(url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE %s AND state = 'active' "
                         "AND pid <> pg_backend_pid()", pattern):
        assert time.monotonic() < deadline, f"no session ever ran {pattern}"
        time.sleep(0.05)


def terminate_runner(url: str) -> None:
    """End the runner's backend (as an administrator would) and wait until it is gone."""
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE application_name LIKE 'dbrun/%%' AND pid <> pg_backend_pid()")
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE application_name LIKE 'dbrun/%%'").fetchone():
            time.sleep(0.05)
