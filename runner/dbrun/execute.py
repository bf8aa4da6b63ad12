"""Apply a plan: one transaction per migration, its SQL and its records committed together.

Transactional files go to the server whole, as one parameter-less execute: no client-side
splitting, so `$$` bodies and DO blocks stay intact. Non-transactional files run statement by
statement in autocommit, recording each completed statement so a re-run resumes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import psycopg
from psycopg.pq import TransactionStatus

from dbrun import catalog, history
from dbrun.config import Settings
from dbrun.connection import reset_session, reset_session_sql
from dbrun.errors import ConfigError, ConnectionLost, Interrupted, MigrationFailed, Problem, ProblemsFound, StatementError
from dbrun.plan import Plan, Step
from dbrun.source import (
    Repeatable,
    Script,
    Statement,
    batch_command,
    batch_returns_key,
    bind_batch,
    line_of_offset,
    one_alter_per_subcommand,
    relations_named,
    split_sql,
    split_statements,
    statement_at,
    waits_for_old_snapshots,
)

Conn = psycopg.Connection[Any]
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
_WRITE_COMMANDS = {"INSERT", "UPDATE", "DELETE", "MERGE", "COPY"}


@dataclass
class StatementResult:
    command: str
    rows: int | None


@dataclass
class ScriptOutcome:
    results: list[StatementResult] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return len(self.results)

    @property
    def rows(self) -> int:
        """Rows written (not rows a SELECT returned, e.g. `SELECT set_config(...)`)."""
        return sum(r.rows or 0 for r in self.results if r.command.split(" ", 1)[0] in _WRITE_COMMANDS)


class ScriptError(Exception):
    """A statement of a script failed; `index` is its position among the script's statements."""

    def __init__(self, error: psycopg.Error, index: int, completed: ScriptOutcome) -> None:
        super().__init__(str(error))
        self.error = error
        self.index = index
        self.completed = completed


class _ResultCapturingCursor(psycopg.Cursor[Any]):
    """Keeps every result of a multi-statement execute, including those before a failure.

    psycopg raises on the first failed result and drops the others; we need them to count the
    statements and rows that ran, and to know which statement failed.
    """

    captured: list[Any]

    def _check_results(self, results: list[Any]) -> None:
        self.captured = list(results)
        super()._check_results(results)


def _outcome(results: list[Any]) -> ScriptOutcome:
    from psycopg.pq import ExecStatus

    outcome = ScriptOutcome()
    for result in results:
        if result.status == ExecStatus.FATAL_ERROR:
            break
        if result.status == ExecStatus.EMPTY_QUERY:
            continue
        command = (result.command_status or b"").decode(errors="replace")
        outcome.results.append(StatementResult(command, result.command_tuples))
    return outcome


def run_script(conn: Conn, text: str) -> ScriptOutcome:
    """Send `text` as one simple-protocol query; report per-statement command tags and row counts."""
    cursor = _ResultCapturingCursor(conn)
    cursor.captured = []
    try:
        cursor.execute(text.encode())  # bytes, no params: sent verbatim, '%' is not a placeholder
    except psycopg.Error as exc:
        completed = _outcome(cursor.captured)
        raise ScriptError(exc, completed.statements, completed) from exc
    finally:
        cursor.close()
    return _outcome(cursor.captured)


def statements_as_sent(text: str) -> list[Statement]:
    """A file's statements as a plan with `one_statement_per_query` sends them (the real run, and the
    dry-run that simulates it): each on its own, and an ALTER TABLE with ADD CONSTRAINT among other
    subcommands as one ALTER TABLE per subcommand where that is exactly equivalent
    (source.one_alter_per_subcommand; the parts keep the statement's index and line)."""
    return [part for statement in split_statements(text) for part in one_alter_per_subcommand(statement)]


def run_statements(conn: Conn, statements: list[Statement]) -> ScriptOutcome:
    """Send each statement as its own simple-protocol query (see `Plan.one_statement_per_query`)."""
    outcome = ScriptOutcome()
    for statement in statements:
        try:
            done = run_script(conn, statement.text)
        except ScriptError as exc:
            outcome.results.extend(exc.completed.results)
            raise ScriptError(exc.error, statement.index, outcome) from exc.error
        outcome.results.extend(done.results)
    return outcome


# ---------------------------------------------------------------------------------------------
# error reporting


def statement_error(path: Path, text: str, exc: ScriptError | psycopg.Error,
                    statements: list[Statement] | None = None, offset_line: int = 0) -> StatementError:
    """File, line, SQLSTATE, message, detail and hint of a failed statement.

    `text` is the SQL that was sent; `offset_line` the number of file lines before it (a
    non-transactional file sends one statement at a time).
    """
    error = exc.error if isinstance(exc, ScriptError) else exc
    diag = error.diag
    statements = statements if statements is not None else split_statements(text)
    index = exc.index if isinstance(exc, ScriptError) else 0
    statement = statements[min(index, len(statements) - 1)] if statements else None
    if diag.statement_position:
        # The server's error position is exact (a character offset into the text sent): the failing
        # statement is the one covering it, whatever the count of results before it says.
        offset = int(diag.statement_position) - 1
        statement = statement_at(statements, offset) or statement
        line = line_of_offset(text, offset)
    elif statement is not None:
        line = _line_inside_body(statement, diag.context) or statement.line
    else:
        line = 1
    return StatementError(
        path=path, line=line + offset_line, sqlstate=diag.sqlstate,
        message=(diag.message_primary or str(error)).strip(), detail=diag.message_detail,
        hint=diag.message_hint, context=diag.context, excerpt=statement.excerpt() if statement else "",
    )


