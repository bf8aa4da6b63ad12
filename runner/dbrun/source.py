"""Find and validate the repository's SQL files, render templates and compute checksums.

Everything here works on files only: no database. A repository with any problem is refused as a
whole, so a malformed tree never applies half of itself.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbrun.config import parse_timeout_ms
from dbrun.errors import ConfigError, Problem, ProblemsFound

if TYPE_CHECKING:
    import jinja2

UP_DIR = Path("sql/up")
DOWN_DIR = Path("sql/down")
PRE_CHECKS_DIR = Path("sql/checks/pre")
POST_CHECKS_DIR = Path("sql/checks/post")
REPEATABLE_DIRS = (Path("policies"), Path("views"))
# Repeatables for one engine only: `citus/before/` and `citus/after/` run only when the target database
# has the `citus` extension (a Citus coordinator); plain PostgreSQL never runs them.
CITUS_DIR = Path("citus")
CITUS_EXTENSION = "citus"
ENGINE_DIRS = (CITUS_DIR / "before", CITUS_DIR / "after")
# Template variables dbrun sets itself: `citus` is true when the target database has the citus
# extension (api sets it once connected), so a policy can say what differs there.
ENGINE_VARIABLES: dict[str, Any] = {"citus": False}

VERSIONED_NAME = re.compile(r"^(?P<version>\d{12})_(?P<slug>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)\.sql$")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
VERSION_FORMAT = "%Y%m%d%H%M"
# A version stamped further ahead than this was not made with a UTC clock.
FUTURE_TOLERANCE = timedelta(days=1)

_DBRUN_DIRECTIVE = re.compile(r"^\s*--\s*dbrun\s*:\s*(?P<body>.*)$", re.IGNORECASE)
_YOYO_DIRECTIVE = re.compile(r"^\s*--\s*(transactional|depends)\s*:", re.IGNORECASE | re.MULTILINE)
_KNOWN_DIRECTIVES = ("transactional", "depends", "lock_timeout", "statement_timeout", "concurrent_wait")
# Directives written as a bare word, with their own items on the same line.
BATCH = "batch"
IRREVERSIBLE = "irreversible"
_BATCH_OPTIONS = ("size", "pause")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SqlFile:
    path: Path  # absolute
    rel: Path  # relative to the repository root, used in every message
    text: str
    checksum: str  # sha256 of the file's bytes (for templates: of the rendered text)


@dataclass(frozen=True)
class BatchSpec:
    """`-- dbrun: batch size=5000 pause=50ms`: the file's one statement runs again and again, each
    execution its own transaction, until it affects no row."""

    size: int
    pause_ms: int = 0


@dataclass(frozen=True)
class Directives:
    transactional: bool = True
    depends: tuple[str, ...] = ()
    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None
    # How long a CONCURRENTLY statement may wait for older transactions (its lock_timeout).
    concurrent_wait_ms: int | None = None
    batch: BatchSpec | None = None
    irreversible: str | None = None  # the reason given in a down file that declares it cannot undo


@dataclass(frozen=True)
class Statement:
    """One top-level statement of a file, with the 1-based line it starts on."""

    index: int
    text: str
    line: int
    offset: int = 0  # 0-based character offset of `text` in the file

    @property
    def checksum(self) -> str:
        return sha256_hex(self.text.encode())

    def excerpt(self, width: int = 100) -> str:
        """The statement's first line of SQL, for reports."""
        for raw in self.text.splitlines():
            line = raw.strip()
            if line and not line.startswith("--"):
                return line if len(line) <= width else line[: width - 1] + "…"
        return ""


@dataclass(frozen=True)
class Script:
    """The SQL of one direction of a versioned migration."""

    file: SqlFile
    directives: Directives

    def statements(self) -> list[Statement]:
        return split_statements(self.file.text)


@dataclass(frozen=True)
class VersionedMigration:
    version: str
    slug: str
    up: Script
    down: Script | None

    @property
    def name(self) -> str:
        return f"{self.version}_{self.slug}"

    @property
    def checksum(self) -> str:
        return self.up.file.checksum

    def bookkeeping(self) -> Any:
        """This migration as a yoyo Migration: its id, and yoyo's hash of the id as the history key."""
        return self._bookkeeping

    @functools.cached_property
    def _bookkeeping(self) -> Any:
        # Built once: a run asks for it several times per migration (records, log rows, failures).
        return _yoyo_migration_class()(self)


@functools.cache
def _yoyo_migration_class() -> type:
    # yoyo is imported on first use: it costs ~0.1 s of start-up that `status` and `lint` do not need.
    from yoyo.migrations import Migration as YoyoMigration
    from yoyo.migrations import MigrationStep

    class DbrunYoyoMigration(YoyoMigration):  # type: ignore[misc]
        """yoyo's Migration, built from our up/down pair instead of NAME.rollback.sql.

        One step per direction, holding the whole file: dbrun executes it on its own connection inside
        one transaction, so yoyo's statement splitting and positional compensation never run.
        """

        def __init__(self, migration: VersionedMigration) -> None:
            super().__init__(migration.name, str(migration.up.file.path), str(migration.up.file.path.parent))
            self.dbrun = migration

        def load(self) -> None:
            if self.loaded:
                return
            down = self.dbrun.down.file.text if self.dbrun.down else None
            self.source = self.dbrun.up.file.text
            self.use_transactions = self.dbrun.up.directives.transactional
            self._depends: set[YoyoMigration] = set()
            self.steps = [MigrationStep(0, self.dbrun.up.file.text, down)]

    return DbrunYoyoMigration


@dataclass(frozen=True)
class Repeatable:
    kind: str  # "policies", "views", or for an engine's files "citus/before", "citus/after"
    file: SqlFile  # text and checksum are of the rendered SQL

    @property
    def key(self) -> str:
        return self.file.rel.as_posix()

    @property
    def requires_extension(self) -> str | None:
        """The extension the target must have for this file to run (None: every target)."""
        return CITUS_EXTENSION if self.kind.startswith(f"{CITUS_DIR.as_posix()}/") else None

    @property
    def phase(self) -> str:
        """When it runs in `up`: "before" the pending migrations, "after" the policies and views, or with
        them ("repeatable")."""
        return self.kind.rsplit("/", 1)[1] if self.requires_extension else "repeatable"


