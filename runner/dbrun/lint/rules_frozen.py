"""DF01: frozen tables ([tool.dbrun] frozen_tables) keep their contract with independently deployed readers.

The freeze policy: no drop or rename of the table or of a column, no type change, no SET NOT NULL,
no DROP DEFAULT, no dropped constraint, and a new column must be nullable or have a constant default.
A down file may undo what its own up file added (drop the column the up added, rename back what it
renamed): that restores the contract instead of breaking it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlfluff.core import Linter
from sqlfluff.core.parser import BaseSegment
from sqlfluff.core.rules import BaseRule, LintResult, RuleContext
from sqlfluff.core.rules.crawlers import RootOnlyCrawler

from dbrun.lint.rules_naming import describe
from dbrun.lint.segments import keywords, qualified_name, statements, unquote

# A default is constant when its expression holds only literals, casts and signs: anything that
# reads a function or a column is evaluated per row (and may rewrite the table).
_NOT_CONSTANT = ("function", "bare_function", "column_reference", "select_statement", "expression")
# What a change is keyed by so that a down file's change can be matched with the up change it undoes.
Change = tuple[str, ...]


@dataclass(frozen=True)
class Violation:
    anchor: BaseSegment
    table: str
    what: str
    undoes: Change | None  # the up-file change this would undo in a down file (None: never an undo)


def _identifier(segment: BaseSegment | None) -> str:
    if segment is None:
        return ""
    parts = [s for s in segment.raw_segments if s.is_code]
    return unquote(parts[-1].raw) if parts else ""


def _column_of(action: BaseSegment) -> str:
    return _identifier(action.get_child("column_reference", "naked_identifier", "quoted_identifier"))


def _constant_default(constraint: BaseSegment) -> bool:
    return not any(True for _ in constraint.recursive_crawl(*_NOT_CONSTANT))


def _column_problem(action: BaseSegment) -> str | None:
    """Why a new column breaks readers or writers: required with no constant default."""
    constraints = list(action.get_children("column_constraint_segment"))
    words = [keywords(c) for c in constraints]
    generated = any("GENERATED" in w for w in words)
    required = generated or any(w[:2] == ["NOT", "NULL"] or "PRIMARY" in w for w in words)
    if not required:
        return None
    defaults = [c for c, w in zip(constraints, words, strict=True) if w[:1] == ["DEFAULT"]]
    if defaults and all(_constant_default(c) for c in defaults):
        return None
    return "a required column without a constant default"


def _action_violations(action: BaseSegment, table: str) -> Iterator[Violation]:
    words = keywords(action)
    column = _column_of(action)
    if words[:1] == ["DROP"] and "CONSTRAINT" in words:
        name = _identifier(action.get_child("parameter", "object_reference", "naked_identifier"))
        yield Violation(action, table, f"DROP CONSTRAINT {name}", ("constraint", table, name))
    elif words[:1] == ["DROP"]:
        yield Violation(action, table, f"DROP COLUMN {column}", ("column", table, column))
    elif words[:1] == ["ALTER"] and "TYPE" in words:
        yield Violation(action, table, f"a type change of {column}", ("type", table, column))
    elif words[:1] == ["ALTER"] and words[-3:] == ["SET", "NOT", "NULL"]:
        yield Violation(action, table, f"SET NOT NULL on {column}", ("nullable", table, column))
    elif words[:1] == ["ALTER"] and words[-2:] == ["DROP", "DEFAULT"]:
        yield Violation(action, table, f"DROP DEFAULT on {column}", ("default", table, column))
    elif words[:1] == ["ADD"] and action.get_child("data_type") is not None:
        problem = _column_problem(action)
        if problem:
            yield Violation(action, table, f"{problem} ({column})", None)


def violations(root: BaseSegment, frozen: set[str]) -> Iterator[Violation]:
    """Every change to a frozen table in the file, with the up change it would undo."""
    for statement in statements(root):
        if statement.is_type("drop_table_statement"):
            for dropped in statement.get_children("table_reference"):
                table = qualified_name(dropped)
                if table in frozen:
                    yield Violation(dropped, table, "DROP TABLE", ("table", table))
            continue
        reference = statement.get_child("table_reference")
        if not statement.is_type("alter_table_statement") or reference is None:
            continue
        table = qualified_name(reference)
        if table not in frozen:
            continue
        words = keywords(statement)
        if "RENAME" in words and "CONSTRAINT" not in words:
            columns = [_identifier(c) for c in statement.get_children("column_reference")]
            if len(columns) == 2:
                yield Violation(statement, table, f"RENAME COLUMN {columns[0]}", ("rename", table, *columns))
            else:
                yield Violation(statement, table, "RENAME", None)
        elif words[-2:] == ["SET", "SCHEMA"]:
            yield Violation(statement, table, "SET SCHEMA", None)
        for action in statement.get_children("alter_table_action_segment"):
            yield from _action_violations(action, table)


def additions(root: BaseSegment, frozen: set[str]) -> set[Change]:
    """What an up file adds to or changes on frozen tables, keyed as its undo in the down file is."""
    found: set[Change] = set()
    for statement in statements(root):
        reference = statement.get_child("table_reference")
        if reference is None or qualified_name(reference) not in frozen:
            continue
        table = qualified_name(reference)
        if statement.is_type("create_table_statement"):
            found.add(("table", table))
            continue
        if not statement.is_type("alter_table_statement"):
            continue
        words = keywords(statement)
        columns = [_identifier(c) for c in statement.get_children("column_reference")]
        if "RENAME" in words and len(columns) == 2:
            found.add(("rename", table, columns[1], columns[0]))  # undone by renaming it back
        for action in statement.get_children("alter_table_action_segment"):
            found.update(_action_additions(action, table))
    return found


def _action_additions(action: BaseSegment, table: str) -> set[Change]:
    words = keywords(action)
    column = _column_of(action)
    if words[:1] == ["ADD"] and action.get_child("data_type") is not None:
        return {("column", table, column)}
    if words[:1] == ["ADD"]:
        constraint = action.get_child("table_constraint")
        name = _identifier(constraint.get_child("object_reference")) if constraint is not None else ""
        return {("constraint", table, name)} if name else set()
    if words[:1] == ["ALTER"] and "TYPE" in words:
        return {("type", table, column)}
    if words[:1] == ["ALTER"] and words[-3:] == ["DROP", "NOT", "NULL"]:
        return {("nullable", table, column)}
    if words[:1] == ["ALTER"] and "SET" in words and "DEFAULT" in words:
        return {("default", table, column)}
    return set()


class Rule_DF01(BaseRule):
    """Frozen tables keep their contract: no drops, renames, type changes, SET NOT NULL, DROP DEFAULT
    or dropped constraints; a new column is nullable or has a constant default.

    Frozen tables ([tool.dbrun] frozen_tables) are read by services deployed independently. A down
    file may undo what its own up file added.

    **Anti-pattern**

    .. code-block:: sql

        ALTER TABLE app.organizations RENAME COLUMN name TO title;

    **Best practice**

    Add a new nullable column, backfill it, and switch readers over.
    """

    name = "dbrun.frozen_tables"
    groups = ("all", "dbrun")
    config_keywords = ["frozen_tables"]  # noqa: RUF012 (sqlfluff declares it a list)
    crawl_behaviour = RootOnlyCrawler()
    frozen_tables: str

    def _eval(self, context: RuleContext) -> list[LintResult]:
        frozen = {name.lower() for name in self.split_comma_separated_string(self.frozen_tables or "")}
        if not frozen:
            return []
        found = list(violations(context.segment, frozen))
        if found and _is_down(context.path):
            undone = _up_additions(context, frozen)
            found = [v for v in found if v.undoes is None or v.undoes not in undone]
        return [LintResult(v.anchor, description=describe(
            f"{v.what} on frozen table {v.table}",
            "frozen tables only grow: add a nullable column (or one with a constant default) and migrate readers"))
            for v in found]


def _is_down(path: Path | str | None) -> bool:
    return path is not None and Path(path).parent.name == "down"


def _up_additions(context: RuleContext, frozen: set[str]) -> set[Change]:
    """What the down file's own up file (sql/up/<same name>) added to frozen tables."""
    up = Path(str(context.path)).parent.parent / "up" / Path(str(context.path)).name
    if not up.is_file():
        return set()
    parsed = Linter(config=context.config).parse_string(up.read_text(encoding="utf-8", errors="replace"))
    return additions(parsed.tree, frozen) if parsed.tree is not None else set()
