"""The commands as functions: each a straight line source -> plan -> execute -> checks.

What a command owns and nothing else does: its session (connection, advisory lock, the order of
bookkeeping, plan, checks and execution) and the data it returns. The work itself is the modules':
status states come from plan, seeding from execute, scaffolding from source. cli.py parses options
and renders what these return; tests and benchmarks call them directly too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

from dbrun import catalog, history, source
from dbrun.checks import CheckResult, run_checks
from dbrun.config import Settings
from dbrun.connection import Target, connect, describe_connection, redact, resolve_target
from dbrun.errors import ConfigError, Problem, ProblemsFound, RollbackNotConfirmed, UsageProblems
from dbrun.history import MigrationState
from dbrun.plan import (
    MigrationStatus,
    Plan,
    integrity_problems,
    migration_states,
    plan_down,
    plan_up,
    refuse_broken_files,
    repeatable_states,
    seed_plan,
)

if TYPE_CHECKING:
    from dbrun.docs import FileDifference
    from dbrun.execute import Listener, RunResult
    from dbrun.snapshot import Drift

Conn = psycopg.Connection[Any]


@dataclass
class RunOutcome:
    target: Target
    plan: Plan
    result: RunResult | None
    pre_checks: list[CheckResult] = field(default_factory=list)
    post_checks: list[CheckResult] = field(default_factory=list)

    @property
    def checks_failed(self) -> bool:
        return any(not c.passed for c in self.pre_checks + self.post_checks)


@contextmanager
def _session(settings: Settings) -> Iterator[tuple[Target, Conn]]:
    target = resolve_target(settings)
    conn = connect(target.url)
    try:
        yield target, conn
    finally:
        conn.close()


def load(settings: Settings, *, strict: bool = True,
         engine: catalog.EngineFacts = catalog.PLAIN_POSTGRESQL) -> source.Repository:
    """The repository, its templates rendered for the engine (`citus` is true on a Citus coordinator)."""
    variables = {**settings.template_vars, "citus": engine.citus} if engine.citus else settings.template_vars
    return source.load_repository(settings.root, variables, strict=strict)


def up(settings: Settings, to: str | None = None, listener: Listener | None = None,
       on_plan: Callable[[Plan], None] | None = None, on_target: Callable[[str], None] | None = None) -> RunOutcome:
    repository = load(settings)
    with _session(settings) as (target, conn):
        if on_target:
            on_target(describe_connection(conn))  # before the lock wait, before anything changes
        with history.advisory_lock(conn, settings.lock_wait_s):
            return _up_locked(settings, repository, target, conn, to, listener, on_plan)


def _up_locked(settings: Settings, repository: source.Repository, target: Target, conn: Conn, to: str | None,
               listener: Listener | None, on_plan: Callable[[Plan], None] | None) -> RunOutcome:
    from dbrun.execute import Executor  # applying pays for importing it; status and the read-only commands do not

    history.ensure_bookkeeping(conn)
    engine = catalog.engine(conn).facts()
    if engine.citus:
        repository = load(settings, engine=engine)  # templates rendered for Citus
    plan = plan_up(repository, history.read_state(conn), to, engine)
    if on_plan:
        on_plan(plan)
    outcome = RunOutcome(target, plan, None)
    outcome.pre_checks = run_checks(conn, repository.pre_checks) if not plan.empty else []
    if outcome.checks_failed:
        return outcome
    outcome.result = Executor(conn, settings, listener).run(plan)
    outcome.post_checks = run_checks(conn, repository.post_checks, include_builtin=True)
    return outcome


# Asked before rolling back on a database not marked development: (where, plan) -> go ahead?
Confirm = Callable[[str, Plan], bool]


def down(settings: Settings, *, to: str | None = None, steps: int | None = None, everything: bool = False,
         listener: Listener | None = None, on_plan: Callable[[Plan], None] | None = None,
         on_target: Callable[[str], None] | None = None, confirm: Confirm | None = None) -> RunOutcome:
    """Roll back; with `confirm`, a database not marked development is rolled back only if it says yes."""
    from dbrun import execute

    repository = load(settings, strict=False)
    with _session(settings) as (target, conn):
        where = describe_connection(conn)
        if on_target:
            on_target(where)
        with history.advisory_lock(conn, settings.lock_wait_s):
            state = history.read_state(conn)
            plan = plan_down(repository, state, to=to, steps=steps, everything=everything,
                             engine=catalog.engine(conn).facts())
            refuse_broken_files(plan, repository)
            if on_plan:
                on_plan(plan)
            outcome = RunOutcome(target, plan, None)
            if plan.empty:
                return outcome
            if confirm is not None and not execute.is_development(conn) and not confirm(where, plan):
                raise RollbackNotConfirmed(f"rollback of {len(plan.steps)} migration(s) on {where} not confirmed; "
                                           "nothing was changed")
            history.ensure_bookkeeping(conn)  # layout upgrades (held migrations) before writing
            outcome.result = execute.Executor(conn, settings, listener).run(plan)
            return outcome


def verify(settings: Settings) -> tuple[Target, list[CheckResult], list[Problem]]:
    """The post-checks' results, and the working tree's file problems (warnings: they block `up` only)."""
    repository = load(settings, strict=False)
    with _session(settings) as (target, conn):
        return target, run_checks(conn, repository.post_checks, include_builtin=True), repository.problems


# ---------------------------------------------------------------------------------------------
# status and health


@dataclass(kw_only=True)
class StatusReport:
    target: Target
    migrations: list[MigrationStatus]
    repeatables: dict[str, MigrationState]  # path -> APPLIED | CHANGED | PENDING
    problems: list[Problem]
    bookkeeping: bool
    last_failure: dict[str, Any] | None
    lock_holder: str | None
    last_change_at: datetime | None = None
    # Problems of files in the working tree (an unfinished teammate's file, say): they block `up`
    # only, and are shown here as warnings.
    warnings: list[Problem] = field(default_factory=list)
    # What the database's own security checks warn of (DDL audit inactive, say): shown by health,
    # never change its state.
    security_warnings: list[str] = field(default_factory=list)
    # The engine the target runs (PostgreSQL, or PostgreSQL + Citus and its workers).
    engine: catalog.Engine | None = None

    def count(self, state: MigrationState) -> int:
        return sum(1 for m in self.migrations if m.state == state)

    @property
    def schema_version(self) -> str | None:
        done = (MigrationState.APPLIED, MigrationState.CHANGED)
        return max((m.version for m in self.migrations if m.state in done), default=None)

    @property
    def last_migration_at(self) -> datetime | None:
        """The newest apply or rollback (a rollback deletes its migration's record, not this)."""
        applied = max((m.applied_at for m in self.migrations if m.applied_at), default=None)
        return max((t for t in (applied, self.last_change_at) if t is not None), default=None)

    @property
    def failed(self) -> int:
        """Migrations whose last attempt failed and that are not resolved: partial, failed or held."""
        return sum(self.count(s) for s in (MigrationState.PARTIAL, MigrationState.FAILED, MigrationState.HELD))

    @property
    def health(self) -> str:
        if self.failed or self.problems:
            return "failed" if self.failed else "inconsistent"
        pending_repeatable = any(v is not MigrationState.APPLIED for v in self.repeatables.values())
        if self.count(MigrationState.PENDING) or pending_repeatable:
            return "pending"
        return "ok"


def status(settings: Settings) -> StatusReport:
    with _session(settings) as (target, conn):
        state = history.read_state(conn)
        holder = history.lock_holder(conn)
        security_warnings = catalog.security_warnings(conn)
        engine = catalog.engine(conn)  # what status and health report about the engine
    facts = engine.facts()  # which engine-only files apply here, from the same reading
    repository = load(settings, strict=False, engine=facts)
    return StatusReport(target=target, migrations=migration_states(repository, state),
                        repeatables=repeatable_states(repository, state, facts),
                        problems=integrity_problems(repository, state, "up"), bookkeeping=state.exists,
                        last_failure=state.last_failure, lock_holder=holder.describe() if holder else None,
                        last_change_at=state.last_change_at, warnings=repository.problems,
                        security_warnings=security_warnings, engine=engine)


# ---------------------------------------------------------------------------------------------
# repair, new, render


@dataclass
class RepairOutcome:
    version: str
    name: str
    action: str  # marked | forgotten | released


def repair(settings: Settings, version: str, forget: bool = False, retry: bool = False) -> RepairOutcome:
    """Resolve a non-transactional migration that stopped part-way, after a human finished (or undid) it;
    with `retry`, release a migration held after its rollback so the next `up` applies it again."""
    repository = load(settings)
    with _session(settings) as (_target, conn), history.advisory_lock(conn, settings.lock_wait_s):
        if history.bookkeeping_exists(conn):
            history.ensure_bookkeeping(conn)  # an older layout is brought up to date first
        state = history.read_state(conn)
        if retry:
            return _release(conn, repository, state, version)
        applied = state.applied.get(version) or next(
            (m for m in state.applied.values() if m.name == version), None)
        if applied is None:
            raise UsageProblems("nothing to repair", [Problem(
                "REPAIR", f"{version} has no record in this database", hint="see `dbrun status`")])
        migration = repository.find(applied.version)
        if not forget and applied.status is not MigrationState.PARTIAL:
            raise ProblemsFound("nothing to repair", [Problem(
                "REPAIR", f"{applied.name} is fully applied; repair only resolves a partial migration",
                hint="use --forget to remove the record of a migration undone by hand")])
        if not forget:
            if migration is None:
                raise ProblemsFound("cannot repair", [Problem("REPAIR", f"{applied.name} is missing on disk")])
            invalid = catalog.invalid_indexes(conn)
            if invalid:
                raise ProblemsFound("cannot mark as applied", [Problem(
                    "REPAIR-INVALID-INDEX", f"INVALID index(es) remain: {', '.join(invalid)}",
                    hint="drop or rebuild them (DROP INDEX CONCURRENTLY / REINDEX INDEX CONCURRENTLY) first")])
        run_id = str(uuid.uuid4())
        with conn.transaction():
            if forget:
                history.unmark(conn, applied.version)
            else:
                assert migration is not None
                history.mark_applied(conn, version=migration.version, name=migration.name,
                                     migration_hash=migration.bookkeeping().hash, checksum=migration.checksum,
                                     transactional=False, duration_ms=None, run_id=run_id)
            history.write_log(conn, history.LogEntry(
                run_id=run_id, operation="repair", status="forgotten" if forget else "marked",
                started_at=datetime.now(UTC), version=applied.version, name=applied.name,
                checksum=migration.checksum if migration else None))
        return RepairOutcome(applied.version, applied.name, "forgotten" if forget else "marked")


def _release(conn: Conn, repository: source.Repository, state: history.HistoryState, version: str) -> RepairOutcome:
    migration = repository.find(version)
    held = migration.version if migration and migration.version in state.held else None
    if held is None or migration is None:
        raise UsageProblems("nothing to retry", [Problem(
            "REPAIR", f"{version} is not held", hint="`dbrun status` shows held migrations; --retry releases one")])
    history.ensure_bookkeeping(conn)
    run_id = str(uuid.uuid4())
    with conn.transaction():
        history.release(conn, held)
        history.write_log(conn, history.LogEntry(
            run_id=run_id, operation="repair", status="released", started_at=datetime.now(UTC), version=held,
            name=migration.name, checksum=migration.checksum))
    return RepairOutcome(held, migration.name, "released")


@dataclass
class SeedOutcome:
    target: Target
    files: list[str]
    statements: int
    rows: int


def seed(settings: Settings, force: bool = False) -> SeedOutcome:
    """Apply seeds/*.sql in file order, in one transaction (on Citus, one each), on a development
    database only."""
    from dbrun import execute

    files = execute.seed_files(settings.root)
    with _session(settings) as (target, conn):
        execute.require_development(conn, force)
        applied = execute.apply_seeds(conn, settings.root, files, seed_plan(catalog.engine(conn).facts()))
    return SeedOutcome(target, applied.files, applied.statements, applied.rows)


def new_migration(settings: Settings, slug: str, transactional: bool = True) -> tuple[Path, Path]:
    return source.scaffold_migration(settings.root, slug, transactional)


def render(settings: Settings, path: Path) -> str:
    absolute = path if path.is_absolute() else (Path.cwd() / path)
    if not absolute.exists():
        absolute = settings.root / path
    absolute = absolute.resolve()
    if not absolute.is_file():
        raise ConfigError(f"{path}: no such file", hint="give a file under policies/, views/ or citus/")
    try:
        absolute.relative_to(settings.root)
    except ValueError as exc:
        raise ConfigError(f"{path} is outside the repository {settings.root}") from exc
    if absolute.name.endswith(".j2"):
        return source.render_template(settings.root, absolute, settings.template_vars)
    return absolute.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# docs and diff: the generated reference, the snapshot, drift

# Databases `dbrun docs` creates on the embedded cluster are named after this (and dropped after).
SCRATCH_PREFIX = "dbrun_docs"


@dataclass
class ReferenceOutcome:
    source: str  # what was documented: a throwaway database, or the redacted URL given
    files: dict[Path, str]  # every generated file, by path relative to the root
    differences: list[FileDifference]  # written (or, with check, found)
    checked: bool  # --check: nothing was written
    notes: tuple[str, ...] = ()


@contextmanager
def _documented_database(settings: Settings,
                         repository: source.Repository) -> Iterator[tuple[str, Conn, tuple[str, ...]]]:
    """The database to document: the URL given, else the repository applied to a throwaway database.

    The throwaway one lives on the embedded local cluster and is dropped afterwards, so `dbrun docs`
    always describes exactly what the repository's migrations, policies and views build.
    """
    if settings.database_url:
        conn = connect(settings.database_url)
        try:
            yield redact(settings.database_url), conn, _version_notes(conn, repository)
        finally:
            conn.close()
        return
    from dbrun.local import LocalCluster

    cluster = LocalCluster(settings.cluster_dir)
    with cluster.scratch_database(SCRATCH_PREFIX) as url:
        outcome = up(replace(settings, database_url=url))
        failed = [check for check in outcome.pre_checks + outcome.post_checks if not check.passed]
        if failed:
            raise ProblemsFound("the repository's checks fail on a fresh database; no reference was written", [
                Problem("DOCS-CHECKS", f"check {check.name} failed", check.path, hint="see `dbrun verify`")
                for check in failed])
        conn = connect(url)
        try:
            yield "a throwaway database with the repository applied", conn, tuple(cluster.notes)
        finally:
            conn.close()


class _Unreadable:
    """The applied version could not be read (the role may not read the bookkeeping schema)."""


def _applied_version(conn: Conn) -> str | _Unreadable | None:
    try:
        return max(history.read_state(conn).applied, default=None)
    except psycopg.errors.InsufficientPrivilege:
        return _Unreadable()


def _version_note(conn: Conn, expected: str | None, what: str) -> tuple[str, ...]:
    """A note when the database is not at the version `what` (the repository, the snapshot) is at."""
    applied = _applied_version(conn)
    if isinstance(applied, _Unreadable):
        return (f"cannot read {history.SCHEMA}.migrations as this role, so not the database's schema version",)
    if applied == expected:
        return ()
    return (f"the database is at schema version {applied or 'none'}, {what} at {expected or 'none'}",)


def _version_notes(conn: Conn, repository: source.Repository) -> tuple[str, ...]:
    newest = max((m.version for m in repository.migrations), default=None)
    notes = _version_note(conn, newest, "the repository")
    return tuple(f"{note}: the reference describes the database as it is" for note in notes)


def reference(settings: Settings, check: bool = False) -> ReferenceOutcome:
    """Generate docs/reference/ and schema/schema.sql; with check, only report how the committed ones differ."""
    from dbrun import docs, snapshot

    repository = load(settings)
    with _documented_database(settings, repository) as (description, conn, notes):
        model = docs.read_model(conn)
    files = docs.render_reference(model, repository)
    files[docs.SNAPSHOT_PATH] = snapshot.render(model, docs.schema_version(repository))
    differences = docs.compare(settings.root, files) if check else docs.write(settings.root, files)
    return ReferenceOutcome(description, files, differences, check, notes)


@dataclass
class DriftOutcome:
    target: Target
    snapshot: Path
    drift: Drift
    notes: tuple[str, ...] = ()


def diff(settings: Settings, snapshot_path: Path | None = None) -> DriftOutcome:
    """Compare the live database's schema with the committed snapshot, read-only."""
    from dbrun import docs, snapshot

    path = snapshot_path or settings.root / docs.SNAPSHOT_PATH
    if not path.is_file():
        raise ConfigError(f"no schema snapshot at {path}", hint="generate it with `dbrun docs` and commit it")
    expected = path.read_text(encoding="utf-8")
    with _session(settings) as (target, conn):
        conn.execute("SET default_transaction_read_only = on")
        model = docs.read_model(conn)
        notes = _version_note(conn, snapshot.version_of(expected), "the snapshot")
    return DriftOutcome(target, path, snapshot.drift(expected, model), notes)


# ---------------------------------------------------------------------------------------------
# adoption: baseline, import of another tool's history, and the history itself


@dataclass
class AdoptOutcome:
    target: Target
    operation: str  # baseline | import
    marked: list[str]  # migration names now recorded as applied
    checked_objects: bool
    source: str | None = None  # the other tool's table, for an import
    notes: list[str] = field(default_factory=list)


def baseline(settings: Settings, version: str, check_objects: bool = True) -> AdoptOutcome:
    """Record every migration up to `version` as applied (with its file's checksum) on a database that
    already has that schema, after checking, where the SQL says, that its objects exist."""
    repository = load(settings)
    target_migration = repository.find(version)
    if target_migration is None:
        raise UsageProblems("unknown version", [Problem(
            "BASELINE", f"no migration {version!r} in {source.UP_DIR}", hint="give a version from `dbrun status`")])
    chosen = [m for m in repository.migrations if m.version <= target_migration.version]
    with _session(settings) as (target, conn), history.advisory_lock(conn, settings.lock_wait_s):
        outcome = _adopt(conn, target, chosen, "baseline", check_objects)
    return outcome


def import_history(settings: Settings, tool: str, table: str | None = None,
                   check_objects: bool = True) -> AdoptOutcome:
    """Record as applied the migrations another tool's history lists (matched by version number)."""
    from dbrun import adopt

    repository = load(settings)
    with _session(settings) as (target, conn), history.advisory_lock(conn, settings.lock_wait_s):
        foreign = adopt.read_foreign_history(conn, target.url, adopt.Tool(tool), repository, table)
        if foreign.unknown:
            raise ProblemsFound(f"{foreign.table} lists migrations this repository does not have", [Problem(
                "IMPORT-UNKNOWN", f"{foreign.tool} id {raw!r} matches no file in {source.UP_DIR}",
                hint="name the files with the same version numbers (YYYYMMDDHHMM_slug.sql), or use "
                     "`dbrun baseline VERSION` instead") for raw in foreign.unknown])
        by_version = repository.by_version()
        chosen = [by_version[v] for v in foreign.versions]
        outcome = _adopt(conn, target, chosen, "import", check_objects)
        outcome.source = foreign.table
        newest = max(foreign.versions, default=None)
        skipped = [m.name for m in repository.migrations if newest and m.version < newest
                   and m.version not in foreign.versions]
        if skipped:
            outcome.notes.append(f"{len(skipped)} older migration(s) are not in {foreign.table} "
                                 f"({', '.join(skipped)}): `dbrun up` will refuse them as out of order")
    return outcome


def _adopt(conn: Conn, target: Target, chosen: list[source.VersionedMigration], operation: str,
           check_objects: bool) -> AdoptOutcome:
    from dbrun import adopt

    state = history.read_state(conn)
    if state.applied:
        raise ProblemsFound(f"this database already has dbrun history; nothing was {operation}d", [Problem(
            "ADOPT-HAS-HISTORY", f"{len(state.applied)} migration(s) are already recorded in {history.SCHEMA}."
            "migrations", hint=f"{operation} is for a database dbrun has never migrated; see `dbrun status`")])
    if check_objects:
        missing = adopt.missing_objects(conn, chosen)
        if missing:
            raise ProblemsFound(f"{len(missing)} object(s) the migrations create are missing; nothing was recorded",
                                missing)
    history.ensure_bookkeeping(conn)
    run_id = str(uuid.uuid4())
    with conn.transaction():
        history.as_runner(conn)
        for migration in chosen:
            history.mark_applied(conn, version=migration.version, name=migration.name,
                                 migration_hash=migration.bookkeeping().hash, checksum=migration.checksum,
                                 transactional=migration.up.directives.transactional, duration_ms=None,
                                 run_id=run_id)
            history.write_log(conn, history.LogEntry(
                run_id=run_id, operation=operation, status="marked", started_at=datetime.now(UTC), direction="up",
                version=migration.version, name=migration.name, migration_hash=migration.bookkeeping().hash,
                checksum=migration.checksum))
    return AdoptOutcome(target, operation, [m.name for m in chosen], check_objects)


@dataclass(frozen=True, kw_only=True)
class HistoryEntry:
    """One row of dbrun.log: who applied, rolled back, repaired or adopted what, when, how long."""

    id: int
    run_id: str
    operation: str
    direction: str | None
    version: str | None
    name: str | None
    status: str
    started_at: datetime
    duration_ms: int | None
    statements: int | None
    rows: int | None
    sqlstate: str | None
    error: str | None
    db_user: str
    os_user: str | None
    hostname: str | None


def history_log(settings: Settings, limit: int = 20) -> list[HistoryEntry]:
    """The newest `limit` entries of dbrun.log, newest first (empty on a database never migrated)."""
    if limit < 1:
        raise UsageProblems("bad --limit", [Problem("HISTORY", f"--limit must be at least 1 (got {limit})")])
    with _session(settings) as (_target, conn):
        if not history.bookkeeping_exists(conn):
            return []
        rows = conn.execute(
            f"""SELECT id, run_id::text, operation, direction, version, name, status, started_at, duration_ms,
                       statements, rows_affected, sqlstate, error, db_user, os_user, hostname
                FROM {history.SCHEMA}.log ORDER BY id DESC LIMIT %s""", (limit,)).fetchall()
    return [HistoryEntry(id=r[0], run_id=r[1], operation=r[2], direction=r[3], version=r[4], name=r[5], status=r[6],
                         started_at=r[7], duration_ms=r[8], statements=r[9], rows=r[10], sqlstate=r[11],
                         error=r[12], db_user=r[13], os_user=r[14], hostname=r[15]) for r in rows]