@dataclass(frozen=True)
class Check:
    phase: str  # "pre" or "post"
    file: SqlFile

    @property
    def name(self) -> str:
        return self.file.rel.stem


@dataclass
class Repository:
    root: Path
    migrations: list[VersionedMigration] = field(default_factory=list)
    repeatables: list[Repeatable] = field(default_factory=list)
    # citus/before/ and citus/after/: run only on a target with the citus extension (see plan.plan_up).
    engine_repeatables: list[Repeatable] = field(default_factory=list)
    pre_checks: list[Check] = field(default_factory=list)
    post_checks: list[Check] = field(default_factory=list)
    # Loaded with strict=False only: what is wrong with the files (those files are left out).
    problems: list[Problem] = field(default_factory=list)

    def by_version(self) -> dict[str, VersionedMigration]:
        return {m.version: m for m in self.migrations}

    def find(self, version_or_name: str) -> VersionedMigration | None:
        for migration in self.migrations:
            if version_or_name in (migration.version, migration.name):
                return migration
        return None


# ---------------------------------------------------------------------------------------------
# statements


@dataclass(frozen=True)
class SplitSql:
    """A file's top-level statements, and why they may be approximate (None: PostgreSQL's own parser)."""

    statements: tuple[Statement, ...]
    note: str | None = None


def split_statements(text: str) -> list[Statement]:
    """Top-level statements with their starting lines (for non-transactional files and reports).

    Transactional files are never executed through this: they go to the server whole.
    """
    return list(split_sql(text).statements)


# The ALTER TABLE subcommands one_alter_per_subcommand may send apart, ranked by the pass PostgreSQL
# runs them in within one ALTER TABLE (AT_PASS_DROP, AT_PASS_ADD_COL, AT_PASS_ADD_INDEXCONSTR for a
# primary key, unique or exclusion constraint, AT_PASS_ADD_OTHERCONSTR for a check or foreign key,
# AT_PASS_MISC; within a pass, in written order): sent apart in their written order, they run in the
# same order only when that order is already non-decreasing.
_SPLITTABLE_PASS = {"AT_DropConstraint": 0, "AT_DropColumn": 0, "AT_AddColumn": 1, "AT_AddConstraint": 3,
                    "AT_ValidateConstraint": 4}
_INDEX_CONSTRAINTS = {"CONSTR_PRIMARY", "CONSTR_UNIQUE", "CONSTR_EXCLUSION"}


def _alter_pass(command: Any) -> int | None:
    kind = getattr(command.subtype, "name", "")
    if kind == "AT_AddConstraint" and getattr(getattr(command.def_, "contype", None), "name", "") in _INDEX_CONSTRAINTS:
        return 2
    return _SPLITTABLE_PASS.get(kind)


def one_alter_per_subcommand(statement: Statement) -> list[Statement]:
    """An ALTER TABLE with ADD CONSTRAINT among other subcommands (`DROP CONSTRAINT c, ADD CONSTRAINT c
    ...`, `ADD COLUMN x, ADD CONSTRAINT ck_x ...`) as one ALTER TABLE per subcommand (each deparsed by
    pglast, carrying the statement's index and line), else the statement itself.

    For Citus, which refuses ADD CONSTRAINT together with other subcommands. Sent in order in the same
    transaction, the parts do what the whole does: only column and constraint drops and adds and
    constraint validations are split, and only when written in the order PostgreSQL runs them anyway
    (drops, then columns, then index-backed constraints, then checks and foreign keys, then
    validations). The parts take the same lock as the
    whole (the first holds it to the end of the transaction); a validated constraint or a rewrite may
    scan the table once per part instead of once."""
    import pglast
    from pglast import ast
    from pglast.stream import RawStream

    try:
        parsed = pglast.parse_sql(statement.text)
    except pglast.parser.ParseError:
        return [statement]
    if len(parsed) != 1 or not isinstance(parsed[0].stmt, ast.AlterTableStmt):
        return [statement]
    alter = parsed[0].stmt
    commands = alter.cmds or ()
    passes = [_alter_pass(c) for c in commands]
    ranks = [p for p in passes if p is not None]
    if (len(commands) < 2 or len(ranks) < len(passes) or "AT_AddConstraint" not in {c.subtype.name for c in commands}
            or ranks != sorted(ranks)):
        return [statement]
    return [Statement(statement.index, RawStream()(ast.AlterTableStmt(
                relation=alter.relation, cmds=(command,), objtype=alter.objtype, missing_ok=alter.missing_ok)),
                      statement.line, statement.offset)
            for command in commands]


@functools.lru_cache(maxsize=512)
def split_sql(text: str) -> SplitSql:
    """Split with PostgreSQL's own parser (pglast wraps libpg_query), so `$$` bodies, BEGIN ATOMIC,
    E'' strings and nested comments are exact. SQL the bundled parser cannot parse (a syntax error,
    or syntax newer than its PostgreSQL version) falls back to its scanner, which still knows
    strings and comments but splits at every top-level `;`, and says so."""
    import pglast

    try:
        slices = pglast.split(text, with_parser=True, only_slices=True)
        note = None
    except pglast.parser.ParseError as exc:
        location = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
        where = f" at line {line_of_offset(text, location)}" if location is not None else ""
        note = (f"PostgreSQL's parser (pglast {pglast.__version__}) cannot parse this file "
                f"({exc.args[0]}{where}); its statements were split at top-level `;` by the scanner, which does "
                "not understand BEGIN ATOMIC bodies")
        try:
            slices = _scanner_slices(text)
        except pglast.parser.ParseError:
            slices = (slice(0, len(text)),)
    statements: list[Statement] = []
    for part in slices:
        start, end = part.start or 0, part.stop if part.stop is not None else len(text)
        body = text[start:end].strip()
        if not body:
            continue
        start += len(text[start:end]) - len(text[start:end].lstrip())
        end = start + len(body)
        if text[end:end + 1] == ";":
            end += 1  # the statement's own terminator belongs to it (and to its checksum)
        statements.append(Statement(len(statements), text[start:end], line_of_offset(text, start), start))
    return SplitSql(tuple(statements), note)


