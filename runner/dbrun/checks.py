"""Pre-flight checks and schema invariants: each a query whose rows are violations.

Built-in checks guard what the runner itself must never accept (INVALID indexes); the
repository's own live in sql/checks/pre and sql/checks/post. Each runs in a read-only
transaction, so a check can never change the database it inspects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

from dbrun.catalog import PRODUCT_SCHEMAS
from dbrun.connection import reset_session
from dbrun.source import Check, SqlFile, read_directives

Conn = psycopg.Connection[Any]

BUILTIN_POST_CHECKS = {
    "builtin_no_invalid_indexes": f"""
        SELECT format('%I.%I', n.nspname, c.relname) AS index_name,
               'INVALID index (a failed CREATE INDEX CONCURRENTLY?)' AS problem
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE NOT i.indisvalid AND {PRODUCT_SCHEMAS}
    """,
}


@dataclass
class CheckResult:
    name: str
    path: Path | None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    error: str | None = None
    sqlstate: str | None = None
    skipped: str | None = None  # why the check did not run (a relation it requires does not exist yet)
    warning: bool = False  # `-- dbrun: severity=warning`: its rows are reported, never a failure

    @property
    def passed(self) -> bool:
        return self.error is None and (not self.rows or self.warning)

    @property
    def warned(self) -> bool:
        return self.warning and self.error is None and bool(self.rows)


def builtin_checks() -> list[Check]:
    return [Check("post", SqlFile(Path(f"<builtin>/{name}.sql"), Path(f"<builtin>/{name}.sql"), sql, ""))
            for name, sql in BUILTIN_POST_CHECKS.items()]


# `-- dbrun: requires=schema.table[,schema.function()]` in a check's header: the check only makes sense
# once those relations or functions exist (e.g. after the migration that creates them), so before that
# it is skipped.
def required_objects(check: Check) -> list[str]:
    return [name for d in read_directives(check.file.text) if d.key == "requires" for name in d.values if name]


# `-- dbrun: severity=warning`: a check whose rows are worth showing but must not fail a run (e.g. a
# safeguard the database does not let the migrator install).
def is_warning(check: Check) -> bool:
    return any(d.key == "severity" and d.value.lower() == "warning" for d in read_directives(check.file.text))


def _missing(conn: Conn, names: list[str]) -> list[str]:
    """The names that do not resolve: `schema.fn(args)` as a function, anything else as a relation."""
    if not names:
        return []
    rows = conn.execute("""SELECT name FROM unnest(%s::text[]) AS name
                           WHERE CASE WHEN name LIKE '%%(%%' THEN to_regprocedure(name)::oid
                                      ELSE to_regclass(name)::oid END IS NULL""",
                        (names,)).fetchall()
    return [row[0] for row in rows]


def run_check(conn: Conn, check: Check, timeout_ms: int = 60_000) -> CheckResult:
    result = CheckResult(check.name, check.file.rel, warning=is_warning(check))
    missing = _missing(conn, required_objects(check))
    if missing:
        result.skipped = f"skipped: {', '.join(missing)} does not exist yet"
        return result
    if conn.info.transaction_status == TransactionStatus.IDLE:
        reset_session(conn)  # inside a dry-run's transaction, the reviewer resets before its checks
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION READ ONLY")
            conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{timeout_ms}ms",))
            cursor = conn.execute(check.file.text.encode())
            if cursor.description is None:
                result.error = "the check is not a query (it returned no rows description)"
                return result
            result.columns = [c.name for c in cursor.description]
            result.rows = [tuple(row) for row in cursor.fetchmany(1000)]
    except psycopg.Error as exc:
        result.error = (exc.diag.message_primary or str(exc)).strip()
        result.sqlstate = exc.sqlstate
    return result


def run_checks(conn: Conn, checks: list[Check], include_builtin: bool = False) -> list[CheckResult]:
    selected = (builtin_checks() if include_builtin else []) + checks
    return [run_check(conn, check) for check in selected]
