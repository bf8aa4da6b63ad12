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
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

import psycopg

from dbrun import catalog, history
from dbrun.checks import CheckResult, run_checks
from dbrun.config import Settings
from dbrun.connection import connect, redact, resolve_target
from dbrun.errors import MigrationFailed, StatementError
from dbrun.execute import LOCK_NOT_AVAILABLE, ScriptError, ScriptOutcome, statement_error
from dbrun.history import AppliedMigration, HistoryState
from dbrun.plan import Plan, Step, plan_down, plan_up
from dbrun.source import Repository, Script, SqlFile, Statement, load_repository, split_statements

Conn = psycopg.Connection[Any]

# A dry-run gives up on a lock after this long (or the configured lock_timeout, if shorter): it
# must never make production sessions queue behind it for long.
DRY_RUN_LOCK_TIMEOUT_MS = 1_000

# =============================================================================================
# PostgreSQL's table-level lock modes (https://www.postgresql.org/docs/current/explicit-locking.html)

ACCESS_SHARE = "AccessShareLock"
ROW_SHARE = "RowShareLock"
ROW_EXCLUSIVE = "RowExclusiveLock"
SHARE_UPDATE_EXCLUSIVE = "ShareUpdateExclusiveLock"
SHARE = "ShareLock"
SHARE_ROW_EXCLUSIVE = "ShareRowExclusiveLock"
EXCLUSIVE = "ExclusiveLock"
ACCESS_EXCLUSIVE = "AccessExclusiveLock"

LOCK_MODES = (ACCESS_SHARE, ROW_SHARE, ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE,
              EXCLUSIVE, ACCESS_EXCLUSIVE)  # weakest first

# Table 13.2 "Conflicting Lock Modes".
_CONFLICTS: dict[str, frozenset[str]] = {
    ACCESS_SHARE: frozenset({ACCESS_EXCLUSIVE}),
    ROW_SHARE: frozenset({EXCLUSIVE, ACCESS_EXCLUSIVE}),
    ROW_EXCLUSIVE: frozenset({SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE, ACCESS_EXCLUSIVE}),
    SHARE_UPDATE_EXCLUSIVE: frozenset({SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE,
                                       ACCESS_EXCLUSIVE}),
    SHARE: frozenset({ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE_ROW_EXCLUSIVE, EXCLUSIVE,
                      ACCESS_EXCLUSIVE}),
    SHARE_ROW_EXCLUSIVE: frozenset({ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE,
                                    EXCLUSIVE, ACCESS_EXCLUSIVE}),
    EXCLUSIVE: frozenset(LOCK_MODES) - {ACCESS_SHARE},
    ACCESS_EXCLUSIVE: frozenset(LOCK_MODES),
}

BLOCKS_READS_AND_WRITES = "reads and writes"
BLOCKS_WRITES = "writes only"
BLOCKS_DDL = "other DDL"


def conflicts(a: str, b: str) -> bool:
    return b in _CONFLICTS.get(a, frozenset())


def strength(mode: str) -> int:
    return LOCK_MODES.index(mode) if mode in LOCK_MODES else -1


def lock_blocks(mode: str) -> str:
    """What a lock mode stops other sessions from doing, in the words a reviewer needs."""
    if ACCESS_SHARE in _CONFLICTS.get(mode, frozenset()):
        return BLOCKS_READS_AND_WRITES  # even plain SELECT waits
    if ROW_EXCLUSIVE in _CONFLICTS.get(mode, frozenset()):
        return BLOCKS_WRITES  # SELECT runs, INSERT/UPDATE/DELETE wait
    return BLOCKS_DDL  # only other DDL, VACUUM, CREATE INDEX ... wait