def adds_enum_value(sql: str) -> bool:
    """The statement is `ALTER TYPE ... ADD VALUE` (per its parse tree)."""
    import pglast
    from pglast import ast

    try:
        return any(isinstance(raw.stmt, ast.AlterEnumStmt) and raw.stmt.newVal and not raw.stmt.oldVal
                   for raw in pglast.parse_sql(sql))
    except pglast.parser.ParseError:
        return False


def relations_named(sql: str) -> list[str]:
    """The relations a statement names (`schema.table` or `table`, as written), from its parse tree."""
    import pglast
    from pglast.visitors import Visitor

    names: list[str] = []

    class _Relations(Visitor):
        def visit_RangeVar(self, _ancestors: Any, node: Any) -> None:
            names.append(".".join(part for part in (node.schemaname, node.relname) if part))

    try:
        _Relations()(pglast.parse_sql(sql))
    except pglast.parser.ParseError:
        return []
    return list(dict.fromkeys(names))


def _scanner_slices(text: str) -> tuple[slice, ...]:
    """Statements as runs of tokens between top-level `;` (PostgreSQL's scanner: strings, quoted
    identifiers, comments and dollar quotes are single tokens, so a `;` inside them never splits)."""
    from pglast import parser

    slices: list[slice] = []
    start: int | None = None
    end = 0
    for token in parser.scan(text):
        if token.name == "ASCII_59":
            if start is not None:
                slices.append(slice(start, token.start))
            start = None
        elif start is None:
            start = token.start
        end = token.end + 1
    if start is not None:
        slices.append(slice(start, end))
    return tuple(slices)


def statement_at(statements: Iterable[Statement], offset: int) -> Statement | None:
    """The statement covering a 0-based character offset of the text they were split from."""
    found = None
    for statement in statements:
        if statement.offset <= offset:
            found = statement
    return found


_LINE_COMMENT = re.compile(r"--[^\n]*")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)


def _is_empty_sql(text: str) -> bool:
    # Removing comments by pattern can only err towards "not empty" (e.g. '--' inside a string),
    # which is the safe side: the server then sees the text.
    without = _BLOCK_COMMENT.sub("", _LINE_COMMENT.sub("", text))
    return not without.replace(";", "").strip()


def line_of_offset(text: str, offset: int) -> int:
    """1-based line of a 0-based character offset."""
    return text.count("\n", 0, max(0, offset)) + 1


# ---------------------------------------------------------------------------------------------
# loading


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, code: str, message: str, rel: Path | None, hint: str | None = None, line: int | None = None) -> None:
        self.problems.append(Problem(code=code, message=message, path=rel, line=line, hint=hint))


