"""Dry-run: run exactly what `up`/`down` would run, inside one transaction that is always rolled back.

What it reports, per statement: file and line, duration, rows, the locks it took on relations that
existed before the run and whether it rewrote a table (relfilenode changed); for the whole run: the
objects created, altered and dropped (catalog snapshots before and after, inside the transaction),
pre- and post-check results and the total time.

It writes nothing: the history is read with `history.read_state` (which creates nothing), the
advisory lock and the history and log rows of the real apply are never written, and the transaction
is opened with psycopg's `force_rollback`, so it is rolled back whatever happens (on a fresh database
even the bookkeeping schema the real `up` creates first is created inside it, and rolled back). A short lock_timeout
keeps a dry-run from queueing behind production traffic; on timeout it names who holds the lock.

Non-transactional files (CREATE INDEX CONCURRENTLY ...) cannot run inside a transaction: they are
shown as "not executed" with the locks a static table of DDL lock levels predicts, and the
simulation stops there when a later step depends on them. `--offline` uses that same table for
every statement, with no database at all.

The lock knowledge (modes, the static table) is in locks.py; the report filled in here, and its risk
rules, in review_model.py. This module resolves names and runs the review.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, suppress
from typing import Any, Literal, NoReturn

import psycopg

from dbrun import catalog, citus, history
from dbrun.checks import run_checks
from dbrun.config import Settings
from dbrun.connection import connect, redact, reset_session, resolve_target
from dbrun.execute import LOCK_NOT_AVAILABLE, ScriptError, ScriptOutcome, statement_error, statements_as_sent
from dbrun.history import AppliedMigration, HistoryState, MigrationState
from dbrun.locks import Estimate, conflicts, estimate, mode_sql, split_name, strength
from dbrun.plan import Plan, Step, plan_down, plan_up, refuse_broken_files
from dbrun.review_model import DryRun, LockSource, LockUse, MigrationReport, StatementReport, Status
from dbrun.source import (
    Repeatable,
    Repository,
    Script,
    SqlFile,
    Statement,
    adds_enum_value,
    bind_batch,
    load_repository,
    split_sql,
    split_statements,
)

Conn = psycopg.Connection[Any]

# A dry-run gives up on a lock after this long (or the configured lock_timeout, if shorter): it
# must never make production sessions queue behind it for long.
DRY_RUN_LOCK_TIMEOUT_MS = 1_000

# =============================================================================================
# Entry points


def dry_run_up(settings: Settings, to: str | None = None, *, offline: bool = False) -> DryRun:
    """What `dbrun up [--to V]` would do, run for real inside a transaction that is rolled back."""
    repository = load_repository(settings.root, settings.template_vars)
    if offline:
        return _offline(repository, plan_up(repository, HistoryState(exists=False), to))
    with _connection(settings) as (conn, database):
        state = history.read_state(conn)
        engine = catalog.engine(conn)
        repository = _for_engine(settings, repository, engine.facts())
        plan = plan_up(repository, state, to, engine.facts())
        return _Reviewer(conn, settings, repository, database, state, engine).run(plan, post_checks=True)


def dry_run_down(settings: Settings, *, to: str | None = None, steps: int | None = None,
                 everything: bool = False, offline: bool = False) -> DryRun:
    """What `dbrun down ...` would do; offline, every migration on disk counts as applied."""
    repository = load_repository(settings.root, settings.template_vars, strict=False)
    if offline:
        plan = plan_down(repository, _all_applied(repository), to=to, steps=steps, everything=everything)
        refuse_broken_files(plan, repository)
        return _offline(repository, plan)
    with _connection(settings) as (conn, database):
        state = history.read_state(conn)
        engine = catalog.engine(conn)
        repository = _for_engine(settings, repository, engine.facts(), strict=False)
        plan = plan_down(repository, state, to=to, steps=steps, everything=everything, engine=engine.facts())
        refuse_broken_files(plan, repository)  # as the real `down`: other files' problems are notes
        # The real `down` runs no post-checks; neither does its dry-run.
        return _Reviewer(conn, settings, repository, database, state, engine).run(plan, post_checks=False)


def _for_engine(settings: Settings, repository: Repository, engine: catalog.EngineFacts, *,
                strict: bool = True) -> Repository:
    """As the real run: on Citus the templates are rendered with `citus` true (see api.load)."""
    if not engine.citus:
        return repository
    return load_repository(settings.root, {**settings.template_vars, "citus": True}, strict=strict)


@contextmanager
def _connection(settings: Settings) -> Iterator[tuple[Conn, str]]:
    target = resolve_target(settings)
    with closing(connect(target.url)) as conn:
        yield conn, "embedded local cluster" if target.embedded else redact(target.url)


def _all_applied(repository: Repository) -> HistoryState:
    state = HistoryState(exists=True)
    for m in repository.migrations:
        state.applied[m.version] = AppliedMigration(
            version=m.version, name=m.name, checksum=m.checksum, transactional=m.up.directives.transactional,
            status=MigrationState.APPLIED, applied_at=None, duration_ms=None)  # type: ignore[arg-type]  # never read
    return state


# =============================================================================================
# Name resolution: which relation a statement's written name means, and whether it pre-existed


class _Resolver:
    """Maps names as written in SQL to relations that existed before the run.

    With a database, "existed" means present in the catalog when the dry-run began; offline,
    everything not created earlier in the plan is assumed to exist.
    """

    def __init__(self, relations: dict[int, catalog.RelationInfo] | None, index_tables: dict[str, str],
                 search_path: list[str]) -> None:
        self.offline = relations is None
        self.by_parts: dict[tuple[str, ...], catalog.RelationInfo] = {}
        for info in (relations or {}).values():
            self.by_parts[split_name(info.name)] = info
        self.index_tables = {split_name(i): split_name(t) for i, t in index_tables.items()}
        self.known = set(self.by_parts) | set(self.index_tables)
        self.search_path = search_path or ["public"]
        self.created: set[tuple[str, ...]] = set()

    def _qualify(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        if len(parts) > 1:
            return parts[-2:]
        for schema in self.search_path:
            if (schema, parts[0]) in self.known or (schema, parts[0]) in self.created:
                return (schema, parts[0])
        return (self.search_path[0], parts[0])

    def note_created(self, written: str) -> None:
        self.created.add(self._qualify(split_name(written)))

    def existing(self, written: str) -> str | None:
        """The qualified name of the pre-existing relation `written` means, or None if it is new."""
        parts = self._qualify(split_name(written))
        parts = self.index_tables.get(parts, parts)  # an index's lock is taken on its table
        if parts in self.created:
            return None
        if self.offline:
            return ".".join(_quote(p) for p in parts)
        info = self.by_parts.get(parts)
        return info.name if info else None

    def info(self, name: str) -> catalog.RelationInfo | None:
        return self.by_parts.get(split_name(name))


def _quote(part: str) -> str:
    return part if re.fullmatch(r"[a-z_][a-z0-9_$]*", part) else '"' + part.replace('"', '""') + '"'


def _estimated_locks(resolver: _Resolver, est: Estimate, source: LockSource) -> list[LockUse]:
    uses: dict[str, LockUse] = {}
    for written, mode in est.locks:
        relation = resolver.existing(written)
        if relation and strength(mode) > strength(uses[relation].mode if relation in uses else ""):
            uses[relation] = LockUse(relation, mode, source)
    return list(uses.values())


def _record_names(resolver: _Resolver, est: Estimate) -> None:
    for name in est.creates:
        resolver.note_created(name)


def _static_statement(resolver: _Resolver, statement: Statement) -> StatementReport:
    est = estimate(statement.text)
    report = StatementReport(index=statement.index, line=statement.line, excerpt=statement.excerpt(),
                             sql=statement.text, executed=False, locks=_estimated_locks(resolver, est, LockSource.ESTIMATED),
                             rewrite_estimate=est.rewrite, estimate_known=est.known)
    _record_names(resolver, est)
    return report


def _script_report(kind: Literal["versioned", "repeatable"], name: str, version: str | None, direction: str,
                   file: SqlFile, transactional: bool, status: Status) -> MigrationReport:
    return MigrationReport(kind=kind, name=name, version=version, direction=direction, path=file.rel.as_posix(),
                           transactional=transactional, status=status)


# =============================================================================================
# Offline: the plan from files, every statement estimated


def _offline(repository: Repository, plan: Plan) -> DryRun:
    start = time.perf_counter()
    review = DryRun(plan.direction, offline=True, database=None, notes=list(plan.notes))
    resolver = _Resolver(None, {}, ["public"])
    for step in plan.steps:
        script: Script = step.script
        report = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                script.file, script.directives.transactional, "estimated")
        report.statements = [_static_statement(resolver, s) for s in split_statements(script.file.text)]
        review.migrations.append(report)
    for repeatable in plan.repeatables:
        report = _script_report("repeatable", repeatable.key, None, "up", repeatable.file, True, "estimated")
        report.statements = [_static_statement(resolver, s) for s in split_statements(repeatable.file.text)]
        review.migrations.append(report)
    assumed = "nothing is applied yet" if plan.direction == "up" else "every migration is applied"
    review.notes.append(f"offline: no database was used; the plan assumes {assumed}, and locks come from "
                        "the static table of DDL lock levels")
    review.total_ms = (time.perf_counter() - start) * 1000
    return review


# =============================================================================================
# With a database: run it, observe it, roll it back


UNSAFE_NEW_ENUM_VALUE_USAGE = "55P04"
ACTIVE_SQL_TRANSACTION = "25001"  # Citus: shards modified in this transaction by a different user
_ADDS_ENUM_VALUE = re.compile(r"\badd\s+value\b", re.IGNORECASE)


class _Unsimulatable(Exception):
    """What the real run will do cannot be shown inside one transaction (a new enum value used later)."""

    def __init__(self, report: MigrationReport, reason: str) -> None:
        super().__init__(reason)
        self.report = report
        self.reason = reason


class _Stop(Exception):
    """Ends the simulation early (a failure, or a step that depends on a non-executed one)."""


class _Reviewer:
    def __init__(self, conn: Conn, settings: Settings, repository: Repository, database: str,
                 state: HistoryState, engine: catalog.Engine) -> None:
        self.conn = conn
        self.engine = engine
        self.history = state
        bookkeeping_exists = state.exists
        self.settings = settings
        self.repository = repository
        self.review = DryRun("up", offline=False, database=database, bookkeeping_exists=bookkeeping_exists)
        self.relations: dict[int, catalog.RelationInfo] = {}
        self.filenodes: dict[int, int] = {}
        self.oid_by_name: dict[str, int] = {}
        self.held: set[tuple[int, str]] = set()  # (oid, mode) this transaction holds so far
        self.resolver = _Resolver({}, {}, [])
        self.failed_statement: Statement | None = None
        self.enum_values_added: list[str] = []  # migrations of this dry-run that ran ALTER TYPE ... ADD VALUE
        # On a Citus coordinator: what each statement's fate is (citus.py), per file.
        self.citus_session: citus.Session | None = None
        self.citus_defaults: tuple[str, bool] = ("none", False)
        self.nologin: set[str] = set()  # roles that cannot log in, when the dry-run began
        self.citus_warnings: list[str] = []  # WARNINGs the server sent during the current statement
        self.session_settings: dict[str, str] = {}  # the plan's, set in every file as the real run sets them
        self.as_sent = False  # Plan.one_statement_per_query: statements split as the real run sends them
        self.bootstrap = False  # a fresh Citus coordinator: the migrations build the chain without propagation
        self.not_run: list[str] = []  # file:line of statements left out: they would commit outside the transaction
        # On Citus, what tells a refusal the real run avoids (it commits each file) from a real one.
        self.roles_before_run: set[str] = set()
        self.roles_at_file_start: set[str] = set()
        self.role_creators: dict[str, str] = {}  # role -> the file of this run that created it
        self.current_path: str | None = None
        self.file_writers: set[str | None] = set()  # roles (None: the runner's) that wrote shards in this file

    def run(self, plan: Plan, post_checks: bool) -> DryRun:
        start = time.perf_counter()
        review = self.review
        review.direction = plan.direction
        review.notes.extend(plan.notes)
        self.session_settings = dict(plan.session_settings)
        self.as_sent = plan.one_statement_per_query
        self.bootstrap = plan.session_settings.get("citus.enable_ddl_propagation") == "off"
        if self.bootstrap and plan.after:
            review.notes.append(
                "on a coordinator that distributes nothing yet, the dry-run runs citus/after/ with "
                "citus.enable_ddl_propagation off and leaves out its distributing calls: Citus would create what they "
                "depend on (the schemas, types and functions the chain built locally) on the workers in sessions "
                "that commit at once. The Citus column still says what the real run does with each statement")
        if not plan.empty and plan.direction == "up":
            # As the real `up`: pre-checks are read-only queries, each in its own transaction.
            review.pre_checks = run_checks(self.conn, self.repository.pre_checks)
        review.engine = self.engine
        if review.engine.citus is not None:
            self._watch_citus()
        if not review.checks_failed:
            sequences_before = catalog.sequence_positions(self.conn)
            with suppress(_Stop):
                self._in_rolled_back_transaction(plan, post_checks)
            self._sequences_moved(sequences_before)
            if review.failure is not None and review.failure.sqlstate == LOCK_NOT_AVAILABLE:
                review.lock_waits = self._lock_waits()
        review.relation_rows = self._touched_rows()
        review.total_ms = (time.perf_counter() - start) * 1000
        return review

    def _sequences_moved(self, before: dict[str, int | None]) -> None:
        """Sequences are not transactional: a nextval() in the rolled-back transaction stays. Say which
        moved and by how much; they are not reset, since other sessions may have drawn values since."""
        with suppress(psycopg.Error):
            after = catalog.sequence_positions(self.conn)
            moved = {name: (after[name] or 0) - (position or 0) for name, position in before.items()
                     if name in after and after[name] != position}
            self.review.sequences_advanced = moved
            if moved:
                listing = ", ".join(f"{name} by {delta}" for name, delta in sorted(moved.items()))
                self.review.notes.append(
                    f"sequences are not transactional: the rolled-back run advanced {listing} (other sessions' use "
                    "meanwhile included); they were not reset, as other sessions may have used values since")

    def _touched_rows(self) -> dict[str, int | None]:
        touched = {u.relation for m in self.review.migrations for s in m.statements for u in s.locks}
        return {info.name: info.rows_estimate for info in self.relations.values() if info.name in touched}

    def _in_rolled_back_transaction(self, plan: Plan, post_checks: bool) -> None:
        # force_rollback: ROLLBACK on every way out, success included. Nothing here can commit.
        with self.conn.transaction(force_rollback=True):
            self._limits()
            if plan.direction == "up" and not self.review.bookkeeping_exists:
                self._simulate_bookkeeping()
            before = catalog.catalog_snapshot(self.conn)
            self._observe_start()
            try:
                self._engine_files(plan.before)
                self._steps(plan)
                self._repeatables(plan)
                self._engine_files(plan.after)
            except _Unsimulatable as stop:
                self._cannot_simulate(stop, plan)
                raise _Stop from None
            self._clean_session()  # the snapshot and the checks as the runner, whatever the last file SET
            self.review.changes = catalog.diff_snapshots(before, catalog.catalog_snapshot(self.conn))
            if post_checks and self.review.stopped_at is None:
                # Each check runs in a savepoint (run_check's own transaction block) inside ours.
                self.review.post_checks = run_checks(self.conn, self.repository.post_checks,
                                                     include_builtin=True)
                self._inconclusive_checks()

    def _simulate_bookkeeping(self) -> None:
        """Create the `dbrun` schema inside the rolled-back transaction, as the real `up` does first.

        Migrations may refer to it (an audit trigger on dbrun.log, say); without it a fresh
        database's dry-run would fail where the real apply succeeds. It is rolled back with the
        rest, so nothing persists (tests compare pg_dump before and after); no history row, log row
        or advisory lock is ever written by the dry-run.
        """
        history.ensure_bookkeeping(self.conn)  # a savepoint inside our transaction: never committed
        self._clean_session()  # it wrote as the runner with only pg_catalog on the path (SET LOCAL)
        self.review.notes.append("the bookkeeping schema `dbrun` does not exist yet: the dry-run created it "
                                 "inside its rolled-back transaction, as the real `up` creates it first")

    def _limits(self, engine_file: bool = False) -> None:
        configured = self.settings.lock_timeout_ms
        lock_ms = min(configured, DRY_RUN_LOCK_TIMEOUT_MS) if configured > 0 else DRY_RUN_LOCK_TIMEOUT_MS
        self.conn.execute(
            "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
            (f"{lock_ms}ms", f"{self.settings.statement_timeout_ms}ms"))
        # As the real run: the plan's session settings (citus.enable_ddl_propagation off while a fresh
        # Citus coordinator builds the chain) hold in every file but the engine's own (citus/).
        for name, value in ({} if engine_file else self.session_settings).items():
            self.conn.execute("SELECT set_config(%s, %s, true)", (name, value))

    def _observe_start(self) -> None:
        self.relations = catalog.existing_relations(self.conn)
        self.filenodes = {oid: info.filenode for oid, info in self.relations.items() if info.filenode}
        self.oid_by_name = {info.name: oid for oid, info in self.relations.items()}
        self.resolver = _Resolver(self.relations, catalog.index_tables(self.conn),
                                  catalog.search_path_schemas(self.conn))
        if self.citus_session is not None:
            self.roles_before_run = self.roles_at_file_start = catalog.role_names(self.conn)
        # Locks the snapshot queries took (catalogs only) are the baseline, not a statement's doing.
        locks, _ = catalog.session_relation_locks(self.conn)
        self.held = locks

    # -- steps ---------------------------------------------------------------------------------

    def _steps(self, plan: Plan) -> None:
        for position, step in enumerate(plan.steps):
            script: Script = step.script
            if script.directives.batch is not None:
                self._batch(step, script)
                continue
            if script.directives.transactional:
                self._transactional(step, script)
                continue
            in_transaction = self._on_new_tables_only(script)
            if in_transaction is not None:
                self._non_transactional_on_new_tables(step, script, in_transaction)
                continue
            report = self._not_executed(step, script)
            reason = _dependents(report, plan.steps[position + 1:])
            if reason:
                self._stop_at(report, reason, plan.steps[position + 1:], plan)
                return
            report.note = ("not executed: it cannot run inside the dry-run's transaction; later steps do not "
                           "depend on it, so the simulation continued without it")

    def _transactional(self, step: Step, script: Script) -> None:
        report = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                script.file, True, "executed")
        self.review.migrations.append(report)
        self._clean_session()
        self._set_statement_timeout(script)
        self._execute(report, script.file, self._split(script.file))

    def _on_new_tables_only(self, script: Script) -> list[Statement] | None:
        """A non-transactional file's statements as they can run inside the dry-run's transaction, when
        every table it touches was created by this run (a fresh database's chain builds an index
        CONCURRENTLY on a table an earlier migration created): no other session can see those tables, so
        running the file here blocks no one and leaves what the real run leaves. CREATE/DROP INDEX
        CONCURRENTLY lose the CONCURRENTLY (not allowed in a transaction block); a file with any other
        statement, or touching a table that existed before the run, is not run (None)."""
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            return None
        runnable = []
        for statement in split_statements(script.file.text):
            text = _in_transaction_form(statement.text, self._is_new_table, self._table_of_index)
            if text is None:
                return None
            runnable.append(Statement(statement.index, text, statement.line, statement.offset))
        return runnable

    def _is_new_table(self, written: str) -> bool:
        """Whether the relation `written` means did not exist before the run (resolved now, in the run's
        transaction, against the relations that existed when it began)."""
        with self.conn.transaction():
            row = self.conn.execute("SELECT pg_catalog.to_regclass(%s)::oid", (written,)).fetchone()
        return row is None or row[0] not in self.relations

    def _table_of_index(self, written: str) -> str | None:
        """The table of index `written` (schema-qualified), or None when there is no such index."""
        with self.conn.transaction():
            row = self.conn.execute("""SELECT format('%%I.%%I', n.nspname, c.relname)
                                       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
                                       JOIN pg_namespace n ON n.oid = c.relnamespace
                                       WHERE i.indexrelid = pg_catalog.to_regclass(%s)""", (written,)).fetchone()
        return str(row[0]) if row else None

    def _non_transactional_on_new_tables(self, step: Step, script: Script, statements: list[Statement]) -> None:
        report = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                script.file, False, "executed")
        self.review.migrations.append(report)
        self._clean_session()
        self._set_statement_timeout(script)
        report.note = ("non-transactional, run inside the dry-run's transaction: every table it touches was created "
                       "by this run, which no other session can see (CONCURRENTLY dropped where a transaction "
                       "forbids it); the real run runs it outside a transaction")
        self._execute(report, script.file, statements)

    def _batch(self, step: Step, script: Script) -> None:
        """A batch file: its first batch (with the recorded :last when it resumes), planned with
        EXPLAIN and run once in the rolled-back transaction for its rows and locks."""
        spec = script.directives.batch
        assert spec is not None
        report = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                script.file, False, "executed")
        self.review.migrations.append(report)
        self._clean_session()
        self._set_statement_timeout(script)
        statement = script.statements()[0]
        progress = self.history.batches.get((step.migration.version, step.direction))
        last_key = progress.last_key if progress else None
        bound = bind_batch(statement.text, spec.size, last_key).rstrip().rstrip(";")
        with suppress(psycopg.Error), self.conn.transaction():  # a savepoint: a failing EXPLAIN is reported below
            report.query_plan = [row[0] for row in self.conn.execute(f"EXPLAIN {bound}".encode()).fetchall()]
        self._execute(report, script.file, [Statement(0, bound, statement.line, statement.offset)])
        resumed = f" from the recorded last key {last_key}" if last_key is not None else ""
        report.note = (f"batch file: one batch of at most {spec.size} rows was run{resumed}; the real run repeats it, "
                       "each batch in its own transaction, until it affects no row"
                       + (f", pausing {spec.pause_ms} ms between batches" if spec.pause_ms else ""))

    def _clean_session(self, engine_file: bool = False) -> None:
        """As the real run: each file starts from the connection's own session (role, search_path,
        settings), then the dry-run's limits and, but in an engine file (citus/), the plan's settings;
        inside the one transaction, so it too is rolled back."""
        reset_session(self.conn)
        self._limits(engine_file)
        if engine_file and self.bootstrap:
            # Not as the real run: on a coordinator that distributes nothing yet, Citus would create what a
            # propagated statement depends on (the schemas and types the chain built locally) on the workers
            # in sessions that commit at once. The statements are still annotated as the real run sees them.
            self.conn.execute("SELECT set_config('citus.enable_ddl_propagation', 'off', true)")
        if self.citus_session is not None:
            # Each migration commits in the real run: roles it created exist on the workers for the next.
            settings = {} if engine_file else self.session_settings
            propagate_set, unsafe_triggers = self.citus_defaults
            self.citus_session = citus.Session(
                propagate_set_commands=settings.get("citus.propagate_set_commands", propagate_set),
                unsafe_triggers=settings.get("citus.enable_unsafe_triggers", "on" if unsafe_triggers else "off") == "on",
                ddl_propagation=settings.get("citus.enable_ddl_propagation", "on") != "off",
                nologin=set(self.nologin))

    def _watch_citus(self) -> None:
        """On a Citus target: read its settings and keep the WARNINGs it sends (a view over a local
        table, say), so each statement can be annotated with what Citus does with it."""
        self.citus_defaults = catalog.citus_settings(self.conn)
        self.nologin = catalog.nologin_roles(self.conn)
        self.citus_session = citus.Session(*self.citus_defaults)

        def keep(diagnostic: psycopg.errors.Diagnostic) -> None:
            if diagnostic.severity_nonlocalized == "WARNING" and diagnostic.message_primary:
                self.citus_warnings.append(diagnostic.message_primary)

        self.conn.add_notice_handler(keep)

    def _citus_kind(self, written: str) -> citus.TableKind | None:
        """Citus's view of a table as written in a statement, asked in the dry-run's own transaction
        (so a table distributed by an earlier statement counts); a savepoint keeps a bad name harmless."""
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            return None  # after a failure nothing more can be asked: the statements left are shown unresolved
        try:
            with self.conn.transaction():
                found = catalog.citus_table_kind(self.conn, written)
        except psycopg.Error:
            return None
        if found is None:
            return None
        kind, column = found
        return citus.TableKind(kind, column)  # type: ignore[arg-type]  # the query yields only the three kinds

    def _split(self, file: SqlFile) -> list[Statement]:
        """The file's statements, each run on its own; on a plan that sends them one per query (Citus),
        exactly as the real run sends them (execute.statements_as_sent: an ALTER TABLE split per
        subcommand there is split here too)."""
        split = split_sql(file.text)
        if split.note:
            self.review.notes.append(f"{file.rel}: {split.note}")
        return statements_as_sent(file.text) if self.as_sent else list(split.statements)

    def _set_statement_timeout(self, script: Script) -> None:
        timeout = script.directives.statement_timeout_ms
        if timeout is not None:
            self.conn.execute("SELECT set_config('statement_timeout', %s, true)", (f"{timeout}ms",))

    def _repeatables(self, plan: Plan) -> None:
        if self.review.stopped_at is not None:
            return
        for repeatable in plan.repeatables:
            report = _script_report("repeatable", repeatable.key, None, "up", repeatable.file, True,
                                    "executed")
            self.review.migrations.append(report)
            self._clean_session()
            self._execute(report, repeatable.file, self._split(repeatable.file))

    def _engine_files(self, files: list[Repeatable]) -> None:
        """citus/before/ and citus/after/, run as the real `up` runs them (without the plan's session
        settings), in the one rolled-back transaction."""
        if self.review.stopped_at is not None:
            return
        for repeatable in files:
            report = _script_report("repeatable", repeatable.key, None, "up", repeatable.file, True, "executed")
            self.review.migrations.append(report)
            self._clean_session(engine_file=True)
            self._execute(report, repeatable.file, self._split(repeatable.file))

    def _not_executed(self, step: Step, script: Script) -> MigrationReport:
        report = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                script.file, False, "not executed")
        report.statements = [self._static(s) for s in split_statements(script.file.text)]
        self.review.migrations.append(report)
        return report

    def _stop_at(self, report: MigrationReport, reason: str, rest: list[Step], plan: Plan) -> None:
        self.review.stopped_at = report.name
        report.note = (f"not executed: it cannot run inside the dry-run's transaction, and {reason}; "
                       "the simulation stopped here")
        for step in rest:
            script: Script = step.script
            skipped = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                     script.file, script.directives.transactional, "skipped")
            skipped.statements = [self._static(s) for s in split_statements(script.file.text)]
            skipped.note = f"not simulated: the plan stopped at {report.name}"
            self.review.migrations.append(skipped)
        self.review.notes.append(
            f"the simulation stopped at non-transactional {report.name} ({reason}); the steps after it are "
            "shown with static lock estimates" + (", repeatables" if plan.repeatables else "") +
            " and post-checks were not run")

    def _cannot_simulate(self, stop: _Unsimulatable, plan: Plan) -> None:
        """One transaction cannot show what the real run (a commit per file) will do: say so plainly,
        show the files after this one with static estimates, and do not call it a failure."""
        report = stop.report
        report.status = "not simulated"
        report.note = f"not simulated: {stop.reason}"
        self.review.stopped_at = report.name
        for kind, name, version, file, transactional in _files_after(plan, report.path):
            skipped = _script_report(kind, name, version, plan.direction if kind == "versioned" else "up", file,
                                     transactional, "skipped")
            skipped.statements = [self._static(s) for s in split_statements(file.text)]
            skipped.note = f"not simulated: the dry-run stopped at {report.name}"
            self.review.migrations.append(skipped)
        self.review.notes.append(
            f"could not simulate {report.name} and what follows: {stop.reason}. The real run commits each "
            "file, so this is not a failure; the files from here are shown with static lock estimates"
            + (" and Citus predictions" if self.citus_session is not None else "") + ", and post-checks were not run")

    # -- statements ----------------------------------------------------------------------------

    def _execute(self, report: MigrationReport, file: SqlFile, statements: list[Statement]) -> None:
        # The real apply sends a transactional file whole. Here it goes statement by statement so
        # each statement's locks, time and rows can be observed; that is safe only because the whole
        # run is one transaction that is rolled back, so a half-run file is never visible.
        start = time.perf_counter()
        if self.citus_session is not None:
            self._citus_file_start(report)
        try:
            for statement in statements:
                report.statements.append(self._statement(report, file, statement, start))
        finally:
            report.duration_ms = (time.perf_counter() - start) * 1000

    def _statement(self, report: MigrationReport, file: SqlFile, statement: Statement,
                   script_start: float) -> StatementReport:
        if self.citus_session is not None:
            outside = citus.commits_outside_the_transaction(statement.text, distributes_too=self.bootstrap)
            if outside is not None:
                return self._not_run(report, statement, outside)
        predicted, distributed_before = self._citus_before(statement)
        began = time.perf_counter()
        result = StatementReport(index=statement.index, line=statement.line, excerpt=statement.excerpt(),
                                 sql=statement.text, executed=True, started_ms=(began - script_start) * 1000)
        try:
            result.command, result.rows, lock_rows = self._run_observed(statement.text)
        except ScriptError as exc:
            boundary = self._citus_commit_boundary(report, statement, exc.error)
            if boundary is not None and predicted is not None:
                # Not a refusal: what the real run does is shown as predicted, not as observed here.
                predicted.warnings.append("not run to the end in the dry-run's one transaction (see the file's note)")
                result.citus = predicted
            elif self.citus_session is not None:
                result.citus = citus.observed(predicted, error=exc.error, warnings=self._take_citus_warnings())
            result.executed = False
            result.duration_ms = (time.perf_counter() - began) * 1000
            report.statements.append(result)
            earlier = [name for name in self.enum_values_added if name != report.name]
            if exc.error.sqlstate == UNSAFE_NEW_ENUM_VALUE_USAGE and earlier:
                raise _Unsimulatable(report, (
                    f"line {statement.line} uses an enum value added by {', '.join(dict.fromkeys(earlier))} "
                    "(ALTER TYPE ... ADD VALUE); PostgreSQL forbids using a new enum value in the transaction that "
                    "added it, and the dry-run runs every migration in one transaction")) from exc
            if boundary is not None:
                raise _Unsimulatable(report, boundary) from exc
            self._fail(report, file, statement, exc)
        result.duration_ms = (time.perf_counter() - began) * 1000
        if self.citus_session is not None:
            result.citus = self._citus_after(predicted, distributed_before)
            if result.citus is not None and result.citus.propagation is citus.Propagation.PROPAGATED:
                self.file_writers.add(self.citus_session.role)
        self._observe(result, statement, lock_rows)
        if _ADDS_ENUM_VALUE.search(statement.text) and adds_enum_value(statement.text):
            self.enum_values_added.append(report.name)
        return result

    def _inconclusive_checks(self) -> None:
        """A post-check that fails after the dry-run left statements out (they commit outside its
        transaction) may fail only because of them: reported as a warning, with the statements named."""
        if not self.not_run:
            return
        failed = [check for check in self.review.post_checks if not check.passed]
        for check in failed:
            check.warning = True
        if failed:
            self.review.notes.append(
                f"post-check(s) {', '.join(c.name for c in failed)} failed after the dry-run left out "
                f"{', '.join(self.not_run)} (not run: they commit outside its transaction); reported as warnings, "
                "since the real run runs those statements first")

    def _not_run(self, report: MigrationReport, statement: Statement, reason: str) -> StatementReport:
        """A statement whose effects the rollback could not undo: shown with its prediction, not run."""
        result = self._static(statement)
        if result.citus is not None:
            result.citus.warnings.append(f"not run by the dry-run: {reason}")
        line = f"line {statement.line} not run: {reason}"
        self.not_run.append(f"{report.path}:{statement.line}")
        report.note = f"{report.note}; {line}" if report.note else line
        self.review.notes.append(f"{report.path}: {line}")
        return result

    def _citus_file_start(self, report: MigrationReport) -> None:
        """A new file: the roles the files before it created (the real run has committed them by now)."""
        roles = catalog.role_names(self.conn)
        for role in roles - self.roles_at_file_start:
            self.role_creators.setdefault(role, self.current_path or "an earlier file")
        self.roles_at_file_start = roles
        self.current_path = report.path
        self.file_writers = set()

    def _citus_commit_boundary(self, report: MigrationReport, statement: Statement, error: psycopg.Error) -> str | None:
        """Why a statement Citus refused inside the dry-run's one transaction runs in the real run, which
        commits each file: None when the refusal is the statement's own (the real run fails too).

        Two refusals come from an earlier file of the same transaction, never from this one:
        - a role an earlier file created is missing on the workers (Citus creates a role there when the
          transaction creating it commits: citus/before/ commits its roles before anything uses them);
        - shards this file touches as one role were written earlier in the transaction as another
          ("modified in this transaction by a different user"), when this file itself wrote them as
          no other role (each migration, policy and view file is its own transaction on Citus).
        """
        if self.citus_session is None:
            return None
        message = error.diag.message_primary or ""
        missing = re.search(r'role "([^"]+)" does not exist', message)
        if missing and missing.group(1) in self.roles_at_file_start - self.roles_before_run:
            role = missing.group(1)
            creator = self.role_creators.get(role, "an earlier file")
            return (f"line {statement.line} of {report.path} needs role {role} on the workers, which {creator} "
                    f"creates in this run ({error.sqlstate}: {message}); Citus creates a role on the workers when "
                    f"the transaction creating it commits, which the real run does before {report.path} and the "
                    "dry-run's one rolled-back transaction cannot")
        if error.sqlstate == ACTIVE_SQL_TRANSACTION and "by a different user" in message:
            if self.file_writers - {self.citus_session.role}:
                return None  # this file wrote the shards as another role itself: the real run fails too
            return (f"line {statement.line} of {report.path} touches, as role "
                    f"{self.citus_session.role or 'of the runner'}, shards an earlier file of this dry-run wrote as "
                    f"another role ({error.sqlstate}: {message}); the real run commits each file before the next, "
                    "the dry-run's one rolled-back transaction cannot")
        return None

    def _static(self, statement: Statement) -> StatementReport:
        """A statement not run: lock estimates, and on Citus its predicted fate."""
        report = _static_statement(self.resolver, statement)
        if self.citus_session is not None:
            report.citus = citus.classify(statement.text, self._citus_kind, self.citus_session)
        return report

    def _citus_before(self, statement: Statement) -> tuple[citus.CitusNote | None, set[str]]:
        """On Citus: the statement's predicted fate, and the objects Citus distributes before it runs."""
        if self.citus_session is None:
            return None, set()
        self.citus_warnings.clear()
        predicted = citus.classify(statement.text, self._citus_kind, self.citus_session)
        return predicted, catalog.citus_distributed_objects(self.conn)

    def _citus_after(self, predicted: citus.CitusNote | None, before: set[str]) -> citus.CitusNote | None:
        added = sorted(catalog.citus_distributed_objects(self.conn) - before)
        return citus.observed(predicted, distributed=added, warnings=self._take_citus_warnings())

    def _take_citus_warnings(self) -> list[str]:
        taken = list(self.citus_warnings)
        self.citus_warnings.clear()
        return taken

    def _run_observed(self, text: str) -> tuple[str | None, int | None, list[tuple[Any, ...]]]:
        """Run one statement and read this session's locks in the same round trip.

        The lock query follows the statement in one simple-protocol execute: it sees what the
        statement locked, and the statement's error positions still count from its own first byte.
        The newline before `;` ends a trailing `--` comment. The reported duration includes this
        (sub-millisecond) query.

        On a Citus coordinator the lock query is sent on its own, after the statement, as the real run
        sends each statement on its own there (plan.one_statement_per_query): Citus forwards the query
        string of some DDL to the workers, where a second statement in it fails ('cannot insert
        multiple commands into a prepared statement'). The locks are the transaction's, still there.
        """
        # With no relation existing before the run (a fresh database) there is nothing to observe.
        observe = bool(self.relations)
        together = observe and self.citus_session is None
        sql = f"{text}\n;\n{catalog.SESSION_RELATION_LOCKS_SQL}" if together else text
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql.encode())  # bytes, no parameters: sent verbatim, '%' is not a placeholder
            result = cursor.pgresult
            command = cursor.statusmessage
            rows = result.command_tuples if result is not None else None
            if not observe:
                return command, rows, []
            if not together:
                return command, rows, self.conn.execute(catalog.SESSION_RELATION_LOCKS_SQL).fetchall()
            cursor.nextset()
            return command, rows, cursor.fetchall()
        except psycopg.Error as exc:
            raise ScriptError(exc, 0, ScriptOutcome()) from exc
        finally:
            cursor.close()

    def _observe(self, result: StatementReport, statement: Statement, lock_rows: list[tuple[Any, ...]]) -> None:
        if not self.relations:
            return  # nothing existed before the run: no lock or rewrite of it to report
        locks, filenodes = catalog.parse_session_locks(lock_rows)
        new = {key for key in locks if key not in self.held}
        for oid, mode in sorted(new, key=lambda k: (-strength(k[1]), k[0])):
            self.held.add((oid, mode))
            if oid in self.relations:
                result.locks.append(LockUse(self.relations[oid].name, mode))
        est = estimate(statement.text)
        result.locks.extend(self._already_held(est, locks, new))
        for oid, filenode in filenodes.items():
            if oid in self.filenodes and filenode != self.filenodes[oid]:
                result.rewritten.append(self.relations[oid].name)
                self.filenodes[oid] = filenode
        _record_names(self.resolver, est)
        result.rewrite_estimate = est.rewrite

    def _already_held(self, est: Estimate, locks: set[tuple[int, str]],
                      new: set[tuple[int, str]]) -> list[LockUse]:
        """Locks the statement needs that PostgreSQL did not report because this transaction already
        held them (the static table says which). The real apply commits each migration, so a lock
        first taken by an earlier migration of this dry-run would be taken again there."""
        uses = []
        for use in _estimated_locks(self.resolver, est, LockSource.HELD):
            oid = self.oid_by_name.get(use.relation)
            if oid is not None and (oid, use.mode) in locks and (oid, use.mode) not in new:
                uses.append(use)
        return uses

    def _fail(self, report: MigrationReport, file: SqlFile, statement: Statement,
              exc: ScriptError) -> NoReturn:
        report.status = "failed"
        self.failed_statement = statement
        # Count the file lines before the text sent (it may start with comment lines).
        lines_before = statement.line - _leading_comment_lines(statement.text) - 1
        self.review.failure = statement_error(file.rel, statement.text, exc, offset_line=lines_before)
        self.review.failed_migration = report.name
        raise _Stop from exc

    def _lock_waits(self) -> list[str]:
        """After a lock timeout (and our rollback): who holds a lock the failed statement needed."""
        statement = self.failed_statement
        if statement is None:
            return []
        needed = _estimated_locks(self.resolver, estimate(statement.text), LockSource.ESTIMATED)
        wanted = {u.relation: u.mode for u in needed}
        mentioned = [info.name for info in self.relations.values()
                     if re.search(rf"\b{re.escape(split_name(info.name)[-1])}\b", statement.text, re.I)]
        candidates = list(dict.fromkeys([*wanted, *mentioned]))
        waits = []
        for holding in catalog.other_sessions_locks(self.conn, candidates):
            mode = wanted.get(holding.relation)
            if not holding.granted or (mode is not None and not conflicts(mode, holding.mode)):
                continue
            waits.append(f"would wait for lock on {holding.relation} held by pid {holding.pid} "
                         f"({holding.application_name or 'no application_name'}, {mode_sql(holding.mode)}, "
                         f"{holding.state or 'unknown state'})")
        return list(dict.fromkeys(waits)) or [
            "would wait for a lock held by another session (it was released before it could be identified)"]