def mode_sql(mode: str) -> str:
    """'ShareRowExclusiveLock' -> 'SHARE ROW EXCLUSIVE', as the documentation and LOCK TABLE spell it."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", mode.removesuffix("Lock")).upper()


_MODE_BY_SQL = {mode_sql(m): m for m in LOCK_MODES}

# =============================================================================================
# Static table of DDL lock levels: what a statement would lock, without running it.


@dataclass(frozen=True)
class Estimate:
    """What the static table predicts for one statement; relation names are as written in the SQL."""

    locks: tuple[tuple[str, str], ...] = ()  # (relation, mode)
    creates: tuple[str, ...] = ()
    drops: tuple[str, ...] = ()
    rewrite: str | None = None  # why the statement may rewrite a table
    known: bool = True  # False: the table has no rule for this statement (DO blocks, SELECT ...)


_IDENT = r'(?:"(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)'
_NAME = rf"{_IDENT}(?:\s*\.\s*{_IDENT}){{0,2}}"
_NAMES = rf"{_NAME}(?:\s*,\s*(?:only\s+)?{_NAME})*"
_VOLATILE_DEFAULT = re.compile(
    r"\bdefault\b.*\b(clock_timestamp|random|gen_random_uuid|uuid_generate_v[14]|nextval|timeofday|"
    r"statement_timestamp)\s*\(")


def _normalize(sql: str) -> str:
    """Lower case, comments and dollar-quoted bodies removed, whitespace collapsed (for matching only)."""
    text = re.sub(r"/\*.*?\*/", " ", sql, flags=re.S)
    text = re.sub(r"--[^\n]*", " ", text)
    text = re.sub(r"\$([a-z_]*)\$.*?\$\1\$", "$$", text, flags=re.S | re.I)
    text = re.sub(r"'(?:[^']|'')*'", "''", text)  # literals cannot contain relation names
    text = re.sub(r"\s+", " ", text).strip().rstrip(";").strip()
    # Fold case outside double quotes only: "Orders" and orders are different relations.
    return "".join(part if part.startswith('"') else part.lower() for part in re.split(r'("(?:[^"]|"")*")', text))


def split_name(name: str) -> tuple[str, ...]:
    """'Public."Order Items"' -> ('public', 'Order Items'): unquoted parts fold to lower case."""
    parts = re.findall(r'"((?:[^"]|"")+)"|([^."\s]+)', name)
    return tuple(quoted.replace('""', '"') if quoted else plain.lower() for quoted, plain in parts)


def _names(group: str) -> list[str]:
    return [n.strip() for n in re.split(r"\s*,\s*(?:only\s+)?", group) if n.strip()]


def _top_level_parts(body: str) -> list[str]:
    """ALTER TABLE subcommands: split at commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in body:
        depth += char == "("
        depth -= char == ")"
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


_SHARE_UPDATE_EXCLUSIVE_SUBCOMMANDS = re.compile(
    rf"detach partition {_NAME} concurrently\b|alter (?:column )?{_IDENT} set statistics|cluster on\b|"
    r"set without cluster\b|set \(")


def _alter_subcommand(table: str, sub: str) -> tuple[list[tuple[str, str]], str | None]:
    """Locks and rewrite reason of one ALTER TABLE subcommand (docs: ALTER TABLE, "Notes" on lock levels)."""
    locks: list[tuple[str, str]] = []
    mode = ACCESS_EXCLUSIVE  # the default for ALTER TABLE subcommands
    rewrite = None
    if re.match(r"validate constraint\b", sub):
        mode = SHARE_UPDATE_EXCLUSIVE
    elif re.match(rf"add (?:constraint {_IDENT} )?foreign key\b", sub):
        mode = SHARE_ROW_EXCLUSIVE
    elif match := re.match(rf"attach partition ({_NAME})", sub):
        mode = SHARE_UPDATE_EXCLUSIVE
        locks.append((match.group(1), ACCESS_EXCLUSIVE))
    elif re.match(_SHARE_UPDATE_EXCLUSIVE_SUBCOMMANDS, sub):
        mode = SHARE_UPDATE_EXCLUSIVE
    elif re.match(r"(?:enable|disable) (?:always |replica )?trigger\b", sub):
        mode = SHARE_ROW_EXCLUSIVE
    locks.append((table, mode))
    locks.extend((ref, SHARE_ROW_EXCLUSIVE) for ref in re.findall(rf"\breferences ({_NAME})", sub))
    if re.match(rf"alter (?:column )?{_IDENT} (?:set data )?type\b", sub):
        rewrite = "ALTER COLUMN ... TYPE rewrites the table unless the new type is binary-coercible"
    elif re.match(r"add\b", sub) and _VOLATILE_DEFAULT.search(sub):
        rewrite = "ADD COLUMN with a volatile DEFAULT rewrites the table"
    elif re.match(r"add\b", sub) and re.search(r"\bgenerated always as \(.*\) stored\b", sub):
        rewrite = "ADD COLUMN ... GENERATED ... STORED rewrites the table"
    elif re.match(r"set (?:logged|unlogged|access method)\b", sub):
        rewrite = "SET LOGGED/UNLOGGED/ACCESS METHOD rewrites the table"
    return locks, rewrite