def _read_bytes(path: str) -> bytes:
    """The whole file; os.open/os.read skip the buffered file object `Path.read_bytes` builds, which
    `status` would pay for each of its ~1000 files."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _read_sql(root: Path, path: Path, problems: _Collector, rel: Path | None = None,
              os_path: str | None = None) -> SqlFile | None:
    rel = rel if rel is not None else path.relative_to(root)
    try:
        data = _read_bytes(os_path if os_path is not None else str(path))
    except OSError as exc:
        problems.add("SRC-UNREADABLE", f"cannot read the file: {exc.strerror or exc}", rel,
                     "check its permissions (dbrun must be able to read every file it runs)")
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        problems.add("SRC-BOM", "file starts with a UTF-8 byte order mark", rel,
                     "save it as UTF-8 without BOM (PostgreSQL would see the BOM as part of the SQL)")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add("SRC-ENCODING", f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", rel,
                     "re-save the file as UTF-8", line)
        return None
    if "\x00" in text:
        problems.add("SRC-ENCODING", "file contains a NUL byte", rel, "remove it; SQL text cannot contain NUL")
        return None
    if _is_empty_sql(text) and not _declares_irreversible(text):
        problems.add("SRC-EMPTY", "file has no SQL (empty or only comments)", rel,
                     "write the change, or delete the file (a down file that cannot undo its up says "
                     "`-- dbrun: irreversible <reason>`)")
        return None
    return SqlFile(path=path, rel=rel, text=text, checksum=sha256_hex(data))


@dataclass(frozen=True)
class Directive:
    """One `key=value` item of a `-- dbrun:` comment line.

    Items are separated by spaces or commas; a word without `=` after an item continues its value
    (`requires=a.b,c.d` has the values ('a.b', 'c.d')). A word without `=` at the start of a line is
    an item with no value (`key` holds the word).
    """

    line: int  # 1-based, in the file
    key: str  # lower case
    values: tuple[str, ...]
    written: str  # the item as written, for messages
    in_header: bool  # in the comment block before the file's first SQL line

    @property
    def value(self) -> str:
        return " ".join(self.values)


def read_directives(text: str) -> list[Directive]:
    """Every `-- dbrun:` item of a file with its line: the one reader of these directives (source
    validates a migration's, checks reads `requires=`, lint points at the line of one)."""
    directives: list[Directive] = []
    if "dbrun" not in text.lower():  # the common file has none: skip reading it line by line
        return directives
    in_header = True
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("--"):
            in_header = False
        match = _DBRUN_DIRECTIVE.match(raw)
        if match:
            directives.extend(_line_items(match.group("body"), number, in_header))
    return directives


def _line_items(body: str, line: int, in_header: bool) -> list[Directive]:
    items: list[Directive] = []
    for word in (w for w in re.split(r"[\s,]+", body.strip()) if w):
        key, sep, value = word.partition("=")
        if not sep and items and items[-1].values:
            last = items.pop()
            items.append(Directive(line, last.key, (*last.values, word), f"{last.written},{word}", in_header))
            continue
        items.append(Directive(line, key.strip().lower(), (value.strip(),) if sep else (), word, in_header))
    return items


def parse_directives(text: str, rel: Path, problems: _Collector | None = None) -> Directives:
    """A migration's directives: `-- dbrun: key=value` header lines (and yoyo's `-- transactional:` /
    `-- depends:`). Problems go to `problems` when given (loading refuses them); otherwise they are dropped."""
    problems = problems if problems is not None else _Collector()
    values: dict[str, str] = {}
    # A setting given twice with different values (`transactional=false` then `=true`, or yoyo's form
    # and dbrun's disagreeing) is refused: which one wins would be a guess.
    given: dict[str, tuple[str, str]] = {}  # key -> (normalized value, where it was given)

    def contradicts(key: str, value: str, where: str, line: int | None) -> bool:
        normalized = value.strip().lower()
        if key == "depends" or given.setdefault(key, (normalized, where))[0] == normalized:
            return False
        problems.add("SRC-DIRECTIVE", f"contradictory directives: {key}={given[key][0]} ({given[key][1]}) and "
                     f"{key}={normalized} ({where})", rel, "keep one of them", line)
        return True

    if _YOYO_DIRECTIVE.search(text):
        from yoyo.migrations import parse_metadata_from_sql_comments  # yoyo's own reading of its directives

        yoyo_directives, _, _ = parse_metadata_from_sql_comments(text)
        for key, value in yoyo_directives.items():
            contradicts(key, value, f"yoyo's `-- {key}:`", None)
            values[key] = value.strip()
    misplaced: set[int] = set()
    directives = read_directives(text)
    # `irreversible` takes the rest of its line as its reason; `batch` takes size= and pause= from its line.
    irreversible_lines = {d.line for d in directives if d.key == IRREVERSIBLE and not d.values}
    batch_lines = {d.line for d in directives if d.key == BATCH and not d.values}
    batch_options: dict[str, str] = {}
    for directive in directives:
        if not directive.in_header:
            if directive.line not in misplaced:  # one problem per line, however many items it has
                misplaced.add(directive.line)
                problems.add("SRC-DIRECTIVE", "`-- dbrun:` directive after the first SQL statement", rel,
                             "move it to the header comment at the top of the file", directive.line)
        elif directive.line in irreversible_lines:
            if directive.key == IRREVERSIBLE and not directive.values:
                values[IRREVERSIBLE] = _irreversible_reason(text, directive.line)
        elif directive.key == BATCH and not directive.values:
            if contradicts(BATCH, "true", f"line {directive.line}", directive.line):
                continue
            values[BATCH] = "true"
        elif directive.key in _BATCH_OPTIONS and directive.values:
            if directive.line not in batch_lines:
                problems.add("SRC-DIRECTIVE", f"{directive.written!r} outside a `-- dbrun: batch` line", rel,
                             "write it on the batch line: `-- dbrun: batch size=5000 pause=50ms`", directive.line)
            else:
                batch_options[directive.key] = directive.value
        elif not directive.values or directive.key not in _KNOWN_DIRECTIVES:
            problems.add("SRC-DIRECTIVE", f"unknown directive {directive.written!r}", rel,
                         f"known: {', '.join(k + '=...' for k in _KNOWN_DIRECTIVES)}", directive.line)
        elif directive.key == "depends" and "depends" in values:
            values["depends"] = f"{values['depends']} {directive.value}"
        elif not contradicts(directive.key, directive.value, f"line {directive.line}", directive.line):
            values[directive.key] = directive.value
    directives_found = _directives_from(values, rel, problems)
    if BATCH in values:
        directives_found = _with_batch(directives_found, values, batch_options, rel, problems)
    return directives_found


def _irreversible_reason(text: str, line: int) -> str:
    """The reason an irreversible down file gives: the rest of its directive line (an optional
    `reason=` or `:` first), else the comment lines right below it."""
    lines = text.splitlines()
    after = re.split(r"irreversible", lines[line - 1], maxsplit=1, flags=re.IGNORECASE)[1]
    reason = re.sub(r"^\s*(?:reason\s*=|[:\-\u2014])?\s*", "", after).strip()
    if reason:
        return reason
    following: list[str] = []
    for raw in lines[line:]:
        stripped = raw.strip()
        if not stripped.startswith("--") or _DBRUN_DIRECTIVE.match(raw):
            break
        body = stripped.lstrip("-").strip()
        if not body:
            break
        following.append(body)
    return " ".join(following)


def _with_batch(directives: Directives, values: dict[str, str], options: dict[str, str], rel: Path,
                problems: _Collector) -> Directives:
    from dataclasses import replace

    if "transactional" in values:
        problems.add("SRC-DIRECTIVE", "a batch file cannot also set transactional=: each batch is its own "
                     "transaction", rel, "remove the transactional= directive")
    size = 0
    with contextlib.suppress(ValueError):
        size = int(options.get("size", ""))
    if size < 1:
        problems.add("SRC-DIRECTIVE", f"batch size={options.get('size', '(missing)')!r} is not a positive whole "
                     "number", rel, "e.g. `-- dbrun: batch size=5000 pause=50ms`")
    pause_ms = 0
    if "pause" in options:
        try:
            pause_ms = parse_timeout_ms(options["pause"], "pause")
        except ConfigError as exc:
            problems.add("SRC-DIRECTIVE", exc.message, rel, exc.hint)
    return replace(directives, transactional=False, batch=BatchSpec(max(size, 1), pause_ms))


def _directives_from(values: dict[str, str], rel: Path, problems: _Collector) -> Directives:
    if not values:  # most files: the defaults, without parsing anything
        return Directives()
    transactional = True
    raw_tx = values.get("transactional", "true").strip().lower()
    if raw_tx in ("true", "false"):
        transactional = raw_tx == "true"
    else:
        problems.add("SRC-DIRECTIVE", f"transactional={raw_tx!r} is neither true nor false", rel)
    timeouts: dict[str, int | None] = {"lock_timeout": None, "statement_timeout": None, "concurrent_wait": None}
    for key in timeouts:
        if key in values:
            try:
                timeouts[key] = parse_timeout_ms(values[key], key)
            except ConfigError as exc:
                problems.add("SRC-DIRECTIVE", exc.message, rel, exc.hint)
    depends = tuple(d for d in re.split(r"[\s,]+", values.get("depends", "")) if d)
    return Directives(transactional, depends, timeouts["lock_timeout"], timeouts["statement_timeout"],
                      concurrent_wait_ms=timeouts["concurrent_wait"], irreversible=values.get(IRREVERSIBLE))


# Only files that may hold a statement these checks look for pay for a full parse. Matched against the
# lower-cased text: ~3x faster than IGNORECASE, and SQL keywords are ASCII either way.
_MAYBE_REFUSED = re.compile(
    r"\b(begin|commit|rollback|abort|savepoint|release|start\s+transaction|end\s*;|prepare\s+transaction|"
    r"concurrently|vacuum|database|tablespace|alter\s+system)")


@dataclass(frozen=True)
class _Refused:
    statement: Statement
    code: str
    message: str
    hint: str


# A function body's BEGIN ... END is not transaction control; bodies are dollar-quoted ($$ or $tag$).
_DOLLAR_QUOTED = re.compile(r"\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$", re.DOTALL)


_TX_HINT = ("remove it: dbrun owns the transaction (use `-- dbrun: transactional=false` for statements that "
            "cannot run in one)")
_NON_TX_HINT = ("add `-- dbrun: transactional=false` to the file's header and make it re-runnable "
                "(IF NOT EXISTS; drop an INVALID index first), one such statement per file")


def _cannot_run_in_transaction(node: Any) -> str | None:
    """What a parsed statement is, when PostgreSQL refuses to run it inside a transaction block."""
    from pglast import ast

    kind = type(node).__name__
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and any(getattr(p, "defname", None) == "concurrently"
                                                  for p in node.params or ()):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt) and node.is_vacuumcmd:
        return "VACUUM"
    if isinstance(node, ast.AlterTableStmt):
        for cmd in node.cmds or ():
            partition = getattr(cmd, "def_", None)
            if isinstance(partition, ast.PartitionCmd) and partition.concurrent:
                return "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY"
    names = {"CreatedbStmt": "CREATE DATABASE", "DropdbStmt": "DROP DATABASE", "AlterSystemStmt": "ALTER SYSTEM",
             "CreateTableSpaceStmt": "CREATE TABLESPACE", "DropTableSpaceStmt": "DROP TABLESPACE"}
    return names.get(kind)


