"""What PostgreSQL locks a statement takes: its table-level lock modes and a static table of DDL lock levels.

The dry-run uses it for what it cannot observe (non-transactional files, locks its own transaction
already held) and `--offline` for every statement; the review model uses the modes to rank and
explain the locks it reports. Nothing here touches a database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

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