def _alter_table(m: re.Match[str]) -> Estimate:
    locks: list[tuple[str, str]] = []
    rewrites: list[str] = []
    body = m.group("body")
    subcommands = [body] if body.startswith("rename") else _top_level_parts(body)
    for sub in subcommands:
        sub_locks, rewrite = _alter_subcommand(m.group("table"), sub)
        locks.extend(sub_locks)
        rewrites.extend([rewrite] if rewrite else [])
    strongest: dict[str, str] = {}
    for relation, mode in locks:  # several subcommands on one table: the strongest lock wins
        if strength(mode) > strength(strongest.get(relation, "")):
            strongest[relation] = mode
    return Estimate(tuple(strongest.items()), rewrite="; ".join(dict.fromkeys(rewrites)) or None)


def _create_table(m: re.Match[str]) -> Estimate:
    text = m.string
    locks = [(p, ACCESS_EXCLUSIVE) for p in re.findall(rf"\bpartition of ({_NAME})", text)]
    locks += [(r, SHARE_ROW_EXCLUSIVE) for r in re.findall(rf"\breferences ({_NAME})", text)]
    return Estimate(tuple(locks), creates=(m.group("name"),))


def _lock_table(m: re.Match[str]) -> Estimate:
    mode = _MODE_BY_SQL.get((m.group("mode") or "access exclusive").upper(), ACCESS_EXCLUSIVE)
    return Estimate(tuple((n, mode) for n in _names(m.group("names"))))


def _simple(mode: str, group: str = "name", creates: bool = False, drops: bool = False,
            rewrite: str | None = None) -> Any:
    def handler(m: re.Match[str]) -> Estimate:
        names = _names(m.group(group))
        return Estimate(tuple((n, mode) for n in names), creates=tuple(names) if creates else (),
                        drops=tuple(names) if drops else (), rewrite=rewrite)
    return handler


def _create_index(m: re.Match[str]) -> Estimate:
    mode = SHARE_UPDATE_EXCLUSIVE if m.group("conc") else SHARE
    name = (m.group("name") or "").strip()
    return Estimate(((m.group("table"), mode),), creates=(name,) if name else ())


def _drop_index(m: re.Match[str]) -> Estimate:
    # The lock that matters is on the index's table; the resolver maps an index name to it.
    mode = SHARE_UPDATE_EXCLUSIVE if m.group("conc") else ACCESS_EXCLUSIVE
    names = _names(m.group("names"))
    return Estimate(tuple((n, mode) for n in names), drops=tuple(names))


def _comment(m: re.Match[str]) -> Estimate:
    name = m.group("name")
    if m.group("what") == "column":
        name = name.rsplit(".", 1)[0]
    return Estimate(((name, SHARE_UPDATE_EXCLUSIVE),))