_BODY_LINE = re.compile(r"(?:inline_code_block|function [^ ]+) line (\d+)")


def _line_inside_body(statement: Statement, context: str | None) -> int | None:
    """For errors inside a DO block or function body: the file line of the failing body line."""
    if not context:
        return None
    match = _BODY_LINE.search(context)
    body_start = statement.text.find("$")
    if not match or body_start < 0:
        return None
    return statement.line + statement.text.count("\n", 0, body_start) + int(match.group(1)) - 1


# ---------------------------------------------------------------------------------------------
# events


@dataclass(kw_only=True)
class Event:
    """One thing that happened in a run, for progress display and JSON log lines."""

    event: str  # migration | repeatable | retry | statement | note | batch
    status: str
    run_id: str
    version: str | None = None
    name: str | None = None
    direction: str | None = None
    duration_ms: int | None = None
    statements: int | None = None
    rows: int | None = None
    relations: list[str] | None = None
    checksum: str | None = None
    message: str | None = None
    batches: int | None = None  # batch files: batches committed so far (this run and earlier ones)
    rows_per_s: float | None = None  # batch files: rows per second in this run

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(kw_only=True)
class MigrationResult:
    version: str
    name: str
    direction: str
    status: str  # applied | rolled back | repeatable
    duration_ms: int
    statements: int
    rows: int
    relations: list[str]
    checksum: str
    skipped_statements: int = 0


@dataclass
class RunResult:
    run_id: str
    direction: str
    migrations: list[MigrationResult] = field(default_factory=list)
    repeatables: list[MigrationResult] = field(default_factory=list)
    # --max-duration: the run stopped at its deadline; these migrations (and any repeatables) remain.
    remaining: list[str] = field(default_factory=list)
    deadline_reached: bool = False


class _DeadlineReached(Exception):
    """A batch migration stopped between two batches at the run's deadline (its progress is recorded)."""


Listener = Callable[[Event], None]


def _ms_since(start: float) -> int:
    return int((time.monotonic() - start) * 1000)


