"""Adopting dbrun on a database that already has a schema: what its migrations create (to check that
it exists before marking them applied), and the histories other tools keep (yoyo, dbmate, Flyway).

Reads only: writing the records is api.py's job, through history.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import psycopg

from dbrun.errors import Problem, ProblemsFound
from dbrun.source import Repository, VersionedMigration, split_sql

Conn = psycopg.Connection[Any]


class ObjectKind(StrEnum):
    RELATION = "relation"  # table, index, view, materialized view, sequence
    SCHEMA = "schema"
    FUNCTION = "function"
    TYPE = "type"
    COLUMN = "column"


@dataclass(frozen=True)
class ExpectedObject:
    kind: ObjectKind
    schema: str | None  # None: found through the search_path
    name: str
    column: str | None = None

    def describe(self) -> str:
        qualified = f"{self.schema}.{self.name}" if self.schema else self.name
        return f"column {qualified}.{self.column}" if self.column else f"{self.kind} {qualified}"


# ---------------------------------------------------------------------------------------------
# what a chain of migrations leaves behind


def expected_objects(migrations: Iterable[VersionedMigration]) -> dict[ExpectedObject, VersionedMigration]:
    """Objects the migrations create and do not drop again later in the chain, each with the migration
    that created it. Statements PostgreSQL's parser cannot read are skipped (the check is best effort)."""
    import pglast

    found: dict[ExpectedObject, VersionedMigration] = {}
    for migration in migrations:
        for statement in split_sql(migration.up.file.text).statements:
            try:
                parsed = pglast.parse_sql(statement.text)
            except pglast.parser.ParseError:
                continue
            for raw in parsed:
                created, dropped = _effects(raw.stmt)
                for obj in dropped:
                    found.pop(obj, None)
                for obj in created:
                    found[obj] = migration
    return found


def _names(items: Iterable[Any]) -> tuple[str | None, str]:
    parts = [getattr(item, "sval", None) for item in items]
    names = [p for p in parts if p is not None]
    return (names[-2] if len(names) > 1 else None), names[-1]


def _relation(range_var: Any) -> ExpectedObject:
    return ExpectedObject(ObjectKind.RELATION, range_var.schemaname, range_var.relname)


def _effects(node: Any) -> tuple[list[ExpectedObject], list[ExpectedObject]]:
    from pglast import ast, enums

    kind = type(node).__name__
    if kind == "CreateStmt":
        return [_relation(node.relation)], []
    if kind == "IndexStmt" and node.idxname:
        return [ExpectedObject(ObjectKind.RELATION, node.relation.schemaname, node.idxname)], []
    if kind == "ViewStmt":
        return [_relation(node.view)], []
    if kind == "CreateTableAsStmt":
        return [_relation(node.into.rel)], []
    if kind == "CreateSeqStmt":
        return [_relation(node.sequence)], []
    if kind == "CreateSchemaStmt" and node.schemaname:
        return [ExpectedObject(ObjectKind.SCHEMA, None, node.schemaname)], []
    if kind == "CreateFunctionStmt":
        return [ExpectedObject(ObjectKind.FUNCTION, *_names(node.funcname))], []
    if kind == "CreateEnumStmt":
        return [ExpectedObject(ObjectKind.TYPE, *_names(node.typeName))], []
    if kind == "CreateDomainStmt":
        return [ExpectedObject(ObjectKind.TYPE, *_names(node.domainname))], []
    if kind == "CompositeTypeStmt":
        return [ExpectedObject(ObjectKind.TYPE, node.typevar.schemaname, node.typevar.relname)], []
    if kind == "RenameStmt" and node.relation is not None and node.renameType in (
            enums.ObjectType.OBJECT_TABLE, enums.ObjectType.OBJECT_VIEW, enums.ObjectType.OBJECT_INDEX,
            enums.ObjectType.OBJECT_SEQUENCE, enums.ObjectType.OBJECT_MATVIEW):
        old = _relation(node.relation)
        return [ExpectedObject(ObjectKind.RELATION, old.schema, node.newname)], [old]
    if kind == "AlterTableStmt":
        created: list[ExpectedObject] = []
        dropped: list[ExpectedObject] = []
        table = node.relation
        for cmd in node.cmds or ():
            if cmd.subtype == enums.AlterTableType.AT_AddColumn and isinstance(cmd.def_, ast.ColumnDef):
                created.append(ExpectedObject(ObjectKind.COLUMN, table.schemaname, table.relname, cmd.def_.colname))
            elif cmd.subtype == enums.AlterTableType.AT_DropColumn:
                dropped.append(ExpectedObject(ObjectKind.COLUMN, table.schemaname, table.relname, cmd.name))
        return created, dropped
    if kind == "DropStmt":
        return [], _dropped(node)
    return [], []