def _refresh(m: re.Match[str]) -> Estimate:
    return Estimate(((m.group("name"), EXCLUSIVE if m.group("conc") else ACCESS_EXCLUSIVE),))


def _reindex(m: re.Match[str]) -> Estimate:
    mode = SHARE_UPDATE_EXCLUSIVE if m.group("conc") else SHARE
    return Estimate(((m.group("name"), mode),))


def _no_relation_locks(_m: re.Match[str]) -> Estimate:
    return Estimate()


def _unknown(_m: re.Match[str]) -> Estimate:
    return Estimate(known=False)


_RULES: list[tuple[re.Pattern[str], Any]] = [(re.compile(p), h) for p, h in [
    (rf"create (?:unique )?index (?P<conc>concurrently )?(?:if not exists )?(?P<name>{_NAME} )?on (?:only )?"
     rf"(?P<table>{_NAME})", _create_index),
    (rf"drop index (?P<conc>concurrently )?(?:if exists )?(?P<names>{_NAMES})", _drop_index),
    (rf"alter table (?:if exists )?(?:only )?(?P<table>{_NAME})\*? (?P<body>.*)", _alter_table),
    (rf"create (?:(?:global |local )?(?:temp|temporary) |unlogged )?table (?:if not exists )?"
     rf"(?P<name>{_NAME})", _create_table),
    (rf"create (?:or replace )?(?:constraint )?trigger {_IDENT} .*?\bon (?P<name>{_NAME})",
     _simple(SHARE_ROW_EXCLUSIVE)),
    (rf"drop trigger (?:if exists )?{_IDENT} on (?P<name>{_NAME})", _simple(ACCESS_EXCLUSIVE)),
    (rf"(?:create|alter|drop) policy (?:if exists )?{_IDENT} on (?P<name>{_NAME})",
     _simple(ACCESS_EXCLUSIVE)),
    (rf"comment on (?P<what>table|column|view|materialized view|sequence|foreign table) (?P<name>{_NAME})",
     _comment),
    (rf"create (?:or replace )?(?:temp |temporary )?(?:recursive )?(?:materialized )?view (?:if not exists )?"
     rf"(?P<name>{_NAME})", _simple(ACCESS_EXCLUSIVE, creates=True)),
    (rf"create sequence (?:if not exists )?(?P<name>{_NAME})", _simple(ACCESS_EXCLUSIVE, creates=True)),
    (rf"drop (?:table|view|materialized view|sequence|foreign table) (?:if exists )?(?P<name>{_NAMES})",
     _simple(ACCESS_EXCLUSIVE, drops=True)),
    (rf"truncate (?:table )?(?:only )?(?P<name>{_NAMES})",
     _simple(ACCESS_EXCLUSIVE, rewrite="TRUNCATE gives the table new, empty storage")),
    (rf"lock (?:table )?(?:only )?(?P<names>{_NAMES})(?: in (?P<mode>[a-z ]+?) mode)?", _lock_table),
    (rf"vacuum (?:\([^)]*\) )?full (?:verbose |analyze |freeze )*(?P<name>{_NAMES})",
     _simple(ACCESS_EXCLUSIVE, rewrite="VACUUM FULL rewrites the table")),
    (rf"(?:vacuum|analyze) (?:\([^)]*\) )?(?:verbose |analyze |freeze )*(?P<name>{_NAMES})",
     _simple(SHARE_UPDATE_EXCLUSIVE)),
    (rf"cluster (?:verbose )?(?P<name>{_NAME})",
     _simple(ACCESS_EXCLUSIVE, rewrite="CLUSTER rewrites the table")),
    (rf"refresh materialized view (?P<conc>concurrently )?(?P<name>{_NAME})", _refresh),
    (rf"reindex (?:\([^)]*\) )?(?:table|index) (?P<conc>concurrently )?(?P<name>{_NAME})", _reindex),
    (rf"alter (?:materialized view|view|sequence|foreign table|index) (?:if exists )?(?P<name>{_NAME})",
     _simple(ACCESS_EXCLUSIVE)),
    (rf"insert into (?P<name>{_NAME})", _simple(ROW_EXCLUSIVE)),
    (rf"update (?:only )?(?P<name>{_NAME}) ", _simple(ROW_EXCLUSIVE)),
    (rf"delete from (?:only )?(?P<name>{_NAME})", _simple(ROW_EXCLUSIVE)),
    (rf"merge into (?:only )?(?P<name>{_NAME})", _simple(ROW_EXCLUSIVE)),
    (r"(?:grant|revoke|set|reset|comment on|select set_config|notify)\b", _no_relation_locks),
    (r"(?:create|alter|drop) (?:or replace )?(?:function|procedure|schema|type|domain|extension|role|user|"
     r"aggregate|operator|collation|cast|text search|event trigger|publication|subscription|statistics)\b",
     _no_relation_locks),
    (r"do\b|select\b|with\b|call\b", _unknown),
]]


