"""The generated schema reference: a model of the schema read from the catalog, rendered as Markdown.

`read_model` groups the catalog's rows (catalog.py) by schema and table; `render_reference` turns the
model and the repository's migration headers into pages with the jinja2 templates in
templates/docs/; `compare` and `write` check or update what is committed. Everything rendered is a
function of the schema alone (sorted, no timestamps, no OIDs, no owners), so two runs on the same
repository give the same bytes.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from dbrun import catalog, source

REFERENCE_DIR = Path("docs/reference")
SNAPSHOT_PATH = Path("schema/schema.sql")
INDEX_PAGE = "README.md"  # GitHub shows it when the folder is opened
MODEL_PAGE = "model.md"
CHANGELOG_PAGE = "changelog.md"
REGENERATE = ".venv/bin/dbrun docs"

TABLE_KINDS = ("r", "p", "f")
ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
TRIGGER_STATE = {"O": "enabled", "A": "enabled (always)", "R": "enabled (replica only)", "D": "disabled"}
RELKIND_LABEL = {"r": "table", "p": "partitioned table", "f": "foreign table", "v": "view", "m": "materialized view"}


# ---------------------------------------------------------------------------------------------
# the model


@dataclass
class Relation:
    """A table or view with everything that hangs on it."""

    row: catalog.RelationRow
    columns: list[catalog.ColumnRow] = field(default_factory=list)
    constraints: list[catalog.ConstraintRow] = field(default_factory=list)
    indexes: list[catalog.IndexRow] = field(default_factory=list)
    triggers: list[catalog.TriggerRow] = field(default_factory=list)
    policies: list[catalog.PolicyRow] = field(default_factory=list)
    grants: list[catalog.GrantRow] = field(default_factory=list)  # on the relation and on its columns
    classifications: dict[str, str] = field(default_factory=dict)  # column -> classification

    @property
    def qualified(self) -> str:
        return f"{self.row.schema}.{self.row.name}"

    @property
    def kind_label(self) -> str:
        return RELKIND_LABEL.get(self.row.kind, self.row.kind)

    @property
    def is_table(self) -> bool:
        return self.row.kind in TABLE_KINDS

    def of_type(self, contype: str) -> list[catalog.ConstraintRow]:
        return [c for c in self.constraints if c.type == contype]

    @property
    def primary_key(self) -> catalog.ConstraintRow | None:
        return next(iter(self.of_type("p")), None)

    @property
    def foreign_keys(self) -> list[catalog.ConstraintRow]:
        return self.of_type("f")

    @property
    def keys(self) -> list[catalog.ConstraintRow]:
        """Primary key, unique and exclusion constraints."""
        return [c for c in self.constraints if c.type in ("p", "u", "x")]

    @property
    def checks(self) -> list[catalog.ConstraintRow]:
        return self.of_type("c")

    @property
    def plain_indexes(self) -> list[catalog.IndexRow]:
        """Indexes not created by a key constraint (those are listed with the keys)."""
        return [i for i in self.indexes if not i.backs_constraint]

    def column_keys(self, column: str) -> list[str]:
        """Mermaid key markers of a column: PK, FK, UK."""
        marks = []
        if self.primary_key and column in self.primary_key.columns:
            marks.append("PK")
        if any(column in fk.columns for fk in self.foreign_keys):
            marks.append("FK")
        if any(column in k.columns for k in self.of_type("u")) and "PK" not in marks:
            marks.append("UK")
        return marks

    def grants_by_role(self) -> list[tuple[str, str]]:
        """(role, privileges) with column grants folded in as `UPDATE (a, b)`, sorted by role."""
        by_role: dict[str, list[str]] = {}
        column_privileges: dict[tuple[str, str], list[str]] = {}
        for grant in self.grants:
            if grant.column is None:
                by_role.setdefault(grant.grantee, []).extend(grant.privileges)
            else:
                for privilege in grant.privileges:
                    column_privileges.setdefault((grant.grantee, privilege), []).append(grant.column)
        for (role, privilege), cols in sorted(column_privileges.items()):
            by_role.setdefault(role, []).append(f"{privilege} ({', '.join(cols)})")
        return [(role, ", ".join(privileges)) for role, privileges in sorted(by_role.items())]


@dataclass
class Schema:
    row: catalog.SchemaRow
    relations: list[Relation] = field(default_factory=list)
    routines: list[catalog.RoutineRow] = field(default_factory=list)
    sequences: list[catalog.SequenceRow] = field(default_factory=list)
    types: list[catalog.TypeRow] = field(default_factory=list)
    grants: list[catalog.GrantRow] = field(default_factory=list)  # on the schema itself and its routines/sequences

    @property
    def name(self) -> str:
        return self.row.name

    @property
    def tables(self) -> list[Relation]:
        return [r for r in self.relations if r.is_table]

    @property
    def views(self) -> list[Relation]:
        return [r for r in self.relations if not r.is_table]

    def schema_grants(self) -> list[catalog.GrantRow]:
        return [g for g in self.grants if g.object_kind == "schema"]

    def object_grants(self, object_kind: str, name: str) -> list[catalog.GrantRow]:
        return [g for g in self.grants if g.object_kind == object_kind and g.name == name]


@dataclass
class Model:
    schemas: list[Schema]
    extensions: list[str]

    def relation(self, schema: str | None, name: str | None) -> Relation | None:
        for s in self.schemas:
            if s.name == schema:
                return next((r for r in s.relations if r.row.name == name), None)
        return None

    @property
    def tables(self) -> list[Relation]:
        return [t for s in self.schemas for t in s.tables]

    def enumerations(self) -> list[Enumeration]:
        """Every column restricted to a list of values by a CHECK, and every enum type, by name."""
        found = [Enumeration(f"{table.qualified}.{', '.join(check.columns)}", table, check.name, values)
                 for table in self.tables for check in table.checks
                 if (values := allowed_values(check.definition))]
        found += [Enumeration(f"{schema.name}.{row.name}", None, "enum type", row.labels)
                  for schema in self.schemas for row in schema.types if row.kind == "enum"]
        return sorted(found, key=lambda e: e.name)


@dataclass(frozen=True)
class Enumeration:
    name: str  # schema.table.column (or schema.type)
    table: Relation | None
    source: str  # the CHECK constraint's name, or "enum type"
    values: tuple[str, ...]


def read_model(conn: catalog.Conn) -> Model:
    """The whole product schema, read in a dozen queries under settings that make it deterministic."""
    catalog.deterministic_session(conn)
    schemas = {row.name: Schema(row) for row in catalog.schemas(conn)}
    relations: dict[tuple[str, str], Relation] = {}
    for relation_row in catalog.relations(conn):
        if relation_row.schema in schemas:
            relation = Relation(relation_row)
            relations[(relation_row.schema, relation_row.name)] = relation
            schemas[relation_row.schema].relations.append(relation)

    def attach(rows: list[Any], attribute: str) -> None:
        for row in rows:
            owner = relations.get((row.schema, row.table))
            if owner is not None:
                getattr(owner, attribute).append(row)

    attach(catalog.columns(conn), "columns")
    attach(catalog.constraints(conn), "constraints")
    attach(catalog.indexes(conn), "indexes")
    attach(catalog.triggers(conn), "triggers")
    attach(catalog.policies(conn), "policies")
    for grant in catalog.grants(conn):
        owner = relations.get((grant.schema, grant.name))
        if owner is not None and grant.object_kind not in ("schema", "function", "procedure", "sequence"):
            owner.grants.append(grant)
        elif grant.schema in schemas:
            schemas[grant.schema].grants.append(grant)
    for (schema, table, column), classification in catalog.column_classifications(conn).items():
        owner = relations.get((schema, table))
        if owner is not None:
            owner.classifications[column] = classification
    for kind, rows in (("routines", catalog.routines(conn)), ("sequences", catalog.sequences(conn)),
                       ("types", catalog.types(conn))):
        for row in rows:
            if row.schema in schemas:
                getattr(schemas[row.schema], kind).append(row)
    return Model(list(schemas.values()), catalog.extensions(conn))


# ---------------------------------------------------------------------------------------------
# readable CHECK rules and enumerations

_TEXT_CAST = re.compile(r"('(?:[^']|'')*')::(?:text|character varying)\b")
_NUMBER_CAST = re.compile(r"\((-?\d+(?:\.\d+)?)\)::(?:numeric|integer|bigint|smallint)\b")
_ANY_ARRAY = re.compile(r"(\w+) = ANY \(ARRAY\[([^\]]*)\]\)")
_CONTAINED_ARRAY = re.compile(r"(\w+) <@ ARRAY\[([^\]]*)\]")
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


def _strip_outer_parentheses(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text


def _balanced(text: str) -> bool:
    depth = 0
    in_string = False
    for char in text:
        if char == "'":
            in_string = not in_string
        elif not in_string:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                return False
    return depth == 0


def readable_rule(definition: str) -> str:
    """`CHECK ((status = ANY (ARRAY['a'::text, 'b'::text])))` -> `status IN ('a', 'b')`."""
    text = definition.removeprefix("CHECK ").removesuffix(" NOT VALID")
    text = _TEXT_CAST.sub(r"\1", text)
    text = _NUMBER_CAST.sub(r"\1", text)
    text = _ANY_ARRAY.sub(r"\1 IN (\2)", text)
    text = _CONTAINED_ARRAY.sub(r"\1 ⊆ (\2)", text)
    return _strip_outer_parentheses(text)


def allowed_values(definition: str) -> tuple[str, ...]:
    """The values an enumeration CHECK allows (`IN (...)` or `<@ ARRAY[...]`), else ()."""
    text = _TEXT_CAST.sub(r"\1", definition)
    match = _ANY_ARRAY.search(text) or _CONTAINED_ARRAY.search(text)
    if match is None:
        return ()
    return tuple(value.replace("''", "'") for value in _LITERAL.findall(match.group(2)))


# ---------------------------------------------------------------------------------------------
# Mermaid entity-relationship diagrams

_MERMAID_TYPE_UNSAFE = re.compile(r"[^A-Za-z0-9_\[\]-]")
_TYPE_MODIFIER = re.compile(r"\([^)]*\)")


def _entity(schema: str | None, name: str | None) -> str:
    """An entity as Mermaid names it: quoted, so the schema-qualified name reads as it is (Mermaid 10+)."""
    return f'"{schema}.{name}"'


def _mermaid_type(sql_type: str) -> str:
    """A column type as one Mermaid word: `timestamp with time zone` -> `timestamptz`; no type modifier.

    Mermaid's attribute types are single words without commas (`numeric(12,4)` fails to parse in
    Mermaid 10); the exact type is in the columns table below each diagram.
    """
    short = {"timestamp with time zone": "timestamptz", "timestamp without time zone": "timestamp",
             "time with time zone": "timetz", "time without time zone": "time", "character varying": "varchar",
             "double precision": "float8", "bit varying": "varbit"}
    sql_type = _TYPE_MODIFIER.sub("", sql_type)
    for long, abbreviation in short.items():
        sql_type = sql_type.replace(long, abbreviation)
    return _MERMAID_TYPE_UNSAFE.sub("_", sql_type)


def _mermaid_label(text: str) -> str:
    return text.replace('"', "'")


def er_diagram(relations: list[Relation], model: Model, keys_only: bool = False) -> str:
    """An erDiagram of these tables and every foreign key from them (to tables shown or not).

    A composite foreign key is one relationship labelled with its constraint and all its columns.
    With keys_only, entities list only their key columns (the whole-model diagram stays readable).
    """
    lines = ["erDiagram"]
    shown = {r.qualified for r in relations}
    referenced: dict[str, Relation] = {}
    for relation in relations:
        lines.append(f"    {_entity(relation.row.schema, relation.row.name)} {{")
        for column in relation.columns:
            marks = relation.column_keys(column.name)
            if keys_only and not marks:
                continue
            key_part = f" {', '.join(marks)}" if marks else ""
            lines.append(f"        {_mermaid_type(column.type)} {column.name}{key_part}")
        lines.append("    }")
        for fk in relation.foreign_keys:
            parent = model.relation(fk.ref_schema, fk.ref_table)
            if parent is not None and parent.qualified not in shown:
                referenced[parent.qualified] = parent
    for parent in sorted(referenced.values(), key=lambda r: r.qualified):
        lines.append(f"    {_entity(parent.row.schema, parent.row.name)} {{")
        for column in parent.columns:
            if "PK" in parent.column_keys(column.name):
                lines.append(f"        {_mermaid_type(column.type)} {column.name} PK")
        lines.append("    }")
    for relation in relations:
        nullable = {c.name for c in relation.columns if not c.not_null}
        for fk in relation.foreign_keys:
            parent_end = "|o" if nullable & set(fk.columns) else "||"
            label = _mermaid_label(f"{fk.name} ({', '.join(fk.columns)})")
            lines.append(f"    {_entity(fk.ref_schema, fk.ref_table)} {parent_end}--o{{ "
                         f'{_entity(relation.row.schema, relation.row.name)} : "{label}"')
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# the change log


@dataclass(frozen=True)
class ChangeLogEntry:
    version: str
    slug: str
    date: str
    path: str
    purpose: tuple[str, ...]
    locks: str | None


def change_log(repository: source.Repository) -> list[ChangeLogEntry]:
    """Every migration of the repository, newest first, with what its header says."""
    entries = []
    for migration in sorted(repository.migrations, key=lambda m: m.version, reverse=True):
        header = source.migration_header(migration.up.file.text)
        date = datetime.strptime(migration.version, source.VERSION_FORMAT).strftime("%Y-%m-%d %H:%M UTC")
        entries.append(ChangeLogEntry(migration.version, migration.slug, date, migration.up.file.rel.as_posix(),
                                      header.purpose, header.locks))
    return entries


# ---------------------------------------------------------------------------------------------
# rendering


def _cell(value: object) -> str:
    """A value for a Markdown table cell: one line, pipes escaped, empty as a dash."""
    if value is None or value == "":
        return "—"
    text = " ".join(str(value).split())
    return text.replace("|", "\\|")


def _code(value: object) -> str:
    """A value as inline code in a table cell (pipes stay escaped: GitHub reads them inside code too)."""
    if value is None or value == "":
        return "—"
    text = _cell(value)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def anchor(text: str) -> str:
    """GitHub's heading anchor: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("dbrun", "templates/docs"), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(cell=_cell, code=_code, anchor=anchor, rule=readable_rule, values=allowed_values)
    env.globals.update(on_delete=ON_DELETE, trigger_state=TRIGGER_STATE, er_diagram=er_diagram,
                       regenerate=REGENERATE)
    return env