class Executor:
    """Runs a plan on one connection that already holds the migration lock."""

    def __init__(self, conn: Conn, settings: Settings, listener: Listener | None = None,
                 run_id: str | None = None) -> None:
        self.conn = conn
        self.settings = settings
        self.listener = listener or (lambda event: None)
        self.run_id = run_id or str(uuid.uuid4())
        # --max-duration: no migration starts after this time.monotonic() value; batches stop at it.
        self.deadline = time.monotonic() + settings.max_duration_ms / 1000 if settings.max_duration_ms else None
        # The plan's session settings (plan.CITUS_BOOTSTRAP_SETTINGS), set in every migration and
        # policies/views transaction of the run; never in citus/before/ and citus/after/ files.
        self.session_settings: dict[str, str] = {}
        self.one_statement_per_query = False  # Plan.one_statement_per_query

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def run(self, plan: Plan) -> RunResult:
        result = RunResult(self.run_id, plan.direction)
        current = "the repeatables"
        self.session_settings = dict(plan.session_settings)
        self.one_statement_per_query = plan.one_statement_per_query
        try:
            if plan.before:
                current = "citus/before"
                result.repeatables.extend(self._engine_files(plan.before))
            for position, step in enumerate(plan.steps):
                current = step.migration.name
                if self._past_deadline():
                    return self._stopped_at_deadline(result, plan, position)
                # Every file starts from the session the runner connected with, whatever the one
                # before it SET: batching N migrations must give what running them one by one gives.
                # A transactional file resets inside its own transaction (one round trip less).
                if not step.script.directives.transactional:
                    reset_session(self.conn)
                if step.script.directives.batch is not None:
                    try:
                        result.migrations.append(self._batch(step))
                    except _DeadlineReached:
                        return self._stopped_at_deadline(result, plan, position)
                elif step.script.directives.transactional:
                    result.migrations.append(self._transactional(step))
                else:
                    result.migrations.append(self._non_transactional(step))
            current = "the repeatables"
            if plan.repeatables and plan.repeatables_one_transaction_each:
                result.repeatables.extend(self._engine_files(plan.repeatables, engine_file=False))
            elif plan.repeatables:
                result.repeatables.extend(self._repeatables(plan.repeatables))
            if plan.after:
                current = "citus/after"
                result.repeatables.extend(self._engine_files(plan.after))
        except psycopg.OperationalError as exc:
            raise _connection_lost(exc, result, current) from exc
        return result

    def _stopped_at_deadline(self, result: RunResult, plan: Plan, position: int) -> RunResult:
        """--max-duration passed: say what remains; nothing half-done is left unrecorded."""
        result.deadline_reached = True
        result.remaining = [step.migration.name for step in plan.steps[position:]]
        self.listener(Event(event="deadline", status="stopped", run_id=self.run_id, message=(
            f"--max-duration reached: {len(result.remaining)} migration(s) not run"
            + (" and the repeatables not applied" if plan.repeatables else ""))))
        return result

    # -- limits --------------------------------------------------------------------------

    def _limits(self, script: Script | None) -> tuple[int, int]:
        directives = script.directives if script else None
        lock = directives.lock_timeout_ms if directives and directives.lock_timeout_ms is not None else None
        stmt = directives.statement_timeout_ms if directives and directives.statement_timeout_ms is not None else None
        return (lock if lock is not None else self.settings.lock_timeout_ms,
                stmt if stmt is not None else self.settings.statement_timeout_ms)

    def _limits_sql(self, script: Script | None, local: bool, engine_file: bool = False) -> str:
        """The file's timeouts, `dbrun.run_id` (the DDL audit event trigger tags DDL run by dbrun with it),
        and, unless for an engine file (citus/), the plan's session settings."""
        lock_ms, statement_ms = self._limits(script)
        scope = "true" if local else "false"
        # Integers and a parsed uuid only: formatted into the text so that it can go in one simple-protocol
        # query with other statements of dbrun's own.
        limits = (f"SELECT set_config('lock_timeout', '{int(lock_ms)}ms', {scope}), "
                  f"set_config('statement_timeout', '{int(statement_ms)}ms', {scope}), "
                  f"set_config('dbrun.run_id', '{uuid.UUID(self.run_id)}', {scope})")
        if not engine_file:
            # Names and values are the plan's constants, not input.
            limits += "".join(f", set_config('{name}', '{value}', {scope})" for name, value in self.session_settings.items())
        return limits

    def _set_limits(self, script: Script | None, local: bool, engine_file: bool = False) -> None:
        self.conn.execute(self._limits_sql(script, local, engine_file))

    def _begin_clean(self, script: Script) -> None:
        """BEGIN, the clean session (`connection.reset_session_sql`) and the file's limits, in one round
        trip. Inside the transaction, so a rollback undoes the reset too and each attempt resets again."""
        self.conn.execute(f"BEGIN; {reset_session_sql()}; {self._limits_sql(script, local=True)}")

    def _rollback(self) -> None:
        """End a transaction opened by `_begin_clean` that did not commit (error, Ctrl-C, lost connection)."""
        if self.conn.closed or self.conn.info.transaction_status == TransactionStatus.IDLE:
            return
        with suppress(psycopg.OperationalError):  # a lost connection is the error to report
            self.conn.execute("ROLLBACK")

    def _run_file(self, text: str) -> ScriptOutcome:
        if self.one_statement_per_query:
            return run_statements(self.conn, statements_as_sent(text))
        return run_script(self.conn, text)

    def _with_lock_retries(self, what: str, step: Step | None, attempt_fn: Callable[[], Any],
                           deadlocks: bool = True) -> Any:
        """Run `attempt_fn`; on lock_timeout (55P03), or with `deadlocks` a deadlock (40P01), retry with
        exponential backoff, a bounded number of times. A deadlock is retried only where `attempt_fn` is
        one whole transaction: PostgreSQL rolled it all back, so running it again is running it once
        (the other session, autovacuum's ANALYZE for one, went on and is likely done by then). Not for a
        non-transactional statement: a CONCURRENTLY build cut short leaves an INVALID index behind."""
        retryable = {LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED} if deadlocks else {LOCK_NOT_AVAILABLE}
        attempt = 0
        while True:
            try:
                return attempt_fn()
            except ScriptError as exc:
                if exc.error.sqlstate not in retryable or attempt >= self.settings.lock_retries:
                    raise
                attempt += 1
                delay_ms = self.settings.lock_retry_backoff_ms * 2 ** (attempt - 1)
                self.listener(Event(
                    event="retry", status="waiting", run_id=self.run_id,
                    version=step.migration.version if step else None, name=step.migration.name if step else what,
                    direction=step.direction if step else None,
                    message=f"{_retry_reason(exc)}; retry {attempt} of {self.settings.lock_retries} in {delay_ms} ms"))
                time.sleep(delay_ms / 1000)

    # -- transactional ---------------------------------------------------------------------

    def _transactional(self, step: Step) -> MigrationResult:
        """Three round trips: BEGIN with the clean session and limits; the file; its records with COMMIT.
        The COMMIT waits for the WAL flush like any other, so each migration is durable before the next
        one starts."""
        script, migration = step.script, step.migration
        started_at = datetime.now(UTC)
        start = time.monotonic()

        def attempt() -> tuple[ScriptOutcome, list[str]]:
            self._begin_clean(script)
            try:
                outcome = self._run_file(script.file.text)
                relations = self._record(step, outcome, started_at, _ms_since(start), commit=True)
            except BaseException:
                self._rollback()
                raise
            return outcome, relations

        try:
            outcome, relations = self._with_lock_retries(migration.name, step, attempt)
        except ScriptError as exc:
            self._fail(step, exc, started_at, start)
        except _BookkeepingFailed as exc:
            self._bookkeeping_failed(step, exc, started_at, start)
        return self._finished(step, outcome, relations, start)

    def _record(self, step: Step, outcome: ScriptOutcome, started_at: datetime, duration_ms: int,
                commit: bool = False) -> list[str]:
        """Bookkeeping rows of a finished migration, in its transaction (`commit`: then COMMIT it, in the
        same round trip); returns the relations it touched."""
        try:
            return self._record_as_runner(step, outcome, started_at, duration_ms, commit)
        except psycopg.OperationalError:
            raise  # the connection is gone: reported as such by run()
        except psycopg.Error as exc:
            if commit and self._commit_failed():
                # The records were written and the COMMIT itself failed (a deferred constraint of the
                # file, say): the migration's own error, reported at its last statement.
                raise ScriptError(exc, max(outcome.statements - 1, 0), outcome) from exc
            raise _BookkeepingFailed(exc) from exc

    def _commit_failed(self) -> bool:
        """After a failed records query: a failed record leaves the transaction aborted (the server skips
        the COMMIT after it); only a failed COMMIT leaves no transaction open."""
        return self.conn.info.transaction_status == TransactionStatus.IDLE

    def _record_as_runner(self, step: Step, outcome: ScriptOutcome, started_at: datetime,
                          duration_ms: int, commit: bool) -> list[str]:
        migration = step.migration
        records = history.RecordBatch(self.conn)
        if self.one_statement_per_query:
            # On Citus a SET LOCAL reaches the workers the transaction already talks to by the text of
            # its query: sent with the records, it would run the records there too (no dbrun there).
            history.as_runner(self.conn)
        else:
            history.as_runner(records)  # the file may have SET ROLE or search_path
        self._record_rows(records, step, duration_ms)
        history.write_log(records, history.LogEntry(
            run_id=self.run_id, operation="apply" if step.direction == "up" else "rollback", status="ok",
            started_at=started_at, direction=step.direction, version=migration.version, name=migration.name,
            migration_hash=migration.bookkeeping().hash, checksum=step.script.file.checksum,
            duration_ms=duration_ms, statements=outcome.statements, rows_affected=outcome.rows),
            relations_from_locks=True)
        if commit:
            # Not run by the server if a record failed (the caller then rolls back).
            records.execute("COMMIT")
        row = records.send().fetchone()
        return list(row[0]) if row else []

    def _record_rows(self, records: history.RecordBatch, step: Step, duration_ms: int) -> None:
        migration = step.migration
        if step.direction == "up":
            history.mark_applied(records, version=migration.version, name=migration.name,
                                 migration_hash=migration.bookkeeping().hash, checksum=migration.checksum,
                                 transactional=step.script.directives.transactional,
                                 duration_ms=duration_ms, run_id=self.run_id,
                                 had_progress=step.resume or not step.script.directives.transactional)
        else:
            history.unmark(records, migration.version)
            history.clear_repeatables(records)
            if step.after_failure:
                history.hold(records, version=migration.version, name=migration.name, run_id=self.run_id,
                             reason="rolled back with its down file after failing part-way")

    def _finished(self, step: Step, outcome: ScriptOutcome, relations: list[str], start: float,
                  skipped: int = 0) -> MigrationResult:
        result = MigrationResult(
            version=step.migration.version, name=step.migration.name, direction=step.direction,
            status="applied" if step.direction == "up" else "rolled back", duration_ms=_ms_since(start),
            statements=outcome.statements, rows=outcome.rows, relations=relations,
            checksum=step.script.file.checksum, skipped_statements=skipped)
        self.listener(Event(event="migration", status="ok", run_id=self.run_id, version=result.version,
                            name=result.name, direction=result.direction, duration_ms=result.duration_ms,
                            statements=result.statements, rows=result.rows, relations=result.relations,
                            checksum=result.checksum))
        return result

    def _fail(self, step: Step, exc: ScriptError, started_at: datetime, start: float,
              statement: Statement | None = None, hint: str | None = None,
              partially_applied: bool | None = None) -> NoReturn:
        """Log the failure and raise it. `statement`: the failing statement of a non-transactional file,
        whose earlier statements were committed (or of a batch file: `partially_applied` says whether
        batches were)."""
        script, migration = step.script, step.migration
        if statement is None:
            error = statement_error(script.file.rel, script.file.text, exc)
        else:
            error = statement_error(script.file.rel, statement.text, exc, [Statement(0, statement.text, 1)],
                                    offset_line=statement.line - 1)
        if error.sqlstate == DEADLOCK_DETECTED and statement is None:
            hint = hint or (f"gave up after {self.settings.lock_retries} retries: a deadlock with another session "
                            "each time (the server log names it); run at a quieter time")
        if error.sqlstate == LOCK_NOT_AVAILABLE:
            failed = statement or _statement_of(script.file.text, exc.index)
            blockers = self._blockers(failed.text if failed else "")
            hint = hint or (f"gave up after {self.settings.lock_retries} retries: another session holds a lock this "
                            "migration needs; " + ("; ".join(blockers) if blockers else
                                                   "find it in pg_locks/pg_stat_activity") +
                            "; run at a quieter time, or end that session (pg_terminate_backend)")
        self._log_failure(step, error, started_at, start)
        self.listener(Event(event="migration", status="failed", run_id=self.run_id, version=migration.version,
                            name=migration.name, direction=step.direction, duration_ms=_ms_since(start),
                            message=f"{error.sqlstate}: {error.message}"))
        raise MigrationFailed(f"{migration.name} ({step.direction}) failed", error, hint,
                              partially_applied=statement is not None if partially_applied is None
                              else partially_applied) from exc.error

    def _blockers(self, sql: str) -> list[str]:
        """Who holds the locks a timed-out statement waited for (best effort: it may have let go since)."""
        try:
            return [f"blocked by {b.describe()}" for b in catalog.lock_blockers(self.conn, relations_named(sql))]
        except psycopg.Error:
            return []

    def _bookkeeping_failed(self, step: Step, exc: _BookkeepingFailed, started_at: datetime,
                            start: float) -> NoReturn:
        diag = exc.error.diag
        error = StatementError(
            path=step.script.file.rel, line=1, sqlstate=diag.sqlstate,
            message=f"the migration ran, but dbrun could not record it: {(diag.message_primary or str(exc)).strip()}",
            detail="its transaction was rolled back: nothing of this migration was committed")
        self._log_failure(step, error, started_at, start)
        raise MigrationFailed(f"{step.migration.name} ({step.direction}) failed", error, hint=(
            f"dbrun's bookkeeping schema `{history.SCHEMA}` must stay intact and writable by the runner's login "
            "role: a migration must not drop, rename or revoke it")) from exc.error

    def _log_failure(self, step: Step, error: StatementError, started_at: datetime, start: float) -> None:
        try:
            with self.conn.transaction():
                history.as_runner(self.conn)
                history.write_log(self.conn, history.LogEntry(
                    run_id=self.run_id, operation="apply" if step.direction == "up" else "rollback",
                    status="failed", started_at=started_at, direction=step.direction,
                    version=step.migration.version, name=step.migration.name,
                    migration_hash=step.migration.bookkeeping().hash, checksum=step.script.file.checksum,
                    duration_ms=_ms_since(start), sqlstate=error.sqlstate,
                    error=f"{error.path}:{error.line}: {error.message}"))
        except psycopg.Error:
            # The failure itself is reported to the user; a lost log row must not hide it.
            pass

    # -- non-transactional -----------------------------------------------------------------

    def _mark_started(self, step: Step) -> None:
        """Record an up migration that commits part by part (statement by statement, batch by batch)
        as partial before its first part commits, so a crash at any point leaves it visibly partial."""
        if step.direction != "up":
            return
        migration = step.migration
        with self.conn.transaction():
            history.as_runner(self.conn)
            history.mark_partial(self.conn, version=migration.version, name=migration.name,
                                 migration_hash=migration.bookkeeping().hash, checksum=migration.checksum,
                                 run_id=self.run_id)

    def _non_transactional(self, step: Step) -> MigrationResult:
        script, migration = step.script, step.migration
        statements = script.statements()
        started_at = datetime.now(UTC)
        start = time.monotonic()
        done = self._progress(migration.version) if step.resume else {}
        invalid_before = set(catalog.invalid_indexes(self.conn))
        self._mark_started(step)
        outcome, skipped = ScriptOutcome(), 0
        note = split_sql(script.file.text).note
        if note:
            self.listener(Event(event="note", status="warning", run_id=self.run_id, version=migration.version,
                                name=migration.name, direction=step.direction, message=note))
        self._set_limits(script, local=False)
        try:
            for statement in statements:
                # Skip only an unbroken prefix of statements completed earlier and unchanged since:
                # once one statement re-runs, everything after it must run again too.
                if skipped == statement.index and done.get(statement.index) == statement.checksum:
                    skipped += 1
                    continue
                try:
                    self._statement(step, statement, outcome, started_at, start, invalid_before)
                except KeyboardInterrupt:
                    raise self._interrupted(step, statement, invalid_before) from None
        finally:
            with suppress(psycopg.OperationalError):  # a lost connection is the error to report
                self.conn.execute('RESET lock_timeout; RESET statement_timeout; RESET "dbrun.run_id"')
        self._refuse_invalid_indexes(step, invalid_before, started_at, start)
        with self.conn.transaction():
            try:
                relations = self._record(step, outcome, started_at, _ms_since(start))
            except _BookkeepingFailed as exc:
                self._bookkeeping_failed(step, exc, started_at, start)
        return self._finished(step, outcome, relations, start, skipped)

    def _new_invalid_indexes(self, invalid_before: set[str]) -> list[str]:
        with suppress(psycopg.Error):
            return sorted(set(catalog.invalid_indexes(self.conn)) - invalid_before)
        return []

    def _interrupted(self, step: Step, statement: Statement, invalid_before: set[str]) -> Interrupted:
        """Ctrl-C inside a non-transactional file: what is committed, and how to go on from here."""
        version = step.migration.version
        done = (f"statements 1..{statement.index} are committed and recorded"
                if statement.index else "no statement of it was committed")
        message = (f"interrupted during non-transactional {step.migration.name} at statement {statement.index + 1} "
                   f"(line {statement.line}): {done}; the migration is now partial")
        hint = (f"run `dbrun up` to resume at statement {statement.index + 1}, or finish or undo it by hand and run "
                f"`dbrun repair {version}` (`--forget` if undone); `dbrun down` rolls it back with its down file")
        invalid = self._new_invalid_indexes(invalid_before)
        if invalid:
            hint += (f". The interrupted statement left INVALID index(es) {', '.join(invalid)}: drop them "
                     "(DROP INDEX CONCURRENTLY IF EXISTS ...) first")
        return Interrupted(message, hint)

    def _progress(self, version: str) -> dict[int, str]:
        return history.read_state(self.conn).progress.get(version, {})

    def _concurrent_wait(self, script: Script) -> int:
        directive = script.directives.concurrent_wait_ms
        return directive if directive is not None else self.settings.concurrent_wait_ms

    def _run_statement(self, script: Script, statement: Statement) -> ScriptOutcome:
        """One statement of a non-transactional file. A CONCURRENTLY statement waits for every older
        transaction, and those waits count against lock_timeout: under the usual short lock_timeout
        the build is cut short and leaves an INVALID index. It gets its own wait budget instead (it
        takes only SHARE UPDATE EXCLUSIVE, so waiting does not block reads or writes)."""
        if not waits_for_old_snapshots(statement.text):
            return run_script(self.conn, statement.text)
        self.conn.execute("SELECT set_config('lock_timeout', %s, false)", (f"{self._concurrent_wait(script)}ms",))
        try:
            return run_script(self.conn, statement.text)
        finally:
            with suppress(psycopg.OperationalError):  # a lost connection is the error to report
                self._set_limits(script, local=False)

    def _statement(self, step: Step, statement: Statement, outcome: ScriptOutcome,
                   started_at: datetime, start: float, invalid_before: set[str]) -> None:
        try:
            partial = self._with_lock_retries(step.migration.name, step,
                                              lambda: self._run_statement(step.script, statement), deadlocks=False)
        except ScriptError as exc:
            new_invalid = self._new_invalid_indexes(invalid_before)
            hint = (f"statements 1..{statement.index} are done and recorded. Fix the file and run `dbrun up` again "
                    f"to resume at statement {statement.index + 1}, or finish by hand and run "
                    f"`dbrun repair {step.migration.version}`.")
            if new_invalid:
                hint += (f" It left INVALID index(es) {', '.join(new_invalid)}: drop them "
                         "(DROP INDEX CONCURRENTLY IF EXISTS ...) before re-running.")
            self._fail(step, exc, started_at, start, statement, hint=hint)
        outcome.results.extend(partial.results)
        if step.direction == "up":
            with self.conn.transaction():
                history.as_runner(self.conn)
                history.record_progress(self.conn, step.migration.version, statement.index, statement.checksum)

    def _refuse_invalid_indexes(self, step: Step, invalid_before: set[str], started_at: datetime,
                                start: float) -> None:
        """A failed CONCURRENTLY build leaves an INVALID index that IF NOT EXISTS would then skip."""
        text = step.script.file.text.lower()
        suspicious = [name for name in catalog.invalid_indexes(self.conn)
                      if name not in invalid_before or name.split(".")[-1].strip('"').lower() in text]
        if not suspicious:
            return
        with self.conn.transaction():
            # The statements "succeeded" by skipping the INVALID index: none of them can count as done.
            history.as_runner(self.conn)
            self.conn.execute(f"DELETE FROM {history.SCHEMA}.progress WHERE version = %s", (step.migration.version,))
        error = StatementError(step.script.file.rel, 1, None,
                               f"INVALID index(es) after the migration: {', '.join(suspicious)}",
                               hint="an earlier CREATE INDEX CONCURRENTLY failed and left it; drop it with "
                                    "DROP INDEX CONCURRENTLY IF EXISTS and re-run (write the file to do so first)")
        self._log_failure(step, error, started_at, start)
        raise MigrationFailed(f"{step.migration.name} left INVALID indexes", error, partially_applied=True)

    # -- batch files -------------------------------------------------------------------------

    def _batch(self, step: Step) -> MigrationResult:
        """Run the file's one statement again and again, each batch in its own transaction with its
        progress row, until it affects no row; then record the migration as applied."""
        script, migration = step.script, step.migration
        spec = script.directives.batch
        assert spec is not None
        statement = _from_first_sql_line(script.statements()[0])
        started_at = datetime.now(UTC)
        start = time.monotonic()
        progress = history.batch_progress(self.conn, migration.version, step.direction)
        self._mark_started(step)
        run = _BatchRun(statement, batch_command(statement.text), batch_returns_key(statement.text),
                        progress.last_key if progress else None, progress.batches if progress else 0)
        outcome = ScriptOutcome()
        while True:
            try:
                rows = self._with_lock_retries(migration.name, step, lambda: self._one_batch(step, run, spec.size))
            except ScriptError as exc:
                self._fail(step, exc, started_at, start, run.sent, hint=run.failure_hint(migration.version),
                           partially_applied=run.total_batches > 0)
            except KeyboardInterrupt:
                raise Interrupted(f"interrupted during batch migration {migration.name}: "
                                  f"{run.describe()}", run.resume_hint()) from None
            if rows == 0:
                break
            outcome.results.append(StatementResult(run.command, rows))
            elapsed_s = max(time.monotonic() - start, 1e-3)
            self.listener(Event(event="batch", status="progress", run_id=self.run_id, version=migration.version,
                                name=migration.name, direction=step.direction, duration_ms=_ms_since(start),
                                statements=len(outcome.results), rows=outcome.rows, batches=run.total_batches,
                                rows_per_s=outcome.rows / elapsed_s))
            if self._past_deadline():
                raise _DeadlineReached()
            self._throttle(spec.pause_ms, outcome.rows, start)
        with self.conn.transaction():
            try:
                relations = self._record(step, outcome, started_at, _ms_since(start))
            except _BookkeepingFailed as exc:
                self._bookkeeping_failed(step, exc, started_at, start)
        return self._finished(step, outcome, relations, start)

    def _one_batch(self, step: Step, run: _BatchRun, size: int) -> int:
        """One batch and its progress row, committed together; returns the rows it affected."""
        with self.conn.transaction():
            self._set_limits(step.script, local=True)
            rows, last_key = run.execute(self.conn, size)
            if rows:
                history.as_runner(self.conn)
                recorded = history.record_batch(self.conn, version=step.migration.version, direction=step.direction,
                                                rows=rows, last_key=last_key, run_id=self.run_id)
                run.advance(recorded.batches, recorded.last_key)
        return rows

    def _throttle(self, pause_ms: int, rows_so_far: int, start: float) -> None:
        """The file's pause after each batch; with --max-rate, also long enough to keep rows/s under it."""
        wait_s = pause_ms / 1000
        if self.settings.max_rate:
            wait_s = max(wait_s, rows_so_far / self.settings.max_rate - (time.monotonic() - start))
        if wait_s > 0:
            time.sleep(wait_s)

    # -- repeatables -----------------------------------------------------------------------

    def _repeatables(self, repeatables: list[Repeatable]) -> list[MigrationResult]:
        started_at = datetime.now(UTC)
        results: list[MigrationResult] = []

        def attempt() -> None:
            results.clear()
            with self.conn.transaction():
                for repeatable in repeatables:
                    reset_session(self.conn)  # each file from a clean session, inside the one transaction
                    self._set_limits(None, local=True)
                    results.append(self._repeatable(repeatable, started_at))

        try:
            self._with_lock_retries("repeatables", None, attempt)
        except _RepeatableFailed as failed:
            raise failed.error from None
        except _RepeatableBlocked as blocked:
            raise blocked.failure from None
        for result in results:
            self.listener(Event(event="repeatable", status="ok", run_id=self.run_id, name=result.name,
                                duration_ms=result.duration_ms,
                                statements=result.statements, rows=result.rows, checksum=result.checksum))
        return results

    def _engine_files(self, repeatables: list[Repeatable], engine_file: bool = True) -> list[MigrationResult]:
        """citus/before/ or citus/after/: each file in its own transaction, committed with its checksum, so
        that what it creates is on every node before the next file (Citus propagates a role, for instance,
        only when the transaction creating it commits). Not `engine_file`: the policies and views of a
        plan that asks for one transaction each (Plan.repeatables_one_transaction_each), with the plan's
        session settings."""
        results = []
        for repeatable in repeatables:
            started_at = datetime.now(UTC)

            def attempt(repeatable: Repeatable = repeatable, started_at: datetime = started_at) -> MigrationResult:
                with self.conn.transaction():
                    reset_session(self.conn)
                    self._set_limits(None, local=True, engine_file=engine_file)
                    return self._repeatable(repeatable, started_at)

            try:
                result = self._with_lock_retries(repeatable.key, None, attempt)
            except _RepeatableFailed as failed:
                raise failed.error from None
            except _RepeatableBlocked as blocked:
                raise blocked.failure from None
            self.listener(Event(event="repeatable", status="ok", run_id=self.run_id, name=result.name,
                                duration_ms=result.duration_ms, statements=result.statements, rows=result.rows,
                                checksum=result.checksum))
            results.append(result)
        return results

    def _repeatable(self, repeatable: Repeatable, started_at: datetime) -> MigrationResult:
        start = time.monotonic()
        try:
            outcome = self._run_file(repeatable.file.text)
        except ScriptError as exc:
            error = statement_error(repeatable.file.rel, repeatable.file.text, exc)
            if exc.error.sqlstate in (LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED):
                hint = (f"gave up after {self.settings.lock_retries} retries: "
                        + ("another session holds a lock this file needs" if exc.error.sqlstate == LOCK_NOT_AVAILABLE
                           else "a deadlock with another session each time")
                        + "; find it in pg_locks/pg_stat_activity, or run at a quieter time")
                raise _RepeatableBlocked(exc, MigrationFailed(f"repeatable {repeatable.key} failed", error, hint)) from exc
            raise _RepeatableFailed(MigrationFailed(f"repeatable {repeatable.key} failed", error)) from exc
        history.as_runner(self.conn)
        history.record_repeatable(self.conn, repeatable.key, repeatable.file.checksum, self.run_id)
        history.write_log(self.conn, history.LogEntry(
            run_id=self.run_id, operation="repeatable", status="ok", started_at=started_at, name=repeatable.key,
            checksum=repeatable.file.checksum, duration_ms=_ms_since(start), statements=outcome.statements,
            rows_affected=outcome.rows))
        return MigrationResult(version="", name=repeatable.key, direction="up", status="repeatable",
                               duration_ms=_ms_since(start), statements=outcome.statements, rows=outcome.rows,
                               relations=[], checksum=repeatable.file.checksum)