def estimate(sql: str) -> Estimate:
    """The static table's prediction for one statement (no database needed)."""
    text = _normalize(sql)
    for pattern, handler in _RULES:
        match = pattern.match(text)
        if match:
            result: Estimate = handler(match)
            return result
    return Estimate(known=False)


# =============================================================================================
# Statement splitting for the dry-run

# Everything in which a `;` does not end a statement, and the `;` itself. Alternatives are tried
# left to right at each position, so a quote or comment opener wins over a bare `;`.
_TOKENS = re.compile(
    r"[eE]'(?:[^'\\]|\\.|'')*'"  # E'...' strings, with backslash escapes
    r"|'(?:[^']|'')*'"
    r'|"(?:[^"]|"")*"'
    r"|--[^\n]*"
    r"|/\*.*?\*/"
    r"|\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*|)\$.*?\$(?P=tag)\$"
    r"|;",
    re.S)
_TRAILING_COMMENT = re.compile(r"[ \t]*--[^\n]*")
_NEEDS_FULL_PARSER = re.compile(r"\bbegin\s+atomic\b|/\*(?:(?!\*/).)*/\*", re.I | re.S)


def statements_of(text: str) -> list[Statement]:
    """`source.split_statements`, fast: the dry-run splits every file, and sqlparse's lexer costs
    more than running the SQL. Falls back to sqlparse for what a regex cannot follow (BEGIN ATOMIC
    bodies, nested block comments)."""
    if _NEEDS_FULL_PARSER.search(text):
        return split_statements(text)
    statements: list[Statement] = []
    start = 0
    for match in _TOKENS.finditer(text):
        if match.group() == ";":
            # A comment on the rest of the line belongs to the statement it follows (as in sqlparse).
            trailing = _TRAILING_COMMENT.match(text, match.end())
            end = trailing.end() if trailing else match.end()
            _add_statement(statements, text, start, end)
            start = end
    _add_statement(statements, text, start, len(text))
    return statements


def _add_statement(statements: list[Statement], text: str, start: int, end: int) -> None:
    lines = text[start:end].splitlines()
    for offset, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("--") and stripped != ";":
            code = "\n".join(lines[offset:]).strip()
            first_line = text.count("\n", 0, start) + 1 + offset
            statements.append(Statement(len(statements), code, first_line))
            return


# =============================================================================================
# Report model


@dataclass(frozen=True)
class LockUse:
    relation: str
    mode: str
    # observed: seen in pg_locks after the statement; estimated: from the static table (statement
    # not executed, or --offline); held: needed per the static table, but already held by this
    # transaction (an earlier statement, or an earlier migration of this dry-run)
    source: str = "observed"

    @property
    def blocks(self) -> str:
        return lock_blocks(self.mode)

    @property
    def mode_sql(self) -> str:
        return mode_sql(self.mode)


@dataclass
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


Status = Literal["executed", "failed", "not executed", "skipped", "estimated"]