def _refused_statements(file: SqlFile, transactional: bool) -> Iterable[_Refused]:
    """Transaction control anywhere, and statements that cannot run in a transaction in a transactional
    file: the server would refuse them part-way through the run."""
    outside_bodies = _DOLLAR_QUOTED.sub(" ", file.text) if "$" in file.text else file.text
    if not _MAYBE_REFUSED.search(outside_bodies.lower()):
        return  # the common case (function bodies aside): no need to parse the file
    import pglast
    from pglast import ast

    try:
        parsed = pglast.parse_sql(file.text)
    except pglast.parser.ParseError:
        return  # the server reports the syntax error, with its position, when the file runs
    statements = split_statements(file.text)
    for position, raw in enumerate(parsed):
        statement = statements[position] if position < len(statements) else Statement(position, "", 1)
        node = raw.stmt
        if isinstance(node, ast.TransactionStmt):
            yield _Refused(statement, "SRC-TXCONTROL",
                           f"transaction control `{statement.excerpt(40)}` in a migration file", _TX_HINT)
            continue
        what = _cannot_run_in_transaction(node)
        if what and transactional:
            yield _Refused(statement, "SRC-NEEDS-NON-TRANSACTIONAL",
                           f"{what} cannot run inside a transaction block, and this file is transactional",
                           _NON_TX_HINT)


def _psql_meta_commands(file: SqlFile) -> Iterable[tuple[int, str]]:
    """Lines holding a psql backslash command (`\\set`, `\\i`, `\\gexec`, `\\connect` ...): psql runs
    them, the server does not; mid-run it would refuse the file at that point."""
    if "\\" not in file.text:
        return
    from pglast import parser

    try:
        tokens = parser.scan(file.text)
    except parser.ParseError:
        return
    for token in tokens:
        if token.name == "ASCII_92":  # a backslash outside strings, identifiers and comments
            line = line_of_offset(file.text, token.start)
            yield line, file.text.splitlines()[line - 1].strip()


def _declares_irreversible(text: str) -> bool:
    return any(d.key == IRREVERSIBLE and not d.values for d in read_directives(text))


def _check_irreversible(file: SqlFile, directives: Directives, is_down: bool, problems: _Collector) -> None:
    if directives.irreversible is None:
        return
    if not is_down:
        problems.add("SRC-IRREVERSIBLE", "`-- dbrun: irreversible` in an up file", file.rel,
                     "it belongs in the down file of a migration that cannot be undone")
    elif not directives.irreversible:
        problems.add("SRC-IRREVERSIBLE", "`-- dbrun: irreversible` without a reason", file.rel,
                     "say why on the same line: `-- dbrun: irreversible the old values are not kept`")
    elif not _is_empty_sql(file.text):
        problems.add("SRC-IRREVERSIBLE", "an irreversible down file holds SQL", file.rel,
                     "`down` refuses to run it: remove the SQL, or remove the directive if the SQL undoes the up")


# ---------------------------------------------------------------------------------------------
# batch files: one statement with :size (rows per batch) and optionally :last (the last key done)

BATCH_PARAMETERS = ("size", "last")
BATCH_HINT = ("a batch file holds one INSERT/UPDATE/DELETE/MERGE taking at most :size rows, e.g. "
              "UPDATE t SET ... WHERE ctid = ANY (ARRAY(SELECT ctid FROM t WHERE ... LIMIT :size)); see README "
              "'Batched backfills'")