def schema_version(repository: source.Repository) -> str | None:
    return max((m.version for m in repository.migrations), default=None)


def render_reference(model: Model, repository: source.Repository) -> dict[Path, str]:
    """Every page of docs/reference/, by path relative to the repository root."""
    env = _environment()
    context = {"model": model, "version": schema_version(repository), "snapshot_path": SNAPSHOT_PATH.as_posix()}
    pages = {
        REFERENCE_DIR / INDEX_PAGE: env.get_template("index.md.j2").render(
            **context, changelog=CHANGELOG_PAGE, model_page=MODEL_PAGE),
        REFERENCE_DIR / MODEL_PAGE: env.get_template("model.md.j2").render(**context),
        REFERENCE_DIR / CHANGELOG_PAGE: env.get_template("changelog.md.j2").render(
            **context, entries=change_log(repository)),
    }
    for schema in model.schemas:
        pages[REFERENCE_DIR / f"{schema.name}.md"] = env.get_template("schema.md.j2").render(
            **context, schema=schema)
    return {path: _normalize_blank_lines(text) for path, text in pages.items()}


def _normalize_blank_lines(text: str) -> str:
    """At most one blank line in a row and one final newline, whatever the templates' branches left."""
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------------
# committed files: compare and write


@dataclass(frozen=True)
class FileDifference:
    path: Path  # relative to the repository root
    status: str  # changed | missing (not committed) | stale (committed, no longer generated)
    diff: str