@dataclass
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
    total_ms: float = 0.0

    @property
    def checks_failed(self) -> bool:
        return any(not c.passed for c in self.pre_checks + self.post_checks)

    @property
    def exit_code(self) -> int:
        from dbrun.errors import EXIT_MIGRATION_FAILED, EXIT_OK, EXIT_PROBLEMS

        if self.failure is not None:
            return EXIT_MIGRATION_FAILED
        return EXIT_PROBLEMS if self.checks_failed else EXIT_OK

    def raise_for_failure(self) -> None:
        """The CLI's error path: a migration that failed in the dry-run, as MigrationFailed (exit 3)."""
        if self.failure is not None:
            hint = "; ".join(self.lock_waits) or None
            raise MigrationFailed(f"dry-run: {self.failed_migration} would fail (nothing was written)",
                                  self.failure, hint)

    def risks(self) -> list[Risk]:
        return _risks(self)


# =============================================================================================
# Entry points


def dry_run_up(settings: Settings, to: str | None = None, *, offline: bool = False) -> DryRun:
    """What `dbrun up [--to V]` would do, run for real inside a transaction that is rolled back."""
    repository = load_repository(settings.root, settings.template_vars)
    if offline:
        return _offline(repository, plan_up(repository, HistoryState(exists=False), to))
    with _connection(settings) as (conn, database):
        state = history.read_state(conn)
        plan = plan_up(repository, state, to)
        return _Reviewer(conn, settings, repository, database, state.exists).run(plan, post_checks=True)


def dry_run_down(settings: Settings, *, to: str | None = None, steps: int | None = None,
                 everything: bool = False, offline: bool = False) -> DryRun:
    """What `dbrun down ...` would do; offline, every migration on disk counts as applied."""
    repository = load_repository(settings.root, settings.template_vars)
    if offline:
        plan = plan_down(repository, _all_applied(repository), to=to, steps=steps, everything=everything)
        return _offline(repository, plan)
    with _connection(settings) as (conn, database):
        state = history.read_state(conn)
        plan = plan_down(repository, state, to=to, steps=steps, everything=everything)
        # The real `down` runs no post-checks; neither does its dry-run.
        return _Reviewer(conn, settings, repository, database, state.exists).run(plan, post_checks=False)


@contextmanager
def _connection(settings: Settings) -> Iterator[tuple[Conn, str]]:
    target = resolve_target(settings)
    with closing(connect(target.url)) as conn:
        yield conn, "embedded local cluster" if target.embedded else redact(target.url)


def _all_applied(repository: Repository) -> HistoryState:
    state = HistoryState(exists=True)
    for m in repository.migrations:
        state.applied[m.version] = AppliedMigration(
            m.version, m.name, m.checksum, m.up.directives.transactional, "applied",
            None, None)  # type: ignore[arg-type]  # never read: only the plan looks at this state
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


def _estimated_locks(resolver: _Resolver, est: Estimate, source: str) -> list[LockUse]:
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
    report = StatementReport(statement.index, statement.line, statement.excerpt(), statement.text,
                             executed=False, locks=_estimated_locks(resolver, est, "estimated"),
                             rewrite_estimate=est.rewrite, estimate_known=est.known)
    _record_names(resolver, est)
    return report


def _script_report(kind: Literal["versioned", "repeatable"], name: str, version: str | None, direction: str,
                   file: SqlFile, transactional: bool, status: Status) -> MigrationReport:
    return MigrationReport(kind, name, version, direction, file.rel.as_posix(), transactional, status)


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
        report.statements = [_static_statement(resolver, s) for s in statements_of(script.file.text)]
        review.migrations.append(report)
    for repeatable in plan.repeatables:
        report = _script_report("repeatable", repeatable.key, None, "up", repeatable.file, True, "estimated")
        report.statements = [_static_statement(resolver, s) for s in statements_of(repeatable.file.text)]
        review.migrations.append(report)
    assumed = "nothing is applied yet" if plan.direction == "up" else "every migration is applied"
    review.notes.append(f"offline: no database was used; the plan assumes {assumed}, and locks come from "
                        "the static table of DDL lock levels")
    review.total_ms = (time.perf_counter() - start) * 1000
    return review