_BATCH_COMMANDS = ("InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")


def bind_batch(text: str, size: int, last: str | None) -> str:
    """The batch statement with `:size` and `:last` replaced by literals (`:last`: NULL before the
    first batch, else the last key as an untyped quoted literal, which takes the key column's type).

    Only a `:` token directly followed by the name counts: `::int` casts and text in strings or
    comments are left alone (PostgreSQL's scanner decides)."""
    from pglast import parser

    literal = {"size": str(size), "last": "NULL" if last is None else "'" + last.replace("'", "''") + "'"}
    tokens = list(parser.scan(text))
    out: list[str] = []
    position = 0
    for colon, name in itertools.pairwise(tokens):
        word = text[name.start:name.end + 1].lower()
        if colon.name == "ASCII_58" and name.start == colon.end + 1 and word in literal:
            out.append(text[position:colon.start])
            out.append(literal[word])
            position = name.end + 1
    out.append(text[position:])
    return "".join(out)


def _uses(text: str, name: str) -> bool:
    if name == "size":
        return bind_batch(text, 1, "x") != bind_batch(text, 2, "x")
    return bind_batch(text, 1, "x") != bind_batch(text, 1, "y")


def batch_returns_key(text: str) -> bool:
    """True when the batch statement has RETURNING: its first column is the key `:last` continues from."""
    import pglast

    try:
        parsed = pglast.parse_sql(bind_batch(text, 1, None))
    except pglast.parser.ParseError:
        return False
    if not parsed:
        return False
    node = parsed[0].stmt
    # pglast 8 (PostgreSQL 18's parser) has returningClause; earlier versions returningList.
    clause = getattr(node, "returningClause", None)
    return bool(getattr(clause, "exprs", None) if clause is not None else getattr(node, "returningList", None))


def batch_command(text: str) -> str:
    """INSERT, UPDATE, DELETE or MERGE: the batch statement's command, as its command tag names it."""
    import pglast

    parsed = pglast.parse_sql(bind_batch(text, 1, None))
    return type(parsed[0].stmt).__name__.removesuffix("Stmt").upper()


# CONCURRENTLY statements wait for every transaction older than them (counted against lock_timeout).
_WAITS_FOR_OLD_SNAPSHOTS = ("CREATE INDEX CONCURRENTLY", "DROP INDEX CONCURRENTLY", "REINDEX CONCURRENTLY",
                            "ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY")


def waits_for_old_snapshots(text: str) -> bool:
    """True for a statement that waits for older transactions to end (CREATE INDEX CONCURRENTLY ...)."""
    if "concurrently" not in text.lower():
        return False
    import pglast

    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return False
    return any(_cannot_run_in_transaction(raw.stmt) in _WAITS_FOR_OLD_SNAPSHOTS for raw in parsed)


def batch_statement_problems(file: SqlFile) -> list[str]:
    import pglast

    bound = bind_batch(file.text, 1, None)
    try:
        parsed = pglast.parse_sql(bound)
    except pglast.parser.ParseError as exc:
        return [f"the batch statement does not parse: {exc.args[0]}"]
    if len(parsed) != 1:
        return [f"a batch file holds exactly one statement ({len(parsed)} found)"]
    problems = []
    if type(parsed[0].stmt).__name__ not in _BATCH_COMMANDS:
        problems.append("the batch statement must be INSERT, UPDATE, DELETE or MERGE (it is run until it "
                        "affects no row)")
    if not _uses(file.text, "size"):
        problems.append("the batch statement does not use :size, so a batch is not bounded")
    return problems


def _version_problems(name: str, rel: Path, problems: _Collector, now: datetime) -> tuple[str, str] | None:
    match = VERSIONED_NAME.match(name)
    if not match:
        problems.add("SRC-NAME", f"file name {name!r} is not YYYYMMDDHHMM_slug.sql", rel,
                     "use `dbrun new SLUG`; the slug is lowercase snake_case")
        return None
    version, slug = match.group("version"), match.group("slug")
    try:
        stamp = _version_stamp(version)
    except ValueError:
        problems.add("SRC-NAME", f"version {version} is not a real date and time (YYYYMMDDHHMM)", rel,
                     "use `dbrun new SLUG` to stamp the file with the current UTC time")
        return None
    if stamp > now + FUTURE_TOLERANCE:
        problems.add("SRC-NAME", f"version {version} is in the future (now is {now:%Y%m%d%H%M} UTC)", rel,
                     "versions are UTC timestamps; `dbrun new SLUG` stamps them")
        return None
    return version, slug


def _sql_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _version_stamp(version: str) -> datetime:
    """VERSION_FORMAT read by hand: strptime costs ~20 us a file, which `status` pays for every file."""
    return datetime(int(version[0:4]), int(version[4:6]), int(version[6:8]), int(version[8:10]),
                    int(version[10:12]), tzinfo=UTC)


def _migration_files(root: Path, folder: Path, problems: _Collector) -> list[tuple[Path, Path, str]]:
    """The regular files of sql/up or sql/down, with their paths relative to `root`; anything else
    there is refused, never skipped. One scandir: its entries know their type without a stat each."""
    if not (root / folder).is_dir():
        return []
    files = []
    base = root / folder
    with os.scandir(base) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path, rel = base / entry.name, folder / entry.name
        if entry.is_symlink():
            target = "dangling or looping " if not path.exists() else ""
            problems.add("SRC-NOT-FILE", f"{target}symlink in {folder}/", rel,
                         "replace it with the file itself: a migration's bytes must be in the repository")
        elif entry.is_dir():
            problems.add("SRC-NOT-FILE", f"folder in {folder}/", rel,
                         f"migrations are files directly in {folder}/; move its files up or out")
        elif not entry.is_file():
            problems.add("SRC-NOT-FILE", f"not a regular file (socket, FIFO or device) in {folder}/", rel,
                         "remove it")
        else:
            files.append((path, rel, entry.path))
    return files


