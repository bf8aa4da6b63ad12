"""What a run will do: pending migrations, migrations to roll back, changed repeatables, and why not.

A plan is computed from the repository (files), the history and the engine facts (both read from
the database by the caller) only; it never touches the database itself, so `up`, `down`, `status`
and the dry-run share it. The state of each migration (`migration_states`) and the integrity problems
are derived here too. On a Citus target (the `citus` extension) the plan adds the engine's own files
(citus/before/, citus/after/) and settings; on plain PostgreSQL it is what it always was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from dbrun import citus
from dbrun.catalog import PLAIN_POSTGRESQL, EngineFacts
from dbrun.errors import Problem, ProblemsFound, UsageProblems
from dbrun.history import HistoryState, MigrationState
from dbrun.source import UP_DIR, Repeatable, Repository, Script, VersionedMigration

Direction = Literal["up", "down"]

# On a Citus coordinator that distributes nothing yet, the chain is built on the coordinator alone, as on
# plain PostgreSQL, and citus/after/ then distributes it (Citus creates every object a distributed table
# or function depends on, on every worker, when it distributes it). With DDL propagation on, a migration
# that creates a schema as the migrator and objects in it as the owner role fails on the workers: Citus
# sends the two over two connections (one per role) of one uncommitted transaction.
CITUS_BOOTSTRAP_SETTINGS = {"citus.enable_ddl_propagation": "off"}
# On every Citus run: a migration mixes DDL on distributed tables with writes to reference tables (the
# classification rows), which Citus allows in one transaction only over one connection per node; and
# DDL on a table with triggers (they run on the shards) needs the explicit opt-in.
CITUS_SESSION_SETTINGS = {"citus.multi_shard_modify_mode": "sequential", "citus.enable_unsafe_triggers": "on"}


@dataclass(frozen=True)
class Step:
    migration: VersionedMigration
    direction: Direction
    resume: bool = False  # a non-transactional migration that stopped part-way in an earlier run
    # down only: rolling back a migration that had failed part-way; once rolled back it is held
    after_failure: bool = False

    @property
    def script(self) -> Script:
        script = self.migration.up if self.direction == "up" else self.migration.down
        assert script is not None, "source validation guarantees a down file"
        return script


@dataclass
class Plan:
    direction: Direction
    steps: list[Step] = field(default_factory=list)
    repeatables: list[Repeatable] = field(default_factory=list)
    # Engine-only repeatables (citus/before/, citus/after/), changed ones on a target with that engine:
    # `before` runs ahead of the steps, `after` behind the policies and views; each file commits alone.
    before: list[Repeatable] = field(default_factory=list)
    after: list[Repeatable] = field(default_factory=list)
    # Set (SET LOCAL) in every migration and policies/views transaction of this run.
    session_settings: dict[str, str] = field(default_factory=dict)
    # A transactional file is sent one statement per query (still in its one transaction) instead of as
    # one query string. On Citus: it propagates some DDL to the workers by the text of the query that
    # carried it, so a multi-statement string would run the file's other statements there too; and it
    # refuses ADD CONSTRAINT with other subcommands, so such an ALTER TABLE is sent as one ALTER TABLE per
    # subcommand where that is exactly equivalent (source.one_alter_per_subcommand).
    one_statement_per_query: bool = False
    # The policies and views each in their own transaction instead of all in one. On Citus: every tenant
    # table is in one colocation group, and Citus refuses a role the shards of that group once another
    # role wrote them in the transaction; a file that runs as the owner (usage.police_partitions) needs
    # a transaction of its own.
    repeatables_one_transaction_each: bool = False
    clear_repeatables: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps and not self.repeatables and not self.before and not self.after


@dataclass(kw_only=True)
class MigrationStatus:
    """A migration on disk or in the history, and where it stands (one row of `dbrun status`)."""

    # Which migration: its up file is relative to the repository, None when the file is missing.
    version: str
    name: str
    path: str | None = None
    # Where it stands; applied_at and duration_ms come from the history (None while pending).
    state: MigrationState
    applied_at: datetime | None = None
    duration_ms: int | None = None
    error: str | None = None  # FAILED, PARTIAL: the last attempt's error; HELD: why it is held


def migration_states(repository: Repository, state: HistoryState) -> list[MigrationStatus]:
    """Every migration on disk or in the history, with its state, in version order."""
    rows: list[MigrationStatus] = []
    for migration in repository.migrations:
        path = str(migration.up.file.rel)
        applied = state.applied.get(migration.version)
        failure = state.failures.get(migration.version)
        error = f"{failure.sqlstate or '-'}: {failure.error}" if failure else None
        if applied is None:
            label = (MigrationState.HELD if migration.version in state.held else
                     MigrationState.FAILED if failure and failure.direction == "up" else MigrationState.PENDING)
            reason = state.held.get(migration.version) if label is MigrationState.HELD else error
            rows.append(MigrationStatus(version=migration.version, name=migration.name, state=label, path=path,
                                        error=reason if label is not MigrationState.PENDING else None))
            continue
        label = applied.status if applied.status is MigrationState.PARTIAL else (
            MigrationState.CHANGED if applied.checksum != migration.checksum else MigrationState.APPLIED)
        rows.append(MigrationStatus(version=migration.version, name=migration.name, state=label,
                                    applied_at=applied.applied_at, duration_ms=applied.duration_ms, path=path,
                                    error=error if label is MigrationState.PARTIAL else None))
    on_disk = repository.by_version()
    for version, applied in state.applied.items():
        if version not in on_disk:
            rows.append(MigrationStatus(version=version, name=applied.name, state=MigrationState.MISSING,
                                        applied_at=applied.applied_at, duration_ms=applied.duration_ms))
    rows.sort(key=lambda r: r.version)
    return rows


def for_engine(repeatables: list[Repeatable], engine: EngineFacts) -> list[Repeatable]:
    """The engine-only repeatables this target runs (those whose extension it has)."""
    return [r for r in repeatables if r.requires_extension is None or r.requires_extension in engine.extensions]


def repeatable_states(repository: Repository, state: HistoryState,
                      engine: EngineFacts = PLAIN_POSTGRESQL) -> dict[str, MigrationState]:
    """Each repeatable's path -> PENDING (never applied), CHANGED (applied, since edited) or APPLIED;
    the engine-only ones (citus/) only on a target that runs them."""
    def label(key: str, checksum: str) -> MigrationState:
        if key not in state.repeatables:
            return MigrationState.PENDING
        return MigrationState.APPLIED if state.repeatables[key] == checksum else MigrationState.CHANGED
    applicable = repository.repeatables + for_engine(repository.engine_repeatables, engine)
    return {r.key: label(r.key, r.file.checksum) for r in applicable}


def integrity_problems(repository: Repository, state: HistoryState, direction: Direction) -> list[Problem]:
    """Each way the history and the files disagree, with its own message and fix."""
    problems: list[Problem] = []
    on_disk = repository.by_version()
    for version, applied in state.applied.items():
        migration = on_disk.get(version)
        if migration is None:
            problems.append(Problem(
                "HIST-MISSING", f"applied migration {applied.name} is missing on disk", UP_DIR / f"{applied.name}.sql",
                hint="restore the file from version control; if it was undone by hand, "
                     f"`dbrun repair {version} --forget` removes its record"))
            continue
        if applied.name != migration.name:
            problems.append(Problem(
                "HIST-RENAMED", f"applied migration {applied.name} was renamed to {migration.name}",
                migration.up.file.rel,
                hint=f"applied migrations are immutable, names included: rename both files back to {applied.name}.sql "
                     "and put the change in a new migration"))
            continue
        if applied.status is MigrationState.APPLIED and applied.checksum != migration.checksum:
            problems.append(Problem(
                "HIST-EDITED",
                f"applied migration was edited since it was applied (sha256 {applied.checksum[:12]}… recorded, "
                f"{migration.checksum[:12]}… on disk)", migration.up.file.rel,
                hint="applied migrations are immutable: restore the file (git checkout) and add a new migration"))
    newest = state.newest_applied()
    if newest is not None:
        for migration in repository.migrations:
            if migration.version < newest and migration.version not in state.applied:
                problems.append(Problem(
                    "HIST-OUT-OF-ORDER",
                    f"pending migration {migration.version} is older than the newest applied one ({newest})",
                    migration.up.file.rel,
                    hint=f"rename both its files with a version after {newest} (`dbrun new SLUG` stamps one)"))
    return problems


def _refuse(problems: list[Problem]) -> None:
    if problems:
        count = len(problems)
        raise ProblemsFound(f"pre-checks found {count} problem{'s' if count > 1 else ''}; nothing was run", problems)


def changed_repeatables(repository: Repository, state: HistoryState) -> list[Repeatable]:
    return _changed(repository.repeatables, state)


def _changed(repeatables: list[Repeatable], state: HistoryState) -> list[Repeatable]:
    return [r for r in repeatables if state.repeatables.get(r.key) != r.file.checksum]


def _plan_engine(plan: Plan, repository: Repository, state: HistoryState, engine: EngineFacts,
                 partial: bool) -> None:
    """The engine's own files and settings: nothing at all on plain PostgreSQL. With `partial` (`--to`
    left migrations pending) citus/after/ waits, like the policies and views: it describes the newest schema."""
    if not engine.citus:
        return
    applicable = for_engine(repository.engine_repeatables, engine)
    plan.one_statement_per_query = True
    plan.repeatables_one_transaction_each = True
    plan.session_settings = dict(CITUS_SESSION_SETTINGS)
    plan.before = _changed([r for r in applicable if r.phase == "before"], state)
    if plan.steps and engine.distributed_tables == 0:
        plan.session_settings.update(CITUS_BOOTSTRAP_SETTINGS)
        plan.notes.append("Citus coordinator with no distributed table: the migrations build the schema on the "
                          "coordinator (citus.enable_ddl_propagation off); citus/after/ then distributes it")
    if not partial:
        after = [r for r in applicable if r.phase == "after"]
        # A migration may create a tenant table, which stays a local coordinator table until citus/after/
        # distributes it: a run that applies migrations runs citus/after/ whole (its files are
        # idempotent), not only the files whose checksum changed.
        plan.after = after if plan.steps else _changed(after, state)


def seed_plan(engine: EngineFacts) -> Plan | None:
    """How `dbrun seed` runs the seed files on this engine: None on plain PostgreSQL (all in one
    transaction, as always); on Citus, the settings and transactions of a run (execute.apply_seeds)."""
    if not engine.citus:
        return None
    plan = Plan("up", one_statement_per_query=True, repeatables_one_transaction_each=True,
                session_settings=dict(CITUS_SESSION_SETTINGS))
    return plan


def plan_up(repository: Repository, state: HistoryState, to: str | None = None,
            engine: EngineFacts = PLAIN_POSTGRESQL) -> Plan:
    _refuse(integrity_problems(repository, state, "up"))
    if to is not None and repository.find(to) is None:
        raise UsageProblems("unknown target", [Problem("PLAN-TARGET", f"no migration {to!r} in {UP_DIR}",
                                                       hint="give a version (YYYYMMDDHHMM) from `dbrun status`")])
    target = repository.find(to).version if to else None  # type: ignore[union-attr]
    _refuse([Problem("HIST-HELD", f"{m.name} was rolled back after failing part-way ({state.held[m.version]}); "
                     "it is not re-applied automatically", m.up.file.rel,
                     hint=f"when the file is fixed: `dbrun repair {m.version} --retry`, then `dbrun up`")
             for m in repository.migrations
             if m.version in state.held and m.version not in state.applied and (target is None or m.version <= target)])
    plan = Plan("up")
    for migration in repository.migrations:
        if target is not None and migration.version > target:
            continue
        applied = state.applied.get(migration.version)
        if applied is None:
            plan.steps.append(Step(migration, "up"))
        elif applied.status is MigrationState.PARTIAL:
            plan.steps.append(Step(migration, "up", resume=True))
    still_pending = [m for m in repository.migrations
                     if m.version not in state.applied and all(s.migration is not m for s in plan.steps)]
    if still_pending:
        plan.notes.append(f"repeatables not applied: {len(still_pending)} migration(s) after --to {to} are pending, "
                          "and policies/views describe the newest schema")
    else:
        plan.repeatables = changed_repeatables(repository, state)
    _plan_engine(plan, repository, state, engine, partial=bool(still_pending))
    return plan


def _refuse_irreversible(newest_first: list[VersionedMigration]) -> None:
    """`down` never goes past a migration whose down file declares it cannot be undone."""
    for position, migration in enumerate(newest_first):
        down = migration.down
        if down is None or down.directives.irreversible is None:
            continue
        newer = newest_first[:position]
        hint = (f"`dbrun down --to {migration.version}` rolls back the {len(newer)} newer migration(s) only"
                if newer else "undo it by hand with a new forward migration")
        raise ProblemsFound(f"cannot roll back past irreversible {migration.name}; nothing was rolled back", [Problem(
            "PLAN-IRREVERSIBLE", f"{migration.name} is irreversible: {down.directives.irreversible}",
            down.file.rel, hint=hint)])


def _refuse_distribution_column_updates(newest_first: list[VersionedMigration], engine: EngineFacts) -> None:
    """On Citus, `down` never starts a rollback that would reach a down file changing a table's
    distribution column (an UPDATE setting it, a DROP COLUMN or type change of it: Citus refuses them,
    so the rollback would stop there part-way, the newer migrations rolled back): it refuses
    before anything runs, naming the file and line, and says how far back the cluster can go."""
    columns = dict(engine.distribution_columns)

    def lookup(written: str) -> citus.TableKind | None:
        column = columns.get(written)
        return citus.TableKind("distributed", column) if column is not None else None

    for position, migration in enumerate(newest_first):
        down = migration.down
        if down is None:
            continue
        for statement in down.statements():
            why = citus.distribution_column_change(statement.text, lookup)
            if why is None:
                continue
            reachable = (f"`dbrun down --to {migration.version}` rolls back the {position} newer migration(s) only"
                         if position else "no rollback reaches past it on Citus")
            raise ProblemsFound(f"cannot roll back {migration.name} on Citus; nothing was rolled back", [Problem(
                "PLAN-CITUS-DOWN", f"{migration.name}'s down cannot run on a Citus cluster: {why}",
                down.file.rel, statement.line,
                hint=f"{reachable}; going further back on Citus means restoring a backup taken before "
                     f"{migration.version} (or rebuilding the cluster): docs/scale-out.md, 'Round trip'")])


def plan_down(repository: Repository, state: HistoryState, *, to: str | None = None, steps: int | None = None,
              everything: bool = False, engine: EngineFacts = PLAIN_POSTGRESQL) -> Plan:
    chosen = [x for x in (to is not None, steps is not None, everything) if x]
    if len(chosen) != 1:
        raise UsageProblems("down needs exactly one of --to, --steps, --all", [Problem(
            "PLAN-DOWN", "say how far to roll back", hint="`dbrun down --steps 1`, `--to VERSION` or `--all`")])
    _refuse(integrity_problems(repository, state, "down"))
    # A partial (failed part-way) migration is rolled back with its down file too, which must then be
    # re-runnable (IF EXISTS): it undoes what was committed; afterwards the migration is held.
    applied = sorted(state.applied, reverse=True)
    if to is not None:
        found = repository.find(to)
        if found is None or found.version not in state.applied:
            raise UsageProblems("unknown target", [Problem(
                "PLAN-TARGET", f"{to!r} is not an applied migration", hint="see `dbrun status` for applied versions")])
        versions = [v for v in applied if v > found.version]
    elif steps is not None:
        if steps < 1:
            raise UsageProblems("bad --steps", [Problem("PLAN-DOWN", f"--steps must be at least 1 (got {steps})",
                                                        hint="`dbrun down --steps 1` rolls back the newest")])
        versions = applied[:steps]
    else:
        versions = applied
    on_disk = repository.by_version()
    _refuse_irreversible([on_disk[v] for v in versions])
    if engine.citus:
        _refuse_distribution_column_updates([on_disk[v] for v in versions], engine)
    plan = Plan("down", steps=[Step(on_disk[v], "down", after_failure=state.applied[v].status is MigrationState.PARTIAL)
                               for v in versions])
    plan.clear_repeatables = bool(plan.steps)
    if engine.citus:
        plan.one_statement_per_query = True
        plan.session_settings = dict(CITUS_SESSION_SETTINGS)
    for step in plan.steps:
        if step.after_failure:
            plan.notes.append(f"{step.migration.name} failed part-way; once rolled back it is held: `dbrun up` skips "
                              f"it until `dbrun repair {step.migration.version} --retry`")
    return plan


def refuse_broken_files(plan: Plan, repository: Repository) -> None:
    """A lenient load's problems block a rollback only when they concern a file it would run; the
    others become notes (a teammate's unfinished pending file must not block an emergency rollback)."""
    files = {path for step in plan.steps for path in (step.migration.up.file.rel, step.script.file.rel)}
    blocking = [p for p in repository.problems if p.path in files]
    if blocking:
        raise ProblemsFound(f"{len(blocking)} problem(s) in the files this rollback needs; nothing was run", blocking)
    plan.notes.extend(f"warning: {p.location() or 'repository'}: {p.message} ({p.code}; blocks `up` only)"
                      for p in repository.problems)