def _retry_reason(exc: ScriptError) -> str:
    if exc.error.sqlstate == DEADLOCK_DETECTED:
        return "deadlock with another session (PostgreSQL rolled this transaction back)"
    return f"lock not available ({exc.error.diag.message_primary})"


def _from_first_sql_line(statement: Statement) -> Statement:
    """The statement without the comment lines before it (the file's header), so that an error
    without a position is reported at the statement's own first line."""
    lines = statement.text.splitlines(keepends=True)
    skipped = 0
    while skipped < len(lines) - 1 and (not lines[skipped].strip() or lines[skipped].lstrip().startswith("--")):
        skipped += 1
    prefix = "".join(lines[:skipped])
    return Statement(statement.index, statement.text[len(prefix):], statement.line + skipped,
                     statement.offset + len(prefix))


@dataclass
class _BatchRun:
    """The moving parts of one batch migration's run: the statement, where it stands, what was sent."""

    statement: Statement
    command: str  # INSERT | UPDATE | DELETE | MERGE
    returns_key: bool  # RETURNING: its first column's maximum becomes :last
    last_key: str | None
    total_batches: int  # committed so far, earlier runs included
    sent: Statement | None = None

    def execute(self, conn: Conn, size: int) -> tuple[int, str | None]:
        bound = bind_batch(self.statement.text, size, self.last_key).rstrip().rstrip(";")
        if self.returns_key:
            # The wrapper stays on the statement's first line, so error positions keep their line. The
            # ORDER BY names the input column qualified: unqualified, it would sort the text output column.
            bound = (f"WITH dbrun_batch(dbrun_key) AS ({bound}\n) SELECT (SELECT count(*) FROM dbrun_batch), "
                     "(SELECT b.dbrun_key::text AS last_key FROM dbrun_batch b "
                     "ORDER BY b.dbrun_key DESC NULLS LAST LIMIT 1)")
        self.sent = Statement(0, bound, self.statement.line, self.statement.offset)
        cursor = conn.cursor()
        try:
            cursor.execute(bound.encode())  # bytes, no params: sent verbatim
            if self.returns_key:
                row = cursor.fetchone()
                return (int(row[0]), row[1]) if row else (0, None)
            return max(cursor.rowcount, 0), None
        except psycopg.Error as exc:
            raise ScriptError(exc, 0, ScriptOutcome()) from exc
        finally:
            cursor.close()

    def advance(self, batches: int, last_key: str | None) -> None:
        self.total_batches, self.last_key = batches, last_key

    def describe(self) -> str:
        where = f", last key {self.last_key}" if self.last_key is not None else ""
        return (f"{self.total_batches} batch(es) are committed and recorded{where}; the batch in progress was "
                "rolled back; the migration is partial")

    def resume_hint(self) -> str:
        return "run `dbrun up` to resume with the next batch"

    def failure_hint(self, version: str) -> str:
        return (f"{self.describe()}. Fix the cause and run `dbrun up` to resume with the next batch, or undo the "
                f"batches by hand and run `dbrun repair {version} --forget`")