def _load_direction(root: Path, folder: Path, problems: _Collector,
                    now: datetime) -> dict[str, tuple[str, Script | None]]:
    """Scripts by version; None for a file whose problem is already reported (so its pair is not blamed)."""
    found: dict[str, tuple[str, Script | None]] = {}
    for path, rel, os_path in _migration_files(root, folder, problems):
        parsed = _version_problems(path.name, rel, problems, now)
        if parsed is None:
            continue
        version, slug = parsed
        if version in found:
            problems.add("SRC-DUPLICATE", f"version {version} is used twice: {found[version][0]} "
                         f"and {slug}", rel, "give one of them a later version (rename it)")
            continue
        file = _read_sql(root, path, problems, rel, os_path)
        if file is None:
            found[version] = (slug, None)
            continue
        directives = parse_directives(file.text, file.rel, problems)
        for line, command in _psql_meta_commands(file):
            problems.add("SRC-PSQL-META", f"psql meta-command `{command[:40]}`: the server cannot run it", rel,
                         "write it as SQL (\\set -> a literal or set_config; \\i -> a separate migration; "
                         "\\gexec -> a DO block with EXECUTE)", line)
        for refused in _refused_statements(file, directives.transactional or directives.batch is not None):
            problems.add(refused.code, refused.message, rel, refused.hint, refused.statement.line)
        _check_irreversible(file, directives, folder == DOWN_DIR, problems)
        if directives.batch is not None:
            for problem in batch_statement_problems(file):
                problems.add("SRC-BATCH", problem, rel, BATCH_HINT)
        found[version] = (slug, Script(file, directives))
    return found


def _pair(root: Path, problems: _Collector, now: datetime) -> list[VersionedMigration]:
    ups = _load_direction(root, UP_DIR, problems, now)
    downs = _load_direction(root, DOWN_DIR, problems, now)
    migrations: list[VersionedMigration] = []
    for version in sorted(set(ups) | set(downs)):
        if version not in ups:
            name = f"{version}_{downs[version][0]}.sql"
            problems.add("SRC-ORPHAN-DOWN", "down file has no up file", DOWN_DIR / name,
                         f"add {UP_DIR / name} or delete the down file")
            continue
        slug, up = ups[version]
        down_entry = downs.get(version)
        name = f"{version}_{slug}.sql"
        if down_entry is None:
            problems.add("SRC-MISSING-DOWN", "up file has no down file", UP_DIR / name,
                         f"write its exact inverse in {DOWN_DIR / name}")
        elif down_entry[0] != slug:
            problems.add("SRC-PAIR-NAME", f"down file for version {version} is named {version}_{down_entry[0]}.sql",
                         UP_DIR / name, "up and down files must have the same name")
        down = down_entry[1] if down_entry and down_entry[0] == slug else None
        if up is not None and down is not None:
            migrations.append(VersionedMigration(version, slug, up, down))
    _check_depends(migrations, problems)
    return migrations


def _check_depends(migrations: list[VersionedMigration], problems: _Collector) -> None:
    known = {m.version: m for m in migrations} | {m.name: m for m in migrations}
    for migration in migrations:
        for dependency in migration.up.directives.depends:
            target = known.get(dependency)
            if target is None:
                problems.add("SRC-DEPENDS", f"depends on unknown migration {dependency!r}", migration.up.file.rel,
                             "name an existing version (YYYYMMDDHHMM) or file name without .sql")
            elif target.version >= migration.version:
                problems.add("SRC-DEPENDS", f"depends on {dependency}, which is not older", migration.up.file.rel,
                             "a migration can only depend on an earlier version")


def _load_checks(root: Path, phase: str, folder: Path, problems: _Collector) -> list[Check]:
    checks = []
    for path in _sql_files(root / folder):
        if path.suffix != ".sql":
            continue
        file = _read_sql(root, path, problems)
        if file is not None:
            checks.append(Check(phase, file))
    return checks


def template_environment(root: Path) -> jinja2.Environment:
    import jinja2  # only repositories with templates pay for importing it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(root / d) for d in REPEATABLE_DIRS] + [str(root)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # SQL, not HTML
    )


def render_template(root: Path, path: Path, variables: dict[str, Any]) -> str:
    """Render one `.sql.j2` file; raises ProblemsFound naming the file and line on error."""
    collector = _Collector()
    text = _render(root, path, variables, collector)
    if text is None:
        raise ProblemsFound(f"cannot render {path.relative_to(root)}", collector.problems)
    return text


def _render(root: Path, path: Path, variables: dict[str, Any], problems: _Collector) -> str | None:
    import jinja2

    rel = path.relative_to(root)
    env = template_environment(root)
    try:
        source = path.read_text(encoding="utf-8")
        return env.from_string(source).render(**{**ENGINE_VARIABLES, **variables})
    except UnicodeDecodeError:
        problems.add("SRC-ENCODING", "not valid UTF-8", rel, "re-save the file as UTF-8")
    except jinja2.TemplateSyntaxError as exc:
        problems.add("SRC-TEMPLATE", f"template syntax error: {exc.message}", rel, None, exc.lineno)
    except jinja2.TemplateError as exc:
        problems.add("SRC-TEMPLATE", f"template error: {exc}", rel,
                     "define the variable in [tool.dbrun.template_vars] or fix the name",
                     _template_error_line(exc))
    return None


def _template_error_line(exc: BaseException) -> int | None:
    # jinja2 rewrites tracebacks so that template frames carry the template's own line numbers.
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _load_repeatables(root: Path, variables: dict[str, Any], problems: _Collector,
                      folders: tuple[Path, ...] = REPEATABLE_DIRS) -> list[Repeatable]:
    repeatables = []
    for folder in folders:
        for path in _sql_files(root / folder):
            if path.name.startswith("_") and path.name.endswith(".j2"):
                continue  # shared macros, included by other templates
            rel = path.relative_to(root)
            if path.name.endswith(".sql.j2"):
                text = _render(root, path, variables, problems)
                if text is None:
                    continue
                if _is_empty_sql(text):
                    problems.add("SRC-EMPTY", "template renders to no SQL", rel)
                    continue
                repeatables.append(Repeatable(folder.as_posix(), SqlFile(path, rel, text, sha256_hex(text.encode()))))
            elif path.suffix == ".sql":
                file = _read_sql(root, path, problems)
                if file is not None:
                    repeatables.append(Repeatable(folder.as_posix(), file))
    return repeatables