def generated_paths(root: Path) -> list[Path]:
    """What is on disk where the reference and snapshot live (relative paths)."""
    found = sorted(p.relative_to(root) for p in (root / REFERENCE_DIR).glob("*.md")) \
        if (root / REFERENCE_DIR).is_dir() else []
    if (root / SNAPSHOT_PATH).is_file():
        found.append(SNAPSHOT_PATH)
    return found


def compare(root: Path, files: dict[Path, str]) -> list[FileDifference]:
    """How the committed files differ from what the repository produces, as unified diffs."""
    differences = []
    for path in sorted(set(files) | set(generated_paths(root))):
        on_disk = root / path
        current = on_disk.read_text(encoding="utf-8") if on_disk.is_file() else None
        wanted = files.get(path)
        if current == wanted:
            continue
        status = "missing" if current is None else "stale" if wanted is None else "changed"
        diff = "".join(difflib.unified_diff(
            (current or "").splitlines(keepends=True), (wanted or "").splitlines(keepends=True),
            fromfile=f"a/{path.as_posix()}", tofile=f"b/{path.as_posix()}"))
        differences.append(FileDifference(path, status, diff))
    return differences


def write(root: Path, files: dict[Path, str]) -> list[FileDifference]:
    """Write what differs (and remove pages no longer generated); returns what was changed."""
    differences = compare(root, files)
    for difference in differences:
        target = root / difference.path
        if difference.status == "stale":
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(files[difference.path], encoding="utf-8")
    return differences