class _RepeatableFailed(Exception):
    def __init__(self, error: MigrationFailed) -> None:
        super().__init__(error.message)
        self.error = error


class _RepeatableBlocked(ScriptError):
    """A repeatable stopped by a lock timeout or a deadlock: its transaction is retried whole
    (`_with_lock_retries`); `error` is what is reported when the retries run out."""

    def __init__(self, exc: ScriptError, error: MigrationFailed) -> None:
        super().__init__(exc.error, exc.index, exc.completed)
        self.failure = error


# ---------------------------------------------------------------------------------------------
# seeds: development data, applied outside the migration history

SEEDS_DIR = Path("seeds")
DEVELOPMENT = "development"


@dataclass
class SeedResult:
    files: list[str]  # relative to the repository root, in the order applied
    statements: int
    rows: int


def seed_files(root: Path) -> list[Path]:
    files = sorted(p for p in (root / SEEDS_DIR).glob("*.sql") if p.is_file())
    if not files:
        raise ConfigError(f"no seed files in {root / SEEDS_DIR}")
    return files


def is_development(conn: Conn) -> bool:
    """`dbrun.environment` is 'development' for this database (the embedded cluster sets it)."""
    environment = conn.execute("SELECT current_setting('dbrun.environment', true)").fetchone()
    return environment is not None and environment[0] == DEVELOPMENT