def load_repository(root: Path, variables: dict[str, Any] | None = None, now: datetime | None = None, *,
                    strict: bool = True) -> Repository:
    """Load and validate the whole repository; every problem found is reported at once.

    strict (for `up`): any problem refuses the whole repository, so a malformed tree never applies half
    of itself. Not strict (status, health, verify, down): the problems are returned in
    `Repository.problems`, so one unfinished file never blocks looking or an emergency rollback.
    """
    problems = _Collector()
    now = now or datetime.now(UTC)
    if not (root / UP_DIR).is_dir():
        raise ConfigError(f"{root} has no {UP_DIR}/ folder",
                          hint="run dbrun from the repository root or pass --root PATH")
    repository = Repository(
        root=root,
        migrations=_pair(root, problems, now),
        repeatables=_load_repeatables(root, variables or {}, problems),
        engine_repeatables=_load_repeatables(root, variables or {}, problems, ENGINE_DIRS),
        pre_checks=_load_checks(root, "pre", PRE_CHECKS_DIR, problems),
        post_checks=_load_checks(root, "post", POST_CHECKS_DIR, problems),
    )
    if problems.problems and not strict:
        repository.problems = problems.problems
    elif problems.problems:
        count = len(problems.problems)
        raise ProblemsFound(f"the repository has {count} problem{'s' if count > 1 else ''}; nothing was run",
                            problems.problems)
    return repository


def next_version(repository_versions: Iterable[str], now: datetime | None = None) -> str:
    """A UTC version for a new migration, strictly after every existing one."""
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    newest = max(repository_versions, default=None)
    if newest is not None:
        after_newest = datetime.strptime(newest, VERSION_FORMAT).replace(tzinfo=UTC) + timedelta(minutes=1)
        now = max(now, after_newest)
    return now.strftime(VERSION_FORMAT)


# ---------------------------------------------------------------------------------------------
# scaffolding: `dbrun new`

NEW_TEMPLATE_UP = "new_up.sql.j2"
NEW_TEMPLATE_DOWN = "new_down.sql.j2"


def scaffold_migration(root: Path, slug: str, transactional: bool = True) -> tuple[Path, Path]:
    """Write a new up/down pair stamped with the next UTC version, from the header templates."""
    import jinja2

    if not SLUG.match(slug):
        raise ConfigError(f"slug {slug!r} is not lowercase snake_case", hint="e.g. `dbrun new add_users_email`")
    up_dir, down_dir = root / UP_DIR, root / DOWN_DIR
    existing = [p.name[:12] for d in (up_dir, down_dir) if d.is_dir() for p in d.iterdir() if p.name[:12].isdigit()]
    version = next_version(existing)
    env = jinja2.Environment(loader=jinja2.PackageLoader("dbrun", "templates"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    context = {"slug": slug, "version": version, "transactional": transactional}
    up_path, down_path = up_dir / f"{version}_{slug}.sql", down_dir / f"{version}_{slug}.sql"
    for path in (up_path, down_path):
        if path.exists():
            raise ConfigError(f"{path} already exists", hint="pick another slug")
    up_dir.mkdir(parents=True, exist_ok=True)
    down_dir.mkdir(parents=True, exist_ok=True)
    for path, template in ((up_path, NEW_TEMPLATE_UP), (down_path, NEW_TEMPLATE_DOWN)):
        path.write_text(env.get_template(template).render(**context), encoding="utf-8")
    return up_path, down_path


# ---------------------------------------------------------------------------------------------
# migration headers (DESIGN §5): `-- Migration: <slug>`, a purpose paragraph, `-- Locks: ...`

_HEADER_SKIPPED = re.compile(r"^(migration|version|dbrun|depends|transactional)\s*:", re.IGNORECASE)
_HEADER_LOCKS = re.compile(r"^locks\s*:\s*", re.IGNORECASE)
_HEADER_PURPOSE = re.compile(r"^purpose\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class MigrationHeader:
    """What a migration's header comment says it does: for the change log."""

    purpose: tuple[str, ...]  # paragraphs; a line starting with "- " starts a list item of its own
    locks: str | None


def _header_lines(text: str) -> list[str]:
    """The comment lines at the top of a file, without their `--`."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped[2:].removeprefix(" ").rstrip())
    return lines


def _join_wrapped(lines: list[str]) -> str:
    """Lines of one paragraph as one line; a word hyphenated across a line break stays one word."""
    joined = lines[0]
    for line in lines[1:]:
        glue = "" if re.search(r"\w-$", joined) else " "
        joined += glue + line
    return joined


def migration_header(text: str) -> MigrationHeader:
    """Read the purpose and the declared locks from a migration's leading comment block.

    Wrapped lines are joined; a blank comment line ends a paragraph; directives and the
    `Migration:`/`Version:` lines are not part of the purpose.
    """
    paragraphs: list[str] = []
    locks: list[str] = []
    current: list[str] = []
    in_locks = False

    def close() -> None:
        if current:
            paragraphs.append(_join_wrapped(current))
            current.clear()

    for line in _header_lines(text):
        content = line.strip()
        if _HEADER_SKIPPED.match(content):
            continue
        if _HEADER_LOCKS.match(content):
            close()
            in_locks = True
            content = _HEADER_LOCKS.sub("", content)
        if in_locks:
            if content:
                locks.append(content)
            continue
        if not content or content.startswith("- "):
            close()
        if content:
            current.append(_HEADER_PURPOSE.sub("", content))
    close()
    return MigrationHeader(tuple(paragraphs), " ".join(locks) or None)