_DROPPED_KIND = {"OBJECT_TABLE": ObjectKind.RELATION, "OBJECT_INDEX": ObjectKind.RELATION,
                 "OBJECT_VIEW": ObjectKind.RELATION, "OBJECT_MATVIEW": ObjectKind.RELATION,
                 "OBJECT_SEQUENCE": ObjectKind.RELATION, "OBJECT_FUNCTION": ObjectKind.FUNCTION,
                 "OBJECT_TYPE": ObjectKind.TYPE, "OBJECT_DOMAIN": ObjectKind.TYPE, "OBJECT_SCHEMA": ObjectKind.SCHEMA}


def _dropped(node: Any) -> list[ExpectedObject]:
    kind = _DROPPED_KIND.get(node.removeType.name)
    if kind is None:
        return []
    dropped = []
    for obj in node.objects or ():
        if kind is ObjectKind.SCHEMA:
            dropped.append(ExpectedObject(kind, None, obj.sval))
            continue
        parts = getattr(obj, "objname", None) or getattr(obj, "names", None) or obj
        dropped.append(ExpectedObject(kind, *_names(parts)))
    return dropped


_EXISTS_SQL = {
    ObjectKind.RELATION: "SELECT to_regclass(%(qualified)s) IS NOT NULL",
    ObjectKind.SCHEMA: "SELECT to_regnamespace(quote_ident(%(name)s)) IS NOT NULL",
    ObjectKind.TYPE: "SELECT to_regtype(%(qualified)s) IS NOT NULL",
    ObjectKind.FUNCTION: """SELECT EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                             WHERE p.proname = %(name)s
                               AND CASE WHEN %(schema)s::text IS NULL THEN n.nspname = ANY (current_schemas(true))
                                        ELSE n.nspname = %(schema)s END)""",
    ObjectKind.COLUMN: """SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%(qualified)s)
                           AND attname = %(column)s AND NOT attisdropped)""",
}


def missing_objects(conn: Conn, migrations: list[VersionedMigration]) -> list[Problem]:
    """One problem per object the migrations create that the database does not have."""
    problems = []
    for obj, migration in expected_objects(migrations).items():
        qualified = ".".join(f'"{p}"' for p in (obj.schema, obj.name) if p is not None)
        params = {"qualified": qualified, "name": obj.name, "schema": obj.schema, "column": obj.column}
        row = conn.execute(_EXISTS_SQL[obj.kind], params).fetchone()
        if not (row and row[0]):
            problems.append(Problem("ADOPT-MISSING", f"{obj.describe()} (created by {migration.name}) does not "
                                    "exist in this database", migration.up.file.rel,
                                    hint="this database is not at that version: baseline an earlier version, or "
                                         "pass --no-check if the object was renamed or dropped on purpose"))
    return problems


# ---------------------------------------------------------------------------------------------
# other tools' histories


class Tool(StrEnum):
    YOYO = "yoyo"
    DBMATE = "dbmate"
    FLYWAY = "flyway"


TOOL_TABLES = {Tool.YOYO: "_yoyo_migration", Tool.DBMATE: "schema_migrations", Tool.FLYWAY: "flyway_schema_history"}


@dataclass(frozen=True)
class ForeignHistory:
    """What another tool says is applied: its ids, and versions matched to this repository's files."""

    tool: Tool
    table: str
    versions: list[str]  # this repository's versions, in order
    unknown: list[str]  # the tool's ids that match no file here


