"""Small helpers shared by tests: run SQL on a database by URL, outside dbrun."""

from __future__ import annotations

from typing import Any

import psycopg


def query(url: str, text: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of one query, in autocommit."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(text, params or None).fetchall()  # type: ignore[arg-type]


def execute(url: str, text: str) -> None:
    """Run a script (several statements, no parameters) in autocommit."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(text.encode())
