"""Bookkeeping: the `dbrun` schema's tables, the advisory lock, and checksum and failure records.

The tables keep yoyo's vocabulary (migration id and migration hash: sha256 of the id) and add what
yoyo lacks: the sha256 of each applied file's bytes, per-run log rows with duration, statements,
rows and who/where, per-statement progress of non-transactional files, and repeatable checksums.
Everything here runs on the caller's connection, so a migration and its records commit together.
"""

from __future__ import annotations

import functools
import getpass
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import psycopg

from dbrun import __version__, catalog
from dbrun.errors import LockNotAcquired

SCHEMA = catalog.BOOKKEEPING_SCHEMA
BOOKKEEPING_VERSION = 3
# pg_advisory_lock(int4, int4): a fixed class ('dbrn' in ASCII) and object for "migrating this database".
LOCK_CLASS = 0x6462726E
LOCK_OBJECT = 1

Conn = psycopg.Connection[Any]

_LOG_OPERATIONS = "'apply', 'rollback', 'repeatable', 'repair', 'baseline', 'import'"

_BATCHES_DDL = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.batches (
    version text NOT NULL,
    direction text NOT NULL,
    batches bigint NOT NULL DEFAULT 0,
    rows_affected bigint NOT NULL DEFAULT 0,
    last_key text,
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    run_id uuid NOT NULL,
    CONSTRAINT pk_batches PRIMARY KEY (version, direction),
    CONSTRAINT ck_batches_direction CHECK (direction IN ('up', 'down'))
);
COMMENT ON TABLE {SCHEMA}.batches IS
    'Progress of a batch migration still running or stopped: committed batches, rows, and the last key reached.';
COMMENT ON COLUMN {SCHEMA}.batches.last_key IS
    'First column returned by the last batch''s RETURNING (its maximum), bound to :last by the next batch.';
"""

_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
COMMENT ON SCHEMA {SCHEMA} IS 'Bookkeeping of the dbrun migration runner. Written only by dbrun.';

CREATE TABLE IF NOT EXISTS {SCHEMA}.bookkeeping_version (
    version integer NOT NULL,
    installed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_bookkeeping_version PRIMARY KEY (version)
);
COMMENT ON TABLE {SCHEMA}.bookkeeping_version IS 'Layout version of the dbrun bookkeeping tables.';

CREATE TABLE IF NOT EXISTS {SCHEMA}.migrations (
    version text NOT NULL,
    name text NOT NULL,
    migration_hash text NOT NULL,
    checksum text NOT NULL,
    transactional boolean NOT NULL,
    status text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms integer,
    run_id uuid NOT NULL,
    applied_by text NOT NULL DEFAULT current_user,
    CONSTRAINT pk_migrations PRIMARY KEY (version),
    CONSTRAINT uq_migrations_migration_hash UNIQUE (migration_hash),
    CONSTRAINT ck_migrations_status CHECK (status IN ('applied', 'partial')),
    CONSTRAINT ck_migrations_checksum CHECK (checksum ~ '^[0-9a-f]{{64}}$')
);
COMMENT ON TABLE {SCHEMA}.migrations IS
    'Versioned migrations applied to this database (partial: a non-transactional one that stopped part-way).';
COMMENT ON COLUMN {SCHEMA}.migrations.migration_hash IS 'yoyo''s key: sha256 of the migration id (file name).';
COMMENT ON COLUMN {SCHEMA}.migrations.checksum IS 'sha256 of the up file''s bytes when it was applied.';

CREATE TABLE IF NOT EXISTS {SCHEMA}.log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    run_id uuid NOT NULL,
    operation text NOT NULL,
    direction text,
    version text,
    name text,
    migration_hash text,
    status text NOT NULL,
    checksum text,
    started_at timestamptz NOT NULL,
    duration_ms integer,
    statements integer,
    rows_affected bigint,
    relations text[],
    sqlstate text,
    error text,
    db_user text NOT NULL DEFAULT current_user,
    os_user text,
    hostname text,
    application_name text DEFAULT current_setting('application_name'),
    client_addr inet DEFAULT inet_client_addr(),
    dbrun_version text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT pk_log PRIMARY KEY (id),
    CONSTRAINT ck_log_operation CHECK (operation IN ({_LOG_OPERATIONS})),
    CONSTRAINT ck_log_direction CHECK (direction IN ('up', 'down')),
    CONSTRAINT ck_log_status CHECK (status IN ('ok', 'failed', 'marked', 'forgotten'))
);
COMMENT ON TABLE {SCHEMA}.log IS 'One row per apply, rollback, repeatable or repair event, successful or not.';

CREATE TABLE IF NOT EXISTS {SCHEMA}.progress (
    version text NOT NULL,
    statement_index integer NOT NULL,
    statement_checksum text NOT NULL,
    completed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT pk_progress PRIMARY KEY (version, statement_index)
);
COMMENT ON TABLE {SCHEMA}.progress IS 'Statements completed by a non-transactional migration still in progress.';

CREATE TABLE IF NOT EXISTS {SCHEMA}.repeatables (
    path text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    run_id uuid NOT NULL,
    CONSTRAINT pk_repeatables PRIMARY KEY (path)
);
COMMENT ON TABLE {SCHEMA}.repeatables IS 'Rendered checksum of each repeatable (policies/, views/) last applied.';

INSERT INTO {SCHEMA}.bookkeeping_version (version) VALUES (1) ON CONFLICT DO NOTHING;
"""