_PlanFile = tuple[Literal["versioned", "repeatable"], str, str | None, SqlFile, bool]


def _files_after(plan: Plan, path: str) -> list[_PlanFile]:
    """The files the real run runs after `path`, in its order: citus/before/, migrations, policies and
    views, citus/after/ (kind, name, version, file, transactional)."""
    files: list[_PlanFile] = [("repeatable", r.key, None, r.file, True) for r in plan.before]
    files += [("versioned", s.migration.name, s.migration.version, s.script.file, s.script.directives.transactional)
              for s in plan.steps]
    files += [("repeatable", r.key, None, r.file, True) for r in (*plan.repeatables, *plan.after)]
    paths = [f[3].rel.as_posix() for f in files]
    return files[paths.index(path) + 1:] if path in paths else []


def _in_transaction_form(text: str, is_new_table: Callable[[str], bool],
                         table_of_index: Callable[[str], str | None]) -> str | None:
    """`text` as it can run in a transaction block when it touches only tables created by this run:
    CREATE INDEX [CONCURRENTLY] and DROP INDEX [CONCURRENTLY] (without CONCURRENTLY) and ALTER TABLE on
    such tables; None for anything else."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return None
    if len(parsed) != 1:
        return None
    node = parsed[0].stmt
    if isinstance(node, ast.AlterTableStmt) and node.relation is not None:
        return text if is_new_table(_range_written(node.relation)) else None
    if isinstance(node, ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt):
        written = [_range_written(n) for n in citus.range_vars(node)]
        return text if all(is_new_table(name) for name in written) else None
    if isinstance(node, ast.CommentStmt):
        relation = _commented_relation(node)
        return text if relation is None or is_new_table(relation) else None
    if isinstance(node, ast.IndexStmt) and is_new_table(_range_written(node.relation)):
        return RawStream()(ast.IndexStmt(**{**_fields(node), "concurrent": False})) if node.concurrent else text
    if isinstance(node, ast.DropStmt) and getattr(node.removeType, "name", None) == "OBJECT_INDEX":
        for name in node.objects or ():
            table = table_of_index(".".join(_quote(p.sval) for p in name))
            if table is not None and not is_new_table(table):
                return None
        return RawStream()(ast.DropStmt(**{**_fields(node), "concurrent": False})) if node.concurrent else text
    return None


def _commented_relation(node: Any) -> str | None:
    """The relation a COMMENT ON (a table's, a column's, an index's ...) locks, or None."""
    kind = getattr(node.objtype, "name", "")
    names = [p.sval for p in node.object] if isinstance(node.object, tuple) else []
    if kind == "OBJECT_COLUMN":
        names = names[:-1]
    elif kind not in ("OBJECT_TABLE", "OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE"):
        return None
    return ".".join(_quote(p) for p in names) or None


def _fields(node: Any) -> dict[str, Any]:
    return {name: getattr(node, name) for name in type(node).__slots__ if name != "location"}


def _range_written(range_var: Any) -> str:
    return ".".join(_quote(p) for p in (range_var.schemaname, range_var.relname) if p)


def _leading_comment_lines(text: str) -> int:
    count = 0
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped and not stripped.startswith("--"):
            break
        count += 1
    return count


def _dependents(report: MigrationReport, rest: list[Step]) -> str | None:
    """Why a later step depends on a non-transactional migration, or None if none does."""
    own = {report.version, report.name}
    names: set[str] = set()
    for statement in report.statements:
        est = estimate(statement.sql)
        names.update(split_name(n)[-1] for n in (*est.creates, *est.drops) if n)
    for step in rest:
        later: Script = step.script
        if own & set(later.directives.depends):
            return f"{step.migration.name} declares `depends: {report.version}`"
        for name in sorted(names):
            if re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", later.file.text, re.I):
                return f"{step.migration.name} refers to {name}, which it creates or drops"
    return None