def read_foreign_history(conn: Conn, url: str, tool: Tool, repository: Repository,
                         table: str | None = None) -> ForeignHistory:
    table = table or TOOL_TABLES[tool]
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
    if not (row and row[0]):
        raise ProblemsFound(f"no {tool} history here", [Problem(
            "IMPORT-NO-TABLE", f"table {table} does not exist in this database (or not on its search_path)",
            hint=f"name the table with --table if {tool} kept its history elsewhere")])
    known = _versions_by_id(repository)
    if tool is Tool.FLYWAY:
        return _flyway(conn, table, repository, known)
    ids = _yoyo_ids(url, table) if tool is Tool.YOYO else [
        str(version) for (version,) in conn.execute(f"SELECT version FROM {_quoted(table)} ORDER BY version")]
    matched = [(raw, _match(raw, known)) for raw in ids]
    return ForeignHistory(tool, table, sorted({v for _, v in matched if v}), [raw for raw, v in matched if not v])


def _quoted(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def _versions_by_id(repository: Repository) -> dict[str, str]:
    known = {m.version: m.version for m in repository.migrations}
    known.update({m.name: m.version for m in repository.migrations})
    return known


_LEADING_DIGITS = re.compile(r"^(\d+)")


def _match(raw: str, known: dict[str, str]) -> str | None:
    """A version here for another tool's id: the same id or file name, or the same version number
    (dbmate's and Flyway's 14-digit YYYYMMDDHHMMSS stamps match a 12-digit version when seconds are 00)."""
    raw = raw.strip()
    if raw in known:
        return known[raw]
    digits = _LEADING_DIGITS.match(raw)
    if not digits:
        return None
    number = digits.group(1)
    if len(number) == 14 and number.endswith("00"):
        number = number[:12]
    return known.get(number)


def _yoyo_ids(url: str, table: str) -> list[str]:
    """Migration ids from yoyo's own history table, read through yoyo's backend (its connection URI
    and table layout) without `get_backend()`, which would create yoyo's lock table."""
    from yoyo import internalmigrations
    from yoyo.connections import get_backend_class, parse_uri

    parsed = parse_uri(_yoyo_uri(url))
    backend = get_backend_class(parsed.scheme.lower())(parsed, table)
    try:
        if internalmigrations.get_current_version(backend) < max(internalmigrations.schema_versions):
            raise ProblemsFound("yoyo's history is in an older layout", [Problem(
                "IMPORT-YOYO-LAYOUT", f"{table} was written by an older yoyo-migrations",
                hint="run `yoyo list` with yoyo-migrations 9 once (it upgrades its tables), then import")])
        cursor = backend.execute(f"SELECT migration_id FROM {backend.migration_table_quoted} ORDER BY applied_at_utc")
        return [str(row[0]) for row in cursor.fetchall()]
    finally:
        backend.connection.close()


def _yoyo_uri(url: str) -> str:
    """yoyo names the psycopg 3 driver in the scheme; a key=value DSN cannot be handed to it."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ProblemsFound("cannot hand this database to yoyo", [Problem(
            "IMPORT-YOYO-URL", "yoyo needs a postgresql:// URL, not a key=value connection string",
            hint="pass --database-url postgresql://user@host:port/dbname")])
    return f"postgresql+psycopg://{rest}" if scheme in ("postgresql", "postgres") else url


def _flyway(conn: Conn, table: str, repository: Repository, known: dict[str, str]) -> ForeignHistory:
    """Flyway's successful rows in install order: a versioned migration adds its version, an undo
    removes it, a baseline row stands for every version up to its own."""
    applied: set[str] = set()
    unknown: list[str] = []
    rows = conn.execute(f"SELECT version, type, success FROM {_quoted(table)} "
                        "WHERE version IS NOT NULL ORDER BY installed_rank").fetchall()
    for version, kind, success in rows:
        if not success:
            continue
        matched = _match(str(version), known)
        if kind == "BASELINE" and matched:
            applied |= {m.version for m in repository.migrations if m.version <= matched}
        elif str(kind).startswith("UNDO"):
            applied.discard(matched or "")
        elif matched:
            applied.add(matched)
        else:
            unknown.append(str(version))
    return ForeignHistory(Tool.FLYWAY, table, sorted(applied), unknown)