# Layout 2: a migration rolled back after it failed part-way is held (not re-applied by `up`) until
# `dbrun repair VERSION --retry`; the log records holding and releasing. Run on layout 1 to upgrade.
_DDL_V2 = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.held (
    version text NOT NULL,
    name text NOT NULL,
    reason text NOT NULL,
    held_at timestamptz NOT NULL DEFAULT now(),
    run_id uuid NOT NULL,
    CONSTRAINT pk_held PRIMARY KEY (version)
);
COMMENT ON TABLE {SCHEMA}.held IS
    'Migrations rolled back after failing part-way: `up` skips them until `dbrun repair VERSION --retry`.';
ALTER TABLE {SCHEMA}.log DROP CONSTRAINT IF EXISTS ck_log_status;
ALTER TABLE {SCHEMA}.log ADD CONSTRAINT ck_log_status
    CHECK (status IN ('ok', 'failed', 'marked', 'forgotten', 'held', 'released'));
INSERT INTO {SCHEMA}.bookkeeping_version (version) VALUES (2) ON CONFLICT DO NOTHING;
"""

# Layout 3: progress of batch files, and baseline/import events in the log. Run on layout 2 to upgrade.
_DDL_V3 = f"""
{_BATCHES_DDL}
ALTER TABLE {SCHEMA}.log DROP CONSTRAINT IF EXISTS ck_log_operation;
ALTER TABLE {SCHEMA}.log ADD CONSTRAINT ck_log_operation CHECK (operation IN ({_LOG_OPERATIONS}));
INSERT INTO {SCHEMA}.bookkeeping_version (version) VALUES (3) ON CONFLICT DO NOTHING;
"""


class MigrationState(StrEnum):
    """Where a migration stands. The history records APPLIED and PARTIAL (a non-transactional file
    that stopped part-way); `plan.migration_states` derives the others by comparing it with the files."""

    APPLIED = "applied"
    PENDING = "pending"  # on disk, never applied
    PARTIAL = "partial"
    CHANGED = "changed"  # applied, but the file's checksum differs from the recorded one
    MISSING = "missing"  # applied, but its file is gone
    FAILED = "failed"  # not applied; its last attempt failed (and was rolled back): fix the file, run `up`
    HELD = "held"  # rolled back after failing part-way: `up` skips it until `dbrun repair VERSION --retry`


@dataclass(frozen=True)
class FailureRecord:
    """The last attempt at a migration, when it failed: what the log says."""

    version: str
    name: str
    direction: str | None
    sqlstate: str | None
    error: str | None
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AppliedMigration:
    version: str
    name: str
    checksum: str
    transactional: bool
    status: MigrationState
    applied_at: datetime
    duration_ms: int | None


@dataclass(frozen=True)
class BatchProgress:
    """What the committed batches of a batch migration did so far."""

    batches: int
    rows: int
    last_key: str | None


@dataclass
class HistoryState:
    """What the database says has been applied. `exists` is False on a database never migrated."""

    exists: bool
    applied: dict[str, AppliedMigration] = field(default_factory=dict)
    repeatables: dict[str, str] = field(default_factory=dict)
    progress: dict[str, dict[int, str]] = field(default_factory=dict)
    batches: dict[tuple[str, str], BatchProgress] = field(default_factory=dict)  # (version, direction)
    last_failure: dict[str, Any] | None = None
    failures: dict[str, FailureRecord] = field(default_factory=dict)  # version -> its last attempt, failed
    held: dict[str, str] = field(default_factory=dict)  # version -> why `up` skips it
    last_change_at: datetime | None = None  # the newest successful apply or rollback

    def newest_applied(self) -> str | None:
        done = [v for v, m in self.applied.items() if m.status is MigrationState.APPLIED]
        return max(done, default=None)


# Run first in every transaction that writes bookkeeping: whatever role, session authorization or
# search_path a migration file switched to, its records are written as the runner's login role with
# only pg_catalog on the path. LOCAL, so a non-transactional file's own session state carries on to
# its next statement once the record is committed.
AS_RUNNER_STATEMENTS = ("SET LOCAL SESSION AUTHORIZATION DEFAULT", "SET LOCAL ROLE NONE",
                        "SET LOCAL search_path = pg_catalog")
AS_RUNNER_SQL = "; ".join(AS_RUNNER_STATEMENTS)


def as_runner(conn: Conn | RecordBatch) -> None:
    """Make the rest of the current transaction run as the runner's login role (see AS_RUNNER_SQL)."""
    conn.execute(AS_RUNNER_SQL)


