"""Run sqlfluff (postgres dialect, dbrun's plugin rules) over files and turn violations into findings.

A statement sqlfluff cannot parse swallows the rest of its file. So a file with a parse error is
linted again with that statement blanked out (same lines and columns, only spaces), until it parses:
the unparsable statement is reported at its line and every other statement is still checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlfluff.core import FluffConfig, Linter, SQLBaseError

from dbrun.lint.findings import Finding, split_description
from dbrun.source import split_statements

PARSE_CODES = frozenset({"PRS", "TMP", "LXR"})
PROCESSES = 2  # the CI machines have two cores
# sqlfluff's workers are spawned processes that import sqlfluff again (~0.7 s each, ~6 files' lint
# time): below this many files one process finishes first.
PARALLEL_MIN_FILES = 8
PARSE_FIX = ("sqlfluff's postgres dialect cannot parse this statement; if PostgreSQL accepts it, "
             "silence this line with `-- noqa: PRS <why>` (its other statements are still linted)")


def make_linter(root: Path, policies_dir: Path, frozen_tables: Sequence[str]) -> Linter:
    """One Linter for the run: the repository's .sqlfluff plus what only dbrun knows."""
    overrides: dict[str, Any] = {"dialect": "postgres", "disable_noqa": True}
    if not (root / ".sqlfluff").is_file():
        overrides["rules"] = "dbrun"
    config = FluffConfig.from_path(str(root), overrides=overrides)
    config.set_value(["rules", "dbrun.tenant_policy_file", "policies_dir"], str(policies_dir))
    config.set_value(["rules", "dbrun.frozen_tables", "frozen_tables"], ",".join(frozen_tables))
    return Linter(config=config)


def lint_files(linter: Linter, root: Path, files: Sequence[Path]) -> list[Finding]:
    """Findings for .sql files (absolute paths), linted in parallel."""
    if not files:
        return []
    processes = PROCESSES if len(files) >= PARALLEL_MIN_FILES else 1
    result = linter.lint_paths(tuple(str(f) for f in files), processes=processes, retain_files=True)
    findings: list[Finding] = []
    for linted_dir in result.paths:
        for linted in linted_dir.files:
            path = Path(linted.path)
            violations = linted.get_violations()
            if any(v.rule_code() in PARSE_CODES for v in violations):
                text = path.read_text(encoding="utf-8")
                findings.extend(lint_text(linter, root, path, text))
            else:
                findings.extend(_convert(root, path, violations))
    return findings


def lint_text(linter: Linter, root: Path, path: Path, text: str) -> list[Finding]:
    """Lint one file's text, reporting each unparsable statement and linting the rest."""
    parse_findings: list[Finding] = []
    current = text
    for _ in range(len(text.splitlines()) + 1):
        violations = linter.lint_string(current, fname=str(path)).get_violations()
        errors = sorted((v for v in violations if v.rule_code() in PARSE_CODES), key=lambda v: v.line_no)
        if not errors:
            return parse_findings + _convert(root, path, violations)
        first = errors[0]
        parse_findings.append(_parse_finding(root, path, first))
        blanked = _blank_statement_at(current, first.line_no)
        if blanked == current:  # nothing left to blank: report what we have
            return parse_findings + _convert(root, path, [v for v in violations if v is not first])
        current = blanked
    return parse_findings


def _parse_finding(root: Path, path: Path, error: SQLBaseError) -> Finding:
    message = error.desc()
    # sqlfluff's text repeats the position ("Line 3, Position 1: Found unparsable section: ...").
    if message.startswith("Line ") and ": " in message:
        message = message.split(": ", 1)[1]
    return Finding(_rel(root, path), error.line_no, error.line_pos, error.rule_code(), message,
                   fix=PARSE_FIX, source="sqlfluff")


def _blank_statement_at(text: str, line: int) -> str:
    """The text with the statement covering `line` replaced by spaces (newlines kept)."""
    target = None
    for statement in split_statements(text):
        if statement.line <= line:
            target = statement
    lines = text.split("\n")
    if target is None:
        first, last = line, line
    else:
        first, last = target.line, target.line + target.text.count("\n")
        last = max(last, line)
    for number in range(first, min(last, len(lines)) + 1):
        lines[number - 1] = " " * len(lines[number - 1])
    return "\n".join(lines)


def _convert(root: Path, path: Path, violations: Sequence[SQLBaseError]) -> list[Finding]:
    findings = []
    for violation in violations:
        message, fix = split_description(violation.desc())
        findings.append(Finding(_rel(root, path), violation.line_no or 1, violation.line_pos or 1,
                                violation.rule_code(), message, fix=fix, source="sqlfluff"))
    return findings


def _rel(root: Path, path: Path) -> Path:
    try:
        return path.resolve().relative_to(root)
    except ValueError:
        return path
