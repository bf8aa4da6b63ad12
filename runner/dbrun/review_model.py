"""The dry-run's report: what each statement and migration did, and the risks a reviewer reads first.

`review.py` fills it in; `review_report.py` renders it. The risk rules live here because they read
nothing but the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from dbrun import catalog
from dbrun.checks import CheckResult
from dbrun.citus import CitusNote, Propagation
from dbrun.errors import StatementError
from dbrun.locks import (
    ACCESS_EXCLUSIVE,
    BLOCKS_READS_AND_WRITES,
    BLOCKS_WRITES,
    SHARE_UPDATE_EXCLUSIVE,
    lock_blocks,
    mode_sql,
    strength,
)


class LockSource(StrEnum):
    """How the dry-run knows a statement takes a lock."""

    OBSERVED = "observed"  # seen in pg_locks after the statement
    ESTIMATED = "estimated"  # from the static table (statement not executed, or --offline)
    HELD = "held"  # needed per the static table, but this transaction already held it (an earlier
    # statement, or an earlier migration of this dry-run)


@dataclass(frozen=True)
class LockUse:
    relation: str
    mode: str
    source: LockSource = LockSource.OBSERVED

    @property
    def blocks(self) -> str:
        return lock_blocks(self.mode)

    @property
    def mode_sql(self) -> str:
        return mode_sql(self.mode)


@dataclass(kw_only=True)
class StatementReport:
    index: int
    line: int
    excerpt: str
    sql: str
    executed: bool
    command: str | None = None
    rows: int | None = None
    duration_ms: float | None = None
    started_ms: float = 0.0  # offset from the start of its migration: locks are held from here to its end
    locks: list[LockUse] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # pre-existing tables whose relfilenode changed
    rewrite_estimate: str | None = None  # static: why the statement may rewrite a table
    estimate_known: bool = True
    citus: CitusNote | None = None  # on a Citus coordinator: propagated, coordinator only or rejected


Status = Literal["executed", "failed", "not executed", "not simulated", "skipped", "estimated"]


@dataclass(kw_only=True)
class MigrationReport:
    kind: Literal["versioned", "repeatable"]
    name: str
    version: str | None
    direction: str
    path: str
    transactional: bool
    status: Status
    statements: list[StatementReport] = field(default_factory=list)
    duration_ms: float = 0.0
    note: str | None = None
    query_plan: list[str] = field(default_factory=list)  # batch files: EXPLAIN of the one batch run

    @property
    def rows(self) -> int:
        return sum(s.rows or 0 for s in self.statements if s.executed)


@dataclass(frozen=True)
class Risk:
    level: Literal["high", "medium", "low"]
    text: str


@dataclass
class DryRun:
    direction: str
    offline: bool
    database: str | None  # redacted URL, or None offline
    migrations: list[MigrationReport] = field(default_factory=list)
    changes: list[catalog.ObjectChange] = field(default_factory=list)
    pre_checks: list[CheckResult] = field(default_factory=list)
    post_checks: list[CheckResult] = field(default_factory=list)
    failure: StatementError | None = None
    failed_migration: str | None = None
    lock_waits: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped_at: str | None = None  # the non-transactional migration the simulation stopped at
    bookkeeping_exists: bool = False
    relation_rows: dict[str, int | None] = field(default_factory=dict)  # row estimates of touched relations
    # Sequences are not transactional: how far the rolled-back run moved each pre-existing one.
    sequences_advanced: dict[str, int] = field(default_factory=dict)
    total_ms: float = 0.0
    engine: catalog.Engine | None = None  # None offline

    @property
    def on_citus(self) -> bool:
        return self.engine is not None and self.engine.citus is not None

    def citus_counts(self) -> dict[str, int]:
        """How many statements Citus propagates, keeps on the coordinator, rejects."""
        counts = {p.value: 0 for p in Propagation}
        for m in self.migrations:
            for s in m.statements:
                if s.citus is not None:
                    counts[s.citus.propagation.value] += 1
        return counts

    @property
    def checks_failed(self) -> bool:
        return any(not c.passed for c in self.pre_checks + self.post_checks)

    @property
    def exit_code(self) -> int:
        from dbrun.errors import EXIT_MIGRATION_FAILED, EXIT_OK, EXIT_PROBLEMS

        if self.failure is not None:
            return EXIT_MIGRATION_FAILED
        return EXIT_PROBLEMS if self.checks_failed else EXIT_OK

    def risks(self) -> list[Risk]:
        return _risks(self)


# =============================================================================================
# Risk summary


def _risks(review: DryRun) -> list[Risk]:
    risks: list[Risk] = []
    if review.failure is not None:
        f = review.failure
        risks.append(Risk("high", f"{review.failed_migration} fails at {f.path}:{f.line}: "
                                  f"SQLSTATE {f.sqlstate}: {f.message}"))
    risks.extend(Risk("high", wait) for wait in review.lock_waits)
    risks.extend(_lock_risks(review))
    risks.extend(_citus_risks(review))
    for m in review.migrations:
        if m.status == "not executed":
            risks.append(Risk("medium", f"{m.name} is non-transactional: not executed in the dry-run; its "
                                        "locks are estimates and a failure part-way leaves it half done"))
    if review.stopped_at:
        risks.append(Risk("medium", f"the simulation stopped at {review.stopped_at}: later steps were not "
                                    "run"))
    for check in review.pre_checks + review.post_checks:
        if not check.passed:
            what = check.error or f"{len(check.rows)} violation(s)"
            risks.append(Risk("high", f"check {check.name} fails: {what}"))
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(risks, key=lambda r: order[r.level])


def _lock_risks(review: DryRun) -> list[Risk]:
    """Per migration and relation, the strongest lock, how long it is held and any table rewrite."""
    risks: list[Risk] = []
    # The real apply runs all repeatables in one transaction: their locks last until the last one ends.
    repeatables = [m for m in review.migrations if m.kind == "repeatable"]
    until_end = {id(m): sum(r.duration_ms for r in repeatables[i:]) for i, m in enumerate(repeatables)}
    for m in review.migrations:
        strongest: dict[str, tuple[str, float, LockSource]] = {}
        for s in m.statements:
            for use in s.locks:
                held_ms = max(until_end.get(id(m), m.duration_ms) - s.started_ms, 0.0)
                current = strongest.get(use.relation)
                if current is None or strength(use.mode) > strength(current[0]):
                    strongest[use.relation] = (use.mode, held_ms, use.source)
            for table in s.rewritten:
                risks.append(Risk("high", f"{m.name} rewrites {table}{_rows(review, table)} (line {s.line}: "
                                          f"{s.excerpt}); it holds ACCESS EXCLUSIVE meanwhile"))
            if s.rewrite_estimate and not s.executed and any(u.mode == ACCESS_EXCLUSIVE for u in s.locks):
                risks.append(Risk("high", f"{m.name} may rewrite a table (line {s.line}): "
                                          f"{s.rewrite_estimate}"))
        for relation, (mode, held_ms, source) in strongest.items():
            level = _lock_level(mode)
            if level is None:
                continue
            held = {LockSource.OBSERVED: f" for ~{held_ms:.0f} ms here, until the end of its transaction",
                    LockSource.HELD: " (this dry-run already held it from an earlier migration)",
                    LockSource.ESTIMATED: " (estimated)"}[source]
            risks.append(Risk(level, f"{m.name} takes {mode_sql(mode)} on {relation}"
                                     f"{_rows(review, relation)}: blocks {lock_blocks(mode)}{held}"))
    return risks


def _citus_risks(review: DryRun) -> list[Risk]:
    """Statements Citus refuses (high) and what it accepts but warns about (medium)."""
    risks: list[Risk] = []
    for m in review.migrations:
        for s in m.statements:
            note = s.citus
            if note is None:
                continue
            if note.propagation is Propagation.REJECTED:
                seen = (f" (SQLSTATE {note.sqlstate}: {note.message})" if note.sqlstate else " (predicted)")
                risks.append(Risk("high", f"Citus rejects {m.name} line {s.line}: {note.reason}{seen}"))
            risks.extend(Risk("medium", f"Citus: {m.name} line {s.line}: {warning}") for warning in note.warnings)
    return risks


def _lock_level(mode: str) -> Literal["high", "medium", "low"] | None:
    blocks = lock_blocks(mode)
    if blocks == BLOCKS_READS_AND_WRITES:
        return "high"
    if blocks == BLOCKS_WRITES:
        return "medium"
    return "low" if strength(mode) >= strength(SHARE_UPDATE_EXCLUSIVE) else None


def _rows(review: DryRun, relation: str) -> str:
    rows = review.relation_rows.get(relation)
    return f" (~{rows:,} rows)" if rows else ""