# =============================================================================================
# With a database: run it, observe it, roll it back


class _Stop(Exception):
    """Ends the simulation early (a failure, or a step that depends on a non-executed one)."""


class _Reviewer:
    def __init__(self, conn: Conn, settings: Settings, repository: Repository, database: str,
                 bookkeeping_exists: bool) -> None:
        self.conn = conn
        self.settings = settings
        self.repository = repository
        self.review = DryRun("up", offline=False, database=database, bookkeeping_exists=bookkeeping_exists)
        self.relations: dict[int, catalog.RelationInfo] = {}
        self.filenodes: dict[int, int] = {}
        self.oid_by_name: dict[str, int] = {}
        self.held: set[tuple[int, str]] = set()  # (oid, mode) this transaction holds so far
        self.resolver = _Resolver({}, {}, [])
        self.failed_statement: Statement | None = None

    def run(self, plan: Plan, post_checks: bool) -> DryRun:
        start = time.perf_counter()
        review = self.review
        review.direction = plan.direction
        review.notes.extend(plan.notes)
        if not plan.empty and plan.direction == "up":
            # As the real `up`: pre-checks are read-only queries, each in its own transaction.
            review.pre_checks = run_checks(self.conn, self.repository.pre_checks)
        if not review.checks_failed:
            with suppress(_Stop):
                self._in_rolled_back_transaction(plan, post_checks)
            if review.failure is not None and review.failure.sqlstate == LOCK_NOT_AVAILABLE:
                review.lock_waits = self._lock_waits()
        review.relation_rows = self._touched_rows()
        review.total_ms = (time.perf_counter() - start) * 1000
        return review

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
            self._steps(plan)
            self._repeatables(plan)
            self.review.changes = catalog.diff_snapshots(before, catalog.catalog_snapshot(self.conn))
            if post_checks and self.review.stopped_at is None:
                # Each check runs in a savepoint (run_check's own transaction block) inside ours.
                self.review.post_checks = run_checks(self.conn, self.repository.post_checks,
                                                     include_builtin=True)

    def _simulate_bookkeeping(self) -> None:
        """Create the `dbrun` schema inside the rolled-back transaction, as the real `up` does first.

        Migrations may refer to it (an audit trigger on dbrun.log, say); without it a fresh
        database's dry-run would fail where the real apply succeeds. It is rolled back with the
        rest, so nothing persists (tests compare pg_dump before and after); no history row, log row
        or advisory lock is ever written by the dry-run.
        """
        history.ensure_bookkeeping(self.conn)  # a savepoint inside our transaction: never committed
        self.review.notes.append("the bookkeeping schema `dbrun` does not exist yet: the dry-run created it "
                                 "inside its rolled-back transaction, as the real `up` creates it first")

    def _limits(self) -> None:
        configured = self.settings.lock_timeout_ms
        lock_ms = min(configured, DRY_RUN_LOCK_TIMEOUT_MS) if configured > 0 else DRY_RUN_LOCK_TIMEOUT_MS
        self.conn.execute(
            "SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
            (f"{lock_ms}ms", f"{self.settings.statement_timeout_ms}ms"))

    def _observe_start(self) -> None:
        self.relations = catalog.existing_relations(self.conn)
        self.filenodes = {oid: info.filenode for oid, info in self.relations.items() if info.filenode}
        self.oid_by_name = {info.name: oid for oid, info in self.relations.items()}
        self.resolver = _Resolver(self.relations, catalog.index_tables(self.conn),
                                  catalog.search_path_schemas(self.conn))
        # Locks the snapshot queries took (catalogs only) are the baseline, not a statement's doing.
        locks, _ = catalog.session_relation_locks(self.conn)
        self.held = locks

    # -- steps ---------------------------------------------------------------------------------

    def _steps(self, plan: Plan) -> None:
        for position, step in enumerate(plan.steps):
            script: Script = step.script
            if script.directives.transactional:
                self._transactional(step, script)
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
        self._set_statement_timeout(script)
        self._execute(report, script.file, statements_of(script.file.text))

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
            self._execute(report, repeatable.file, statements_of(repeatable.file.text))

    def _not_executed(self, step: Step, script: Script) -> MigrationReport:
        report = _script_report("versioned", step.migration.name, step.migration.version, step.direction,
                                script.file, False, "not executed")
        report.statements = [_static_statement(self.resolver, s) for s in statements_of(script.file.text)]
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
            skipped.statements = [_static_statement(self.resolver, s) for s in statements_of(script.file.text)]
            skipped.note = f"not simulated: the plan stopped at {report.name}"
            self.review.migrations.append(skipped)
        self.review.notes.append(
            f"the simulation stopped at non-transactional {report.name} ({reason}); the steps after it are "
            "shown with static lock estimates" + (", repeatables" if plan.repeatables else "") +
            " and post-checks were not run")

    # -- statements ----------------------------------------------------------------------------

    def _execute(self, report: MigrationReport, file: SqlFile, statements: list[Statement]) -> None:
        # The real apply sends a transactional file whole. Here it goes statement by statement so
        # each statement's locks, time and rows can be observed; that is safe only because the whole
        # run is one transaction that is rolled back, so a half-run file is never visible.
        start = time.perf_counter()
        try:
            for statement in statements:
                report.statements.append(self._statement(report, file, statement, start))
        finally:
            report.duration_ms = (time.perf_counter() - start) * 1000

    def _statement(self, report: MigrationReport, file: SqlFile, statement: Statement,
                   script_start: float) -> StatementReport:
        began = time.perf_counter()
        result = StatementReport(statement.index, statement.line, statement.excerpt(), statement.text,
                                 executed=True, started_ms=(began - script_start) * 1000)
        try:
            result.command, result.rows, lock_rows = self._run_observed(statement.text)
        except ScriptError as exc:
            result.executed = False
            result.duration_ms = (time.perf_counter() - began) * 1000
            report.statements.append(result)
            self._fail(report, file, statement, exc)
        result.duration_ms = (time.perf_counter() - began) * 1000
        self._observe(result, statement, lock_rows)
        return result

    def _run_observed(self, text: str) -> tuple[str | None, int | None, list[tuple[Any, ...]]]:
        """Run one statement and read this session's locks in the same round trip.

        The lock query follows the statement in one simple-protocol execute: it sees what the
        statement locked, and the statement's error positions still count from its own first byte.
        The newline before `;` ends a trailing `--` comment. The reported duration includes this
        (sub-millisecond) query.
        """
        # With no relation existing before the run (a fresh database) there is nothing to observe.
        observe = bool(self.relations)
        sql = f"{text}\n;\n{catalog.SESSION_RELATION_LOCKS_SQL}" if observe else text
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql.encode())  # bytes, no parameters: sent verbatim, '%' is not a placeholder
            result = cursor.pgresult
            command = cursor.statusmessage
            rows = result.command_tuples if result is not None else None
            if not observe:
                return command, rows, []
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
        for use in _estimated_locks(self.resolver, est, "held"):
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
        wanted = {u.relation: u.mode for u in _estimated_locks(self.resolver, estimate(statement.text), "")}
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
        strongest: dict[str, tuple[str, float, str]] = {}
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
            held = {"observed": f" for ~{held_ms:.0f} ms here, until the end of its transaction",
                    "held": " (this dry-run already held it from an earlier migration)"}.get(source, " (estimated)")
            risks.append(Risk(level, f"{m.name} takes {mode_sql(mode)} on {relation}"
                                     f"{_rows(review, relation)}: blocks {lock_blocks(mode)}{held}"))
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
