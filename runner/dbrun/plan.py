"""What a run will do: pending migrations, migrations to roll back, changed repeatables, and why not.

A plan is computed from the repository (files) and the history (database) only; it never touches
the database itself, so `up`, `down`, `status` and the dry-run share it. The state of each migration
(`migration_states`) and the integrity problems are derived here too, from the same two inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from dbrun.errors import Problem, ProblemsFound
from dbrun.history import HistoryState, MigrationState
from dbrun.source import UP_DIR, Repeatable, Repository, Script, VersionedMigration

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Step:
    migration: VersionedMigration
    direction: Direction
    resume: bool = False  # a non-transactional migration that stopped part-way in an earlier run

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
    clear_repeatables: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps and not self.repeatables


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


def migration_states(repository: Repository, state: HistoryState) -> list[MigrationStatus]:
    """Every migration on disk or in the history, with its state, in version order."""
    rows: list[MigrationStatus] = []
    for migration in repository.migrations:
        path = str(migration.up.file.rel)
        applied = state.applied.get(migration.version)
        if applied is None:
            rows.append(MigrationStatus(version=migration.version, name=migration.name,
                                        state=MigrationState.PENDING, path=path))
            continue
        label = applied.status if applied.status is MigrationState.PARTIAL else (
            MigrationState.CHANGED if applied.checksum != migration.checksum else MigrationState.APPLIED)
        rows.append(MigrationStatus(version=migration.version, name=migration.name, state=label,
                                    applied_at=applied.applied_at, duration_ms=applied.duration_ms, path=path))
    on_disk = repository.by_version()
    for version, applied in state.applied.items():
        if version not in on_disk:
            rows.append(MigrationStatus(version=version, name=applied.name, state=MigrationState.MISSING,
                                        applied_at=applied.applied_at, duration_ms=applied.duration_ms))
    rows.sort(key=lambda r: r.version)
    return rows


def repeatable_states(repository: Repository, state: HistoryState) -> dict[str, MigrationState]:
    """Each repeatable's path -> PENDING (never applied), CHANGED (applied, since edited) or APPLIED."""
    def label(key: str, checksum: str) -> MigrationState:
        if key not in state.repeatables:
            return MigrationState.PENDING
        return MigrationState.APPLIED if state.repeatables[key] == checksum else MigrationState.CHANGED
    return {r.key: label(r.key, r.file.checksum) for r in repository.repeatables}


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
        if applied.status is MigrationState.APPLIED and applied.checksum != migration.checksum:
            problems.append(Problem(
                "HIST-EDITED",
                f"applied migration was edited since it was applied (sha256 {applied.checksum[:12]}… recorded, "
                f"{migration.checksum[:12]}… on disk)", migration.up.file.rel,
                hint="applied migrations are immutable: restore the file (git checkout) and add a new migration"))
        if applied.status is MigrationState.PARTIAL and direction == "down":
            problems.append(Problem(
                "HIST-PARTIAL", f"non-transactional migration {applied.name} stopped part-way",
                migration.up.file.rel,
                hint="finish it with `dbrun up` (it resumes), or resolve it by hand and run "
                     f"`dbrun repair {version}`"))
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
    return [r for r in repository.repeatables if state.repeatables.get(r.key) != r.file.checksum]


def plan_up(repository: Repository, state: HistoryState, to: str | None = None) -> Plan:
    _refuse(integrity_problems(repository, state, "up"))
    if to is not None and repository.find(to) is None:
        raise ProblemsFound("unknown target", [Problem("PLAN-TARGET", f"no migration {to!r} in {UP_DIR}",
                                                       hint="give a version (YYYYMMDDHHMM) from `dbrun status`")])
    target = repository.find(to).version if to else None  # type: ignore[union-attr]
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
    return plan


def plan_down(repository: Repository, state: HistoryState, *, to: str | None = None, steps: int | None = None,
              everything: bool = False) -> Plan:
    chosen = [x for x in (to is not None, steps is not None, everything) if x]
    if len(chosen) != 1:
        raise ProblemsFound("down needs exactly one of --to, --steps, --all", [Problem(
            "PLAN-DOWN", "say how far to roll back", hint="`dbrun down --steps 1`, `--to VERSION` or `--all`")])
    _refuse(integrity_problems(repository, state, "down"))
    applied = sorted((v for v, m in state.applied.items() if m.status is MigrationState.APPLIED), reverse=True)
    if to is not None:
        found = repository.find(to)
        if found is None or found.version not in state.applied:
            raise ProblemsFound("unknown target", [Problem(
                "PLAN-TARGET", f"{to!r} is not an applied migration", hint="see `dbrun status` for applied versions")])
        versions = [v for v in applied if v > found.version]
    elif steps is not None:
        if steps < 1:
            raise ProblemsFound("bad --steps", [Problem("PLAN-DOWN", "--steps must be at least 1")])
        versions = applied[:steps]
    else:
        versions = applied
    on_disk = repository.by_version()
    plan = Plan("down", steps=[Step(on_disk[v], "down") for v in versions])
    plan.clear_repeatables = bool(plan.steps)
    return plan