def require_development(conn: Conn, force: bool) -> None:
    """Refuse a database not marked as development, unless forced.

    A database counts as development when `dbrun.environment` is 'development' for it (the embedded
    cluster sets this: `ALTER DATABASE ... SET dbrun.environment = 'development'`).
    """
    environment = conn.execute("SELECT current_setting('dbrun.environment', true)").fetchone()
    if force or (environment is not None and environment[0] == DEVELOPMENT):
        return
    raise ProblemsFound("refusing to seed", [Problem(
        "SEED-NOT-DEVELOPMENT", f"database is not marked as development (dbrun.environment = "
        f"{environment[0] if environment and environment[0] else 'unset'})",
        hint="seed only development databases: ALTER DATABASE <db> SET dbrun.environment = 'development' "
             "(then reconnect), or pass --force if you are sure")])


def apply_seeds(conn: Conn, root: Path, files: list[Path], plan: Plan | None = None) -> SeedResult:
    """Run the seed files in order, all in one transaction: one failing seed applies none.

    With a plan that runs its repeatables one transaction each (Citus, plan.seed_plan): each file in its
    own transaction, one statement per query, with the plan's session settings. A seed that calls a
    SECURITY DEFINER function (the owner role) writing the tenant tables' shards then commits that call
    before the migrator writes them (Citus refuses two roles the same shards in one transaction); the
    files that applied stay applied when a later one fails (seeds are idempotent: run them again)."""
    if plan is not None and plan.repeatables_one_transaction_each:
        applied = SeedResult([], 0, 0)
        for path in files:
            done = _apply_seeds(conn, root, [path], plan, f"seed {path.name} failed; the seeds before it were applied")
            applied.files += done.files
            applied.statements += done.statements
            applied.rows += done.rows
        return applied
    return _apply_seeds(conn, root, files, plan, None)


