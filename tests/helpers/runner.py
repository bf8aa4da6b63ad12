"""Sample migrations and small queries for the runner, review and CLI tests."""

from __future__ import annotations

from typing import Any

import psycopg

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