class RecordBatch:
    """Bookkeeping statements sent to the server together, as one simple-protocol query: a migration's
    records (and its COMMIT) cost one round trip. psycopg's ClientCursor binds each statement's
    parameters client-side (quoted as literals), since one query with several statements cannot carry
    server-side parameters. The server runs them in order and stops at the first error."""

    def __init__(self, conn: Conn) -> None:
        self._cursor = psycopg.ClientCursor(conn)
        self._parts: list[str] = []

    def execute(self, query: str, params: Mapping[str, Any] | Sequence[Any] | None = None) -> None:
        self._parts.append(self._cursor.mogrify(query, params) if params is not None else query)

    def send(self) -> psycopg.ClientCursor[Any]:
        """Run the statements; the cursor is left on the first result with rows (a RETURNING), if any."""
        self._cursor.execute(";\n".join(self._parts))
        while self._cursor.description is None and self._cursor.nextset():
            pass
        return self._cursor


def bookkeeping_exists(conn: Conn) -> bool:
    row = conn.execute(f"SELECT to_regclass('{SCHEMA}.migrations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def _table_exists(conn: Conn, name: str) -> bool:
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.{name}",)).fetchone()
    return bool(row and row[0])


def ensure_bookkeeping(conn: Conn) -> None:
    """Create or upgrade the bookkeeping tables (call under the advisory lock: concurrent DDL races)."""
    # One round trip: the newest table of each layout exists when the bookkeeping is current.
    row = conn.execute(f"SELECT to_regclass('{SCHEMA}.migrations') IS NOT NULL AND to_regclass('{SCHEMA}.held') "
                       f"IS NOT NULL AND to_regclass('{SCHEMA}.batches') IS NOT NULL").fetchone()
    if row and row[0]:
        return
    with conn.transaction():
        as_runner(conn)
        if not bookkeeping_exists(conn):
            conn.execute(_DDL)
        conn.execute(_DDL_V2)  # each layout's DDL is idempotent: an upgrade runs the ones it lacks
        conn.execute(_DDL_V3)


def read_state(conn: Conn) -> HistoryState:
    """Read the history without creating anything (safe for status, health and dry-run)."""
    if not bookkeeping_exists(conn):
        return HistoryState(exists=False)
    state = HistoryState(exists=True)
    for row in conn.execute(
        f"SELECT version, name, checksum, transactional, status, applied_at, duration_ms "
        f"FROM {SCHEMA}.migrations ORDER BY version"
    ):
        version, name, checksum, transactional, status, applied_at, duration_ms = row
        state.applied[version] = AppliedMigration(
            version=version, name=name, checksum=checksum, transactional=transactional,
            status=MigrationState(status), applied_at=applied_at, duration_ms=duration_ms)
    state.repeatables = dict(conn.execute(f"SELECT path, checksum FROM {SCHEMA}.repeatables").fetchall())
    has_batches = conn.execute(f"SELECT to_regclass('{SCHEMA}.batches') IS NOT NULL").fetchone()
    if has_batches and has_batches[0]:
        for version, direction, batches, rows, last_key in conn.execute(
                f"SELECT version, direction, batches, rows_affected, last_key FROM {SCHEMA}.batches"):
            state.batches[(version, direction)] = BatchProgress(batches, rows, last_key)
    for version, index, checksum in conn.execute(
        f"SELECT version, statement_index, statement_checksum FROM {SCHEMA}.progress"
    ):
        state.progress.setdefault(version, {})[index] = checksum
    _read_outcomes(conn, state)
    cur = conn.cursor(row_factory=psycopg.rows.dict_row)
    state.last_failure = cur.execute(
        f"SELECT version, name, direction, sqlstate, error, created_at FROM {SCHEMA}.log "
        f"WHERE status = 'failed' AND id > coalesce((SELECT max(id) FROM {SCHEMA}.log WHERE status <> 'failed'), 0) "
        f"ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return state


def _read_outcomes(conn: Conn, state: HistoryState) -> None:
    """Failed last attempts, held migrations and the time of the newest change, from the log."""
    for version, name, status, direction, sqlstate, error, at in conn.execute(
        f"""SELECT DISTINCT ON (version) version, name, status, direction, sqlstate, error, created_at
            FROM {SCHEMA}.log WHERE version IS NOT NULL AND operation IN ('apply', 'rollback', 'repair')
            ORDER BY version, id DESC"""
    ):
        if status == "failed":
            state.failures[version] = FailureRecord(version, name or version, direction, sqlstate, error, at)
    if _table_exists(conn, "held"):
        state.held = dict(conn.execute(f"SELECT version, reason FROM {SCHEMA}.held").fetchall())
    row = conn.execute(f"SELECT max(created_at) FROM {SCHEMA}.log WHERE operation IN ('apply', 'rollback') "
                       "AND status = 'ok'").fetchone()
    state.last_change_at = row[0] if row else None


# ---------------------------------------------------------------------------------------------
# records


def hold(conn: Conn | RecordBatch, *, version: str, name: str, reason: str, run_id: str) -> None:
    """Keep `up` from re-applying a migration rolled back after failing part-way."""
    conn.execute(
        f"""INSERT INTO {SCHEMA}.held (version, name, reason, run_id) VALUES (%s, %s, %s, %s)
            ON CONFLICT (version) DO UPDATE SET reason = excluded.reason, held_at = now(), run_id = excluded.run_id""",
        (version, name, reason, run_id))


def release(conn: Conn, version: str) -> bool:
    """Let `up` apply a held migration again; False if it was not held."""
    return conn.execute(f"DELETE FROM {SCHEMA}.held WHERE version = %s", (version,)).rowcount > 0


@dataclass
class LogEntry:
    run_id: str
    operation: str
    status: str
    started_at: datetime
    direction: str | None = None
    version: str | None = None
    name: str | None = None
    migration_hash: str | None = None
    checksum: str | None = None
    duration_ms: int | None = None
    statements: int | None = None
    rows_affected: int | None = None
    relations: list[str] | None = None
    sqlstate: str | None = None
    error: str | None = None


def write_log(conn: Conn | RecordBatch, entry: LogEntry, relations_from_locks: bool = False) -> None:
    """Insert a log row (it returns the row's `relations`: RETURNING, read by `RecordBatch.send`)."""
    # Relations read by the server inside this INSERT: one round trip less per migration.
    relations = catalog.locked_relations_sql() if relations_from_locks else "%(relations)s"
    conn.execute(
        f"""INSERT INTO {SCHEMA}.log (run_id, operation, direction, version, name, migration_hash, status,
                checksum, started_at, duration_ms, statements, rows_affected, relations, sqlstate, error,
                os_user, hostname, dbrun_version)
            VALUES (%(run_id)s, %(operation)s, %(direction)s, %(version)s, %(name)s, %(migration_hash)s,
                %(status)s, %(checksum)s, %(started_at)s, %(duration_ms)s, %(statements)s, %(rows_affected)s,
                {relations}, %(sqlstate)s, %(error)s, %(os_user)s, %(hostname)s, %(dbrun_version)s)
            RETURNING coalesce(relations, '{{}}')""",
        {**entry.__dict__, "os_user": _os_user(), "hostname": _hostname(), "dbrun_version": __version__},
    )


@functools.cache
def _os_user() -> str:
    return getpass.getuser()  # a passwd lookup: once per run, not once per log row


@functools.cache
def _hostname() -> str:
    return socket.gethostname()


def mark_applied(conn: Conn | RecordBatch, *, version: str, name: str, migration_hash: str, checksum: str,
                 transactional: bool, duration_ms: int | None, run_id: str, had_progress: bool = True) -> None:
    """Record a migration as applied; `had_progress=False` (a transactional file applied in one go,
    which leaves no statement or batch progress) skips clearing its progress rows."""
    conn.execute(
        f"""INSERT INTO {SCHEMA}.migrations
                (version, name, migration_hash, checksum, transactional, status, duration_ms, run_id)
            VALUES (%s, %s, %s, %s, %s, 'applied', %s, %s)
            ON CONFLICT (version) DO UPDATE SET status = 'applied', checksum = excluded.checksum,
                name = excluded.name, migration_hash = excluded.migration_hash, applied_at = now(),
                duration_ms = excluded.duration_ms, run_id = excluded.run_id, applied_by = current_user""",
        (version, name, migration_hash, checksum, transactional, duration_ms, run_id),
    )
    if had_progress:
        conn.execute(f"DELETE FROM {SCHEMA}.progress WHERE version = %s", (version,))
        conn.execute(f"DELETE FROM {SCHEMA}.batches WHERE version = %s", (version,))


def mark_partial(conn: Conn, *, version: str, name: str, migration_hash: str, checksum: str, run_id: str) -> None:
    conn.execute(
        f"""INSERT INTO {SCHEMA}.migrations (version, name, migration_hash, checksum, transactional, status, run_id)
            VALUES (%s, %s, %s, %s, false, 'partial', %s)
            ON CONFLICT (version) DO UPDATE SET checksum = excluded.checksum, run_id = excluded.run_id""",
        (version, name, migration_hash, checksum, run_id),
    )


def unmark(conn: Conn | RecordBatch, version: str) -> None:
    conn.execute(f"DELETE FROM {SCHEMA}.migrations WHERE version = %s", (version,))
    conn.execute(f"DELETE FROM {SCHEMA}.progress WHERE version = %s", (version,))
    conn.execute(f"DELETE FROM {SCHEMA}.batches WHERE version = %s", (version,))


def batch_progress(conn: Conn, version: str, direction: str) -> BatchProgress | None:
    row = conn.execute(f"SELECT batches, rows_affected, last_key FROM {SCHEMA}.batches "
                       "WHERE version = %s AND direction = %s", (version, direction)).fetchone()
    return BatchProgress(row[0], row[1], row[2]) if row else None


def record_batch(conn: Conn, *, version: str, direction: str, rows: int, last_key: str | None,
                 run_id: str) -> BatchProgress:
    """Count one committed batch (call in the batch's own transaction, so both commit together)."""
    row = conn.execute(
        f"""INSERT INTO {SCHEMA}.batches (version, direction, batches, rows_affected, last_key, run_id)
            VALUES (%(version)s, %(direction)s, 1, %(rows)s, %(last_key)s, %(run_id)s)
            ON CONFLICT (version, direction) DO UPDATE SET batches = {SCHEMA}.batches.batches + 1,
                rows_affected = {SCHEMA}.batches.rows_affected + excluded.rows_affected,
                last_key = coalesce(excluded.last_key, {SCHEMA}.batches.last_key),
                updated_at = clock_timestamp(), run_id = excluded.run_id
            RETURNING batches, rows_affected, last_key""",
        {"version": version, "direction": direction, "rows": rows, "last_key": last_key, "run_id": run_id},
    ).fetchone()
    assert row is not None
    return BatchProgress(row[0], row[1], row[2])


def record_progress(conn: Conn, version: str, index: int, checksum: str) -> None:
    conn.execute(
        f"""INSERT INTO {SCHEMA}.progress (version, statement_index, statement_checksum) VALUES (%s, %s, %s)
            ON CONFLICT (version, statement_index) DO UPDATE
            SET statement_checksum = excluded.statement_checksum, completed_at = clock_timestamp()""",
        (version, index, checksum),
    )


def record_repeatable(conn: Conn, path: str, checksum: str, run_id: str) -> None:
    conn.execute(
        f"""INSERT INTO {SCHEMA}.repeatables (path, checksum, run_id) VALUES (%s, %s, %s)
            ON CONFLICT (path) DO UPDATE SET checksum = excluded.checksum, applied_at = now(),
            run_id = excluded.run_id""",
        (path, checksum, run_id),
    )


def clear_repeatables(conn: Conn | RecordBatch) -> None:
    """After a down, the current truth of policies and views must be re-applied by the next up."""
    conn.execute(f"DELETE FROM {SCHEMA}.repeatables")


# ---------------------------------------------------------------------------------------------
# advisory lock


@dataclass(frozen=True)
class LockHolder:
    pid: int
    application_name: str
    user: str
    client: str | None
    since: datetime | None

    def describe(self) -> str:
        where = f" from {self.client}" if self.client else ""
        return f"pid {self.pid} ({self.application_name or 'no application_name'}, user {self.user}{where})"


def lock_holder(conn: Conn) -> LockHolder | None:
    row = conn.execute(
        """SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),
                  host(a.client_addr), a.backend_start
           FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.classid = %s AND l.objid = %s AND l.objsubid = 2
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
           LIMIT 1""",
        (LOCK_CLASS, LOCK_OBJECT),
    ).fetchone()
    return LockHolder(*row) if row else None


@contextmanager
def advisory_lock(conn: Conn, wait_s: float, poll_s: float = 0.2) -> Iterator[None]:
    """Hold the session-level migration lock; the server frees it if this process dies."""
    deadline = time.monotonic() + wait_s
    while True:
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, LOCK_OBJECT)).fetchone()
        if row and row[0]:
            break
        if time.monotonic() >= deadline:
            holder = lock_holder(conn)
            if holder is None:
                # The holder let go (or disconnected) between our last try and now: one more try.
                row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, LOCK_OBJECT)).fetchone()
                if row and row[0]:
                    break
            who = holder.describe() if holder else "a session that took it again just now"
            raise LockNotAcquired(
                f"another dbrun holds the migration lock on this database: {who}; waited {wait_s:g}s",
                hint="wait for it to finish (see `dbrun status`), or raise --lock-wait",
            )
        time.sleep(poll_s)
    try:
        yield
    finally:
        # A lost connection already freed the lock on the server; the error that got us here is the
        # one to report, not a second one from this unlock.
        with suppress(psycopg.Error):
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s, %s)", (LOCK_CLASS, LOCK_OBJECT))