def _apply_seeds(conn: Conn, root: Path, files: list[Path], plan: Plan | None, failed: str | None) -> SeedResult:
    statements = rows = 0
    with conn.transaction():
        for path in files:
            reset_session(conn)  # each seed file from a clean session, as migrations are
            if plan is not None:
                for name, value in plan.session_settings.items():
                    conn.execute("SELECT set_config(%s, %s, true)", (name, value))
            text = path.read_text(encoding="utf-8")
            try:
                if plan is not None and plan.one_statement_per_query:
                    outcome = run_statements(conn, split_statements(text))
                else:
                    outcome = run_script(conn, text)
            except ScriptError as exc:
                error = statement_error(path.relative_to(root), text, exc)
                raise MigrationFailed(failed or f"seed {path.name} failed; no seed was applied", error) from exc
            statements += outcome.statements
            rows += outcome.rows
    return SeedResult([str(p.relative_to(root)) for p in files], statements, rows)


def _statement_of(text: str, index: int) -> Statement | None:
    statements = split_statements(text)
    return statements[min(index, len(statements) - 1)] if statements else None


class _BookkeepingFailed(Exception):
    """Writing a migration's records failed (the migration dropped or broke the `dbrun` schema, say)."""

    def __init__(self, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.error = error


def _connection_lost(exc: psycopg.OperationalError, result: RunResult, current: str) -> ConnectionLost:
    done = [m.name for m in result.migrations]
    applied = f"{len(done)} migration(s) of this run were committed ({', '.join(done)})" if done else \
        "no migration of this run was committed"
    message = (f"the connection to the database was lost during {current}: {str(exc).strip()}; {applied}")
    return ConnectionLost(message, hint="a transactional migration in progress was rolled back by the server; "
                                        "see `dbrun status`, then run the command again (a partial "
                                        "non-transactional migration resumes)")
