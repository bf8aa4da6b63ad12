"""Run sqlfluff (postgres dialect, dbrun's plugin rules) over files and turn violations into findings.

A statement sqlfluff cannot parse swallows the rest of its file. So a file with a parse error is
linted again with that statement blanked out (same lines and columns, only spaces), until it parses:
the unparsable statement is reported at its line and every other statement is still checked.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlfluff.core import FluffConfig, Linter, SQLBaseError

from dbrun.lint.findings import Finding, split_description
from dbrun.source import split_statements

PARSE_CODES = frozenset({"PRS", "TMP", "LXR"})
PROCESSES = 2  # the CI machines have two cores
# A forked worker starts in ~50 ms (it inherits the imported sqlfluff); below this many files one
# process finishes first. Where fork is unavailable (macOS, Windows) workers re-import sqlfluff
# (~0.7 s each), so only much larger runs are split.
PARALLEL_MIN_FILES = 6
PARALLEL_MIN_FILES_SPAWN = 40
PARSE_FIX = ("sqlfluff's postgres dialect cannot parse this statement; if PostgreSQL accepts it, "
             "silence this line with `-- noqa: PRS <why>` (its other statements are still linted)")


@dataclass(frozen=True)
class LinterOptions:
    """What the plugin rules need to know that only dbrun knows (picklable, for worker processes)."""

    root: Path
    policies_dir: Path
    frozen_tables: tuple[str, ...]


def make_linter(root: Path, policies_dir: Path, frozen_tables: Sequence[str]) -> Linter:
    """One Linter for the run: the repository's .sqlfluff plus what only dbrun knows.

    Files are always linted through this Linter's own config (lint_string), never through sqlfluff's
    lint_paths, which reloads the configuration per file and would drop the values set here.
    """
    overrides: dict[str, Any] = {"dialect": "postgres", "disable_noqa": True}
    if not (root / ".sqlfluff").is_file():
        overrides["rules"] = "dbrun"
    config = FluffConfig.from_path(str(root), overrides=overrides)
    config.set_value(["rules", "dbrun.tenant_policy_file", "policies_dir"], str(policies_dir))
    config.set_value(["rules", "dbrun.frozen_tables", "frozen_tables"], ",".join(frozen_tables))
    return Linter(config=config)


_WORKER_LINTER: Linter | None = None


def _start_worker(options: LinterOptions) -> None:
    global _WORKER_LINTER
    _WORKER_LINTER = make_linter(options.root, options.policies_dir, options.frozen_tables)


def _lint_in_worker(root: Path, path: Path, text: str) -> list[Finding]:
    if _WORKER_LINTER is None:  # the pool's initializer always runs first
        raise RuntimeError("lint worker process started without its linter")
    return lint_text(_WORKER_LINTER, root, path, text)


def lint_sources(options: LinterOptions, sources: Sequence[tuple[Path, str]]) -> list[list[Finding]]:
    """Findings for each (absolute path, SQL text), in the order given; two processes for many files.

    The pool is dbrun's own and is shut down before returning: no process or semaphore outlives it.
    """
    if not sources:
        return []
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods else "spawn"
    threshold = PARALLEL_MIN_FILES if method == "fork" else PARALLEL_MIN_FILES_SPAWN
    if len(sources) < threshold:
        linter = make_linter(options.root, options.policies_dir, options.frozen_tables)
        return [lint_text(linter, options.root, path, text) for path, text in sources]
    context = multiprocessing.get_context(method)
    with ProcessPoolExecutor(PROCESSES, mp_context=context, initializer=_start_worker,
                             initargs=(options,)) as pool:
        futures = [pool.submit(_lint_in_worker, options.root, path, text) for path, text in sources]
        return [future.result() for future in futures]


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
