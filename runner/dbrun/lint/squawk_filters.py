"""Squawk findings that are false alarms in a dbrun repository, recognised from the SQL around them.

Squawk reads one statement at a time and knows neither dbrun's up/down layout nor the intent of a
statement as a whole. Sampled on real projects, most of its false positives were these patterns:

- "add NOT VALID" on a UNIQUE, PRIMARY KEY or EXCLUDE constraint, which PostgreSQL cannot add NOT
  VALID (Squawk's own disallowed-unique-constraint / adding-serial-primary-key-field rules still
  report the real cost of building their index);
- "dropping a constraint" when the same ALTER TABLE adds a constraint of that name back: the table
  is never without it (the re-added constraint's own scan is still reported);
- "use bigint" on a foreign-key column, whose type must match the key it references;
- destructive operations in a down file: restoring the previous state is its purpose, and the
  round trip (up, down, up, same schema) is what verifies it.

Every check here reads the file's text at the position Squawk reported, never Squawk's message.
"""

from __future__ import annotations

import re
from pathlib import Path

from dbrun.source import split_statements

# Contract-changing rules: in a down file each undoes what its up file added or changed. The
# locking rules (CONCURRENTLY, NOT VALID, table rewrites, required fields) still apply there.
DESTRUCTIVE = frozenset({
    "ban-drop-table", "ban-drop-column", "ban-drop-not-null", "ban-drop-constraint", "ban-drop-view",
    "ban-drop-function", "ban-drop-type", "ban-drop-schema", "ban-drop-sequence", "ban-drop-domain",
    "ban-drop-policy", "ban-drop-trigger", "ban-drop-extension", "ban-drop-index",
    "ban-drop-generated-expression", "renaming-column", "renaming-table", "renaming-object",
    "changing-column-type", "ban-set-default", "ban-revoke", "ban-set-schema", "ban-replace-view-function",
    "ban-alter-policy-condition", "ban-alter-policy-roles", "ban-alter-row-level-security",
})
# Repeatable views and policies are re-created in the same transaction (DESIGN §2): dropping one is by design.
REPEATABLE_REDEFINITION = frozenset({"ban-drop-view", "ban-drop-function", "ban-drop-policy",
                                     "ban-replace-view-function"})

_NAME = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_KEY_CONSTRAINT = re.compile(rf"ADD\s+(?:CONSTRAINT\s+{_NAME}\s+)?(?:UNIQUE|PRIMARY\s+KEY|EXCLUDE)\b", re.I)
_DROP_CONSTRAINT = re.compile(rf"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?(?P<name>{_NAME})", re.I)
_LAST_NAME = re.compile(rf"(?P<name>{_NAME})\s*$")
_FOREIGN_KEY_COLUMNS = re.compile(r"FOREIGN\s+KEY\s*\((?P<columns>[^)]*)\)", re.I)
_TABLE_OF_STATEMENT = re.compile(
    r"^\s*(?:CREATE|ALTER)\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?(?:ONLY\s+)?"
    rf"(?P<table>{_NAME}(?:\s*\.\s*{_NAME})?)", re.I)


def char_column(text: str, line: int, byte_col: int) -> int:
    """Squawk's 0-based column counts UTF-8 bytes; the same position counted in characters."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return byte_col
    return len(lines[line].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def is_false_positive(rule: str, rel: Path, text: str, line: int, col: int) -> bool:
    """Whether Squawk's `rule` at 0-based (line, character col) of `text` is one of the known false alarms."""
    if rel.parts[:2] == ("sql", "down") and rule in DESTRUCTIVE:
        return True
    if rel.parts[:1] in (("views",), ("policies",)) and rule in REPEATABLE_REDEFINITION:
        return True
    offset = _offset(text, line, col)
    if offset is None:
        return False
    if rule == "constraint-missing-not-valid":
        return _KEY_CONSTRAINT.match(text, offset) is not None
    if rule == "ban-drop-constraint":
        return _constraint_added_back(text, offset, line)
    if rule in ("prefer-bigint-over-int", "prefer-bigint-over-smallint"):
        return _is_foreign_key_column(text, offset, line)
    return False


def _offset(text: str, line: int, col: int) -> int | None:
    lines = text.split("\n")
    if not 0 <= line < len(lines) or not 0 <= col <= len(lines[line]):
        return None
    return sum(len(previous) + 1 for previous in lines[:line]) + col


def _identifier(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    return raw.lower()


def _statement_at(text: str, line: int) -> str:
    """The text of the statement covering 0-based `line` (statements start at their first SQL line)."""
    found = ""
    for statement in split_statements(text):
        if statement.line - 1 <= line:
            found = statement.text
    return found


def _constraint_added_back(text: str, offset: int, line: int) -> bool:
    dropped = _DROP_CONSTRAINT.match(text, offset)
    if dropped is None:
        return False
    name = _identifier(dropped.group("name"))
    added = re.compile(rf"\bADD\s+CONSTRAINT\s+(?P<name>{_NAME})", re.I)
    return any(_identifier(m.group("name")) == name for m in added.finditer(_statement_at(text, line)))


def _is_foreign_key_column(text: str, offset: int, line: int) -> bool:
    """Whether the column whose type starts at `offset` references another table's key."""
    before = _LAST_NAME.search(text, 0, offset)
    if before is None:
        return False
    column = _identifier(before.group("name"))
    if re.search(r"\bREFERENCES\b", _definition_tail(text, offset), re.I):
        return True
    statement = _statement_at(text, line)
    table = _table_of(statement)
    same_table = [s.text for s in split_statements(text) if table is not None and _table_of(s.text) == table]
    for candidate in [statement, *same_table]:
        for match in _FOREIGN_KEY_COLUMNS.finditer(candidate):
            if column in {_identifier(c) for c in match.group("columns").split(",") if c.strip()}:
                return True
    return False


def _definition_tail(text: str, offset: int) -> str:
    """From `offset` to the end of its column definition: the next comma, `)` or `;` at its depth."""
    depth = 0
    for index in range(offset, len(text)):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return text[offset:index]
            depth -= 1
        elif char in ",;" and depth == 0:
            return text[offset:index]
    return text[offset:]


def _table_of(statement: str) -> str | None:
    match = _TABLE_OF_STATEMENT.match(statement)
    if match is None:
        return None
    return ".".join(_identifier(part) for part in re.split(r"\s*\.\s*", match.group("table")))
