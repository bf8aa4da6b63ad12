"""Find and validate the repository's SQL files, render templates and compute checksums.

Everything here works on files only: no database. A repository with any problem is refused as a
whole, so a malformed tree never applies half of itself.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlparse
import sqlparse.engine
import sqlparse.tokens

from dbrun.config import parse_duration_ms
from dbrun.errors import ConfigError, Problem, ProblemsFound

if TYPE_CHECKING:
    import jinja2

UP_DIR = Path("sql/up")
DOWN_DIR = Path("sql/down")
PRE_CHECKS_DIR = Path("sql/checks/pre")
POST_CHECKS_DIR = Path("sql/checks/post")
REPEATABLE_DIRS = (Path("policies"), Path("views"))

VERSIONED_NAME = re.compile(r"^(?P<version>\d{12})_(?P<slug>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)\.sql$")
SLUG = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
VERSION_FORMAT = "%Y%m%d%H%M"
# A version stamped further ahead than this was not made with a UTC clock.
FUTURE_TOLERANCE = timedelta(days=1)

_DBRUN_DIRECTIVE = re.compile(r"^\s*--\s*dbrun\s*:\s*(?P<body>.*)$", re.IGNORECASE)
_YOYO_DIRECTIVE = re.compile(r"^\s*--\s*(transactional|depends)\s*:", re.IGNORECASE | re.MULTILINE)
_KNOWN_DIRECTIVES = ("transactional", "depends", "lock_timeout", "statement_timeout")
_TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "START", "END", "ABORT", "SAVEPOINT", "RELEASE"}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class SqlFile:
    path: Path  # absolute
    rel: Path  # relative to the repository root, used in every message
    text: str
    checksum: str  # sha256 of the file's bytes (for templates: of the rendered text)


@dataclass(frozen=True)
class Directives:
    transactional: bool = True
    depends: tuple[str, ...] = ()
    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None


@dataclass(frozen=True)
class Statement:
    """One top-level statement of a file, with the 1-based line it starts on."""

    index: int
    text: str
    line: int

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
    kind: str  # "policies" or "views"
    file: SqlFile  # text and checksum are of the rendered SQL

    @property
    def key(self) -> str:
        return self.file.rel.as_posix()


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
    pre_checks: list[Check] = field(default_factory=list)
    post_checks: list[Check] = field(default_factory=list)

    def by_version(self) -> dict[str, VersionedMigration]:
        return {m.version: m for m in self.migrations}

    def find(self, version_or_name: str) -> VersionedMigration | None:
        for migration in self.migrations:
            if version_or_name in (migration.version, migration.name):
                return migration
        return None


# ---------------------------------------------------------------------------------------------
# statements


def _raw_statements(text: str) -> list[Any]:
    # sqlparse's splitter without its (slow) grouping pass: we only need boundaries and tokens.
    return list(sqlparse.engine.FilterStack().run(text))  # type: ignore[no-untyped-call]


def _code_tokens(statement: Any) -> list[Any]:
    return [t for t in statement.flatten()
            if not t.is_whitespace and t.ttype not in sqlparse.tokens.Comment.Single
            and t.ttype not in sqlparse.tokens.Comment.Multiline and not (t.ttype in T_PUNCT and t.value == ";")]


T_PUNCT = sqlparse.tokens.Punctuation


def split_statements(text: str) -> list[Statement]:
    """Top-level statements with their starting lines (for non-transactional files and reports).

    Transactional files are never executed through this: they go to the server whole.
    """
    statements: list[Statement] = []
    line = 1
    for parsed in _raw_statements(text):
        raw = str(parsed)
        leading = len(raw) - len(raw.lstrip())
        start_line = line + raw[:leading].count("\n")
        line += raw.count("\n")
        if not _code_tokens(parsed):
            continue
        # Leading comment lines belong to the file, not the statement: its text starts at its SQL.
        code_offset = _first_code_line_offset(raw.strip())
        code = "\n".join(raw.strip().splitlines()[code_offset:])
        statements.append(Statement(len(statements), code, start_line + code_offset))
    return statements


def _first_code_line_offset(text: str) -> int:
    for offset, raw in enumerate(text.splitlines()):
        stripped = raw.strip()
        if stripped and not stripped.startswith("--"):
            return offset
    return 0


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


def _read_sql(root: Path, path: Path, problems: _Collector) -> SqlFile | None:
    rel = path.relative_to(root)
    data = path.read_bytes()
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
    if _is_empty_sql(text):
        problems.add("SRC-EMPTY", "file has no SQL (empty or only comments)", rel,
                     "write the change, or delete the file")
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
    if _YOYO_DIRECTIVE.search(text):
        from yoyo.migrations import parse_metadata_from_sql_comments  # yoyo's own reading of its directives

        yoyo_directives, _, _ = parse_metadata_from_sql_comments(text)
        values.update({k: v.strip() for k, v in yoyo_directives.items()})
    misplaced: set[int] = set()
    for directive in read_directives(text):
        if not directive.in_header:
            if directive.line not in misplaced:  # one problem per line, however many items it has
                misplaced.add(directive.line)
                problems.add("SRC-DIRECTIVE", "`-- dbrun:` directive after the first SQL statement", rel,
                             "move it to the header comment at the top of the file", directive.line)
        elif not directive.values or directive.key not in _KNOWN_DIRECTIVES:
            problems.add("SRC-DIRECTIVE", f"unknown directive {directive.written!r}", rel,
                         f"known: {', '.join(k + '=...' for k in _KNOWN_DIRECTIVES)}", directive.line)
        elif directive.key == "depends" and "depends" in values:
            values["depends"] = f"{values['depends']} {directive.value}"
        else:
            values[directive.key] = directive.value
    return _directives_from(values, rel, problems)


def _directives_from(values: dict[str, str], rel: Path, problems: _Collector) -> Directives:
    transactional = True
    raw_tx = values.get("transactional", "true").strip().lower()
    if raw_tx in ("true", "false"):
        transactional = raw_tx == "true"
    else:
        problems.add("SRC-DIRECTIVE", f"transactional={raw_tx!r} is neither true nor false", rel)
    timeouts: dict[str, int | None] = {"lock_timeout": None, "statement_timeout": None}
    for key in timeouts:
        if key in values:
            try:
                timeouts[key] = parse_duration_ms(values[key], key)
            except ConfigError as exc:
                problems.add("SRC-DIRECTIVE", exc.message, rel, exc.hint)
    depends = tuple(d for d in re.split(r"[\s,]+", values.get("depends", "")) if d)
    return Directives(transactional, depends, timeouts["lock_timeout"], timeouts["statement_timeout"])


_MAYBE_TRANSACTION_CONTROL = re.compile(
    r"\b(begin|commit|rollback|abort|savepoint|release|start\s+transaction|end\s*;)", re.IGNORECASE)


def _transaction_control(file: SqlFile) -> Iterable[Statement]:
    if not _MAYBE_TRANSACTION_CONTROL.search(file.text):
        return  # the common case: no need to split the file
    for statement in split_statements(file.text):
        first = statement.text.split(None, 1)[0].rstrip(";").upper() if statement.text.split() else ""
        if first in _TRANSACTION_CONTROL and not _is_block_begin(statement.text):
            yield statement


def _is_block_begin(text: str) -> bool:
    # "BEGIN ATOMIC" bodies are not transaction control.
    return bool(re.match(r"^\s*begin\s+atomic\b", text, re.IGNORECASE))


def _version_problems(name: str, rel: Path, problems: _Collector, now: datetime) -> tuple[str, str] | None:
    match = VERSIONED_NAME.match(name)
    if not match:
        problems.add("SRC-NAME", f"file name {name!r} is not YYYYMMDDHHMM_slug.sql", rel,
                     "use `dbrun new SLUG`; the slug is lowercase snake_case")
        return None
    version, slug = match.group("version"), match.group("slug")
    try:
        stamp = datetime.strptime(version, VERSION_FORMAT).replace(tzinfo=UTC)
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


def _load_direction(root: Path, folder: Path, problems: _Collector,
                    now: datetime) -> dict[str, tuple[str, Script | None]]:
    """Scripts by version; None for a file whose problem is already reported (so its pair is not blamed)."""
    found: dict[str, tuple[str, Script | None]] = {}
    for path in _sql_files(root / folder):
        rel = path.relative_to(root)
        parsed = _version_problems(path.name, rel, problems, now)
        if parsed is None:
            continue
        version, slug = parsed
        if version in found:
            problems.add("SRC-DUPLICATE", f"version {version} is used twice: {found[version][0]} "
                         f"and {slug}", rel, "give one of them a later version (rename it)")
            continue
        file = _read_sql(root, path, problems)
        if file is None:
            found[version] = (slug, None)
            continue
        directives = parse_directives(file.text, file.rel, problems)
        for statement in _transaction_control(file):
            problems.add("SRC-TXCONTROL", f"transaction control `{statement.excerpt(40)}` in a migration file",
                         rel, "remove it: dbrun owns the transaction (use `-- dbrun: transactional=false` "
                         "for statements that cannot run in one)", statement.line)
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
        return env.from_string(source).render(**variables)
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


def _load_repeatables(root: Path, variables: dict[str, Any], problems: _Collector) -> list[Repeatable]:
    repeatables = []
    for folder in REPEATABLE_DIRS:
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
                repeatables.append(Repeatable(folder.name, SqlFile(path, rel, text, sha256_hex(text.encode()))))
            elif path.suffix == ".sql":
                file = _read_sql(root, path, problems)
                if file is not None:
                    repeatables.append(Repeatable(folder.name, file))
    return repeatables


def load_repository(root: Path, variables: dict[str, Any] | None = None, now: datetime | None = None) -> Repository:
    """Load and validate the whole repository; every problem found is reported at once."""
    problems = _Collector()
    now = now or datetime.now(UTC)
    if not (root / UP_DIR).is_dir():
        raise ConfigError(f"{root} has no {UP_DIR}/ folder",
                          hint="run dbrun from the repository root or pass --root PATH")
    repository = Repository(
        root=root,
        migrations=_pair(root, problems, now),
        repeatables=_load_repeatables(root, variables or {}, problems),
        pre_checks=_load_checks(root, "pre", PRE_CHECKS_DIR, problems),
        post_checks=_load_checks(root, "post", POST_CHECKS_DIR, problems),
    )
    if problems.problems:
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
