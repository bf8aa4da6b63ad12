"""The migration header of DESIGN §5 (codes DH01-DH02), as `dbrun new` writes it:

    -- Migration: <slug>
    -- One paragraph: what changes and why.
    -- Locks: <lock> on <table> ...        (when an existing table is touched)

The header is the comment block before the first statement of a file in sql/up or sql/down.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlfluff.core.parser import BaseSegment
from sqlfluff.core.rules import BaseRule, LintResult, RuleContext
from sqlfluff.core.rules.crawlers import RootOnlyCrawler

from dbrun.lint.rules_naming import describe
from dbrun.lint.rules_repository import created_tables
from dbrun.lint.segments import qualified_name, statements
from dbrun.source import VERSIONED_NAME

_MIGRATION = re.compile(r"^\s*--\s*Migration:\s*(?P<value>.*)$", re.IGNORECASE)
_LOCKS = re.compile(r"^\s*--\s*Locks:", re.IGNORECASE)
# Statements that lock an existing table for a schema change (a reviewer wants the lock named).
_ALTERING = ("alter_table_statement", "create_index_statement", "create_trigger", "drop_trigger")


def migration_slug(path: Path | str | None) -> str | None:
    """The slug of a versioned migration in sql/up or sql/down; None for any other file."""
    if path is None:
        return None
    file = Path(path)
    if file.parent.name not in ("up", "down") or file.parent.parent.name != "sql":
        return None
    match = VERSIONED_NAME.match(file.name)
    return match.group("slug") if match else None


def header_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line, text) of the comment lines before the first statement."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("--"):
            break
        lines.append((number, raw))
    return lines


def _file_text(context: RuleContext) -> str:
    return context.templated_file.source_str if context.templated_file else context.segment.raw


def _segment_at_line(root: BaseSegment, line: int) -> BaseSegment:
    for segment in root.raw_segments:
        if segment.pos_marker is not None and segment.pos_marker.line_no == line and segment.raw.strip():
            return segment
    return root.raw_segments[0] if root.raw_segments else root


class Rule_DH01(BaseRule):
    """A migration's header starts with ``-- Migration: <slug>``, the slug of its file name.

    A copied file whose header names another migration misleads every reviewer who reads it.

    **Anti-pattern**

    ``sql/up/202611240900_orders.sql`` starting with ``-- Migration: invoices``.

    **Best practice**

    .. code-block:: sql

        -- Migration: orders
    """

    name = "dbrun.migration_header"
    groups = ("all", "dbrun")
    crawl_behaviour = RootOnlyCrawler()

    def _eval(self, context: RuleContext) -> LintResult | None:
        slug = migration_slug(context.path)
        if slug is None:
            return None
        for number, raw in header_lines(_file_text(context)):
            match = _MIGRATION.match(raw)
            if match is None:
                continue
            written = (match.group("value").split() or [""])[0]
            if written == slug:
                return None
            return LintResult(_segment_at_line(context.segment, number), description=describe(
                f"header names migration {written!r} but the file's slug is {slug!r}",
                f"write `-- Migration: {slug}`"))
        return LintResult(_segment_at_line(context.segment, 1), description=describe(
            "migration has no `-- Migration:` header line",
            f"start the file with `-- Migration: {slug}` and a paragraph saying what changes and why"))


class Rule_DH02(BaseRule):
    """A migration that alters a table it does not create names the locks in a ``-- Locks:`` header line.

    ALTER TABLE, CREATE INDEX and CREATE/DROP TRIGGER on an existing table queue behind its readers
    and writers; the reviewer checks the lock the author names against what the statement takes.

    **Anti-pattern**

    A migration adding a foreign key to app.orders with no word on its lock.

    **Best practice**

    .. code-block:: sql

        -- Locks: SHARE ROW EXCLUSIVE on app.orders and app.users (foreign key, NOT VALID: no scan)
    """

    name = "dbrun.migration_locks"
    groups = ("all", "dbrun")
    crawl_behaviour = RootOnlyCrawler()

    def _eval(self, context: RuleContext) -> LintResult | None:
        if migration_slug(context.path) is None:
            return None
        if any(_LOCKS.match(raw) for _, raw in header_lines(_file_text(context))):
            return None
        created = {table for _, table in created_tables(context.segment)}
        for statement in statements(context.segment):
            reference = statement.get_child("table_reference")
            if statement.is_type(*_ALTERING) and reference is not None:
                table = qualified_name(reference)
                if table not in created:
                    return LintResult(statement, description=describe(
                        f"alters {table}, which this file does not create, but the header has no `-- Locks:` line",
                        f"add `-- Locks: <lock> on {table} (<why it is short>)` to the header"))
        return None
