"""One finding per problem: when Squawk and a dbrun rule flag the same statement for the same reason,
the dbrun finding is kept (it carries the house fix) and Squawk's twin is dropped. Squawk's generic
"add it NOT VALID" gives way, the same way, to its own foreign-key rule, which names both tables' locks.

A repository without dbrun's .squawk.toml (which excludes most of these) reports each problem once too.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dbrun.lint.findings import Finding
from dbrun.source import split_statements

# Squawk rule -> the codes reporting the same problem better.
TWINS: dict[str, frozenset[str]] = {
    "SQ-constraint-missing-not-valid": frozenset({"SQ-adding-foreign-key-constraint"}),
    "SQ-identifier-too-long": frozenset({"DN07"}),
    "SQ-prefer-timestamp-tz": frozenset({"DT01"}),
    "SQ-prefer-text-field": frozenset({"DT02"}),
    "SQ-ban-char-field": frozenset({"DT02"}),
    "SQ-prefer-identity": frozenset({"DT03"}),
    "SQ-syntax-error": frozenset({"PRS"}),
    "SQ-transaction-nesting": frozenset({"SRC-TXCONTROL"}),
    "SQ-ban-uncommitted-transaction": frozenset({"SRC-TXCONTROL"}),
    "SQ-ban-concurrent-index-creation-in-transaction": frozenset({"DR04"}),
}


def deduplicate(findings: Iterable[Finding], texts: dict[Path, str]) -> list[Finding]:
    """The findings without Squawk's twins of dbrun findings on the same statement."""
    findings = list(findings)
    by_path: dict[Path, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    dropped: set[Finding] = set()
    for path, group in by_path.items():
        twins = [f for f in group if f.code in TWINS]
        if not twins:
            continue
        starts = _statement_starts(texts.get(path, ""))
        for twin in twins:
            statement = _statement_of(starts, twin.line)
            if any(other.code in TWINS[twin.code] and _statement_of(starts, other.line) == statement
                   for other in group):
                dropped.add(twin)
    return [f for f in findings if f not in dropped]


def _statement_starts(text: str) -> list[int]:
    return [statement.line for statement in split_statements(text)] if text else []


def _statement_of(starts: list[int], line: int) -> int:
    """The index of the statement covering `line` (-1 before the first; each line its own without text)."""
    if not starts:
        return -line
    return sum(1 for start in starts if start <= line) - 1
