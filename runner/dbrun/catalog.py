"""Introspection queries shared by execute, review, checks and docs."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

_USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp%%'"


def invalid_indexes(conn: Conn) -> list[str]:
    """Indexes left INVALID (typically by a failed CREATE INDEX CONCURRENTLY), schema-qualified."""
    rows = conn.execute(
        f"""SELECT format('%%I.%%I', n.nspname, c.relname)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE NOT i.indisvalid AND {_USER_SCHEMAS}
            ORDER BY 1""",
        (),  # with parameters, psycopg turns the %% above into %
    ).fetchall()
    return [r[0] for r in rows]


def relations_locked_by_this_session(conn: Conn, exclude_schemas: tuple[str, ...] = ("dbrun",)) -> list[str]:
    """Tables, views and indexes this session's transaction has locked: the relations it touched."""
    rows = conn.execute(
        f"""SELECT DISTINCT format('%%I.%%I', n.nspname, c.relname)
            FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND {_USER_SCHEMAS}
              AND n.nspname <> ALL(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
            ORDER BY 1""",
        (list(exclude_schemas),),
    ).fetchall()
    return [r[0] for r in rows]
