"""Squawk (the `squawk` binary from the squawk-cli wheel): which statements lock or rewrite tables.

Its configuration is the checked-in .squawk.toml (optional); dbrun adds per file what only it knows:
whether the runner wraps the file in a transaction (`-- dbrun: transactional=false` says it does
not), and that the runner sets the timeouts itself. Known false alarms are dropped in squawk_filters.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbrun.errors import ConfigError
from dbrun.lint.findings import Finding, Severity
from dbrun.lint.squawk_filters import char_column, is_false_positive

CONFIG_NAME = ".squawk.toml"
CODE_PREFIX = "SQ-"
# Advice rather than danger: reported, but they do not fail the lint.
WARNING_RULES = frozenset({"prefer-bigint-over-int", "prefer-bigint-over-smallint"})
# dbrun itself runs every migration under SET LOCAL lock_timeout and statement_timeout ([tool.dbrun]
# or `-- dbrun: lock_timeout=...`; a file disabling them is LINT-TIMEOUT): asking each file to set
# them is always a false alarm, with or without a .squawk.toml.
ALWAYS_EXCLUDED = ("require-lock-timeout", "require-statement-timeout", "require-timeout-settings")


@dataclass(frozen=True)
class SquawkInput:
    rel: Path  # relative to the repository root
    transactional: bool
    text: str  # the SQL (for a template: rendered), read again by the false-positive filters
    rendered: bool = False  # a template's rendering, sent on stdin; else Squawk reads the file


def squawk_binary() -> Path:
    """The squawk executable: beside this Python (a venv's bin/ need not be on PATH), else on PATH."""
    beside = Path(sys.executable).parent / "squawk"
    if beside.is_file():
        return beside
    found = shutil.which("squawk")
    if found:
        return Path(found)
    raise ConfigError("the `squawk` binary was not found (beside this Python or on PATH)",
                      hint="install it with `pip install 'squawk-cli>=2.70,<3'` (a dependency of dbrun)")


def run_squawk(root: Path, inputs: Sequence[SquawkInput]) -> list[Finding]:
    """Squawk findings for the files, with 1-based lines and columns, known false alarms removed."""
    if not inputs:
        return []
    binary = squawk_binary()
    excluded = excluded_rules(root)
    texts = {i.rel: i.text for i in inputs}
    findings: list[Finding] = []
    for transactional in (True, False):
        files = [i for i in inputs if i.transactional is transactional and not i.rendered]
        if files:
            raw = _invoke(binary, root, excluded, transactional, [i.rel.as_posix() for i in files], None)
            findings.extend(_convert(raw, texts))
    for item in inputs:
        if item.rendered:
            args = ["--stdin-filepath", item.rel.as_posix()]
            findings.extend(_convert(_invoke(binary, root, excluded, item.transactional, args, item.text), texts))
    return findings


def excluded_rules(root: Path) -> list[str]:
    """The repository's excluded_rules plus ALWAYS_EXCLUDED (Squawk's --exclude replaces the config's)."""
    configured: list[str] = []
    path = root / CONFIG_NAME
    if path.is_file():
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix the file or remove it") from exc
        value = document.get("excluded_rules", [])
        if not isinstance(value, list) or not all(isinstance(rule, str) for rule in value):
            raise ConfigError(f"{path}: excluded_rules must be a list of rule names",
                              hint='e.g. excluded_rules = ["prefer-robust-stmts"]')
        configured = value
    return sorted(set(configured) | set(ALWAYS_EXCLUDED))


def _invoke(binary: Path, root: Path, excluded: list[str], transactional: bool, args: list[str],
            stdin: str | None) -> list[Any]:
    command = [str(binary), "--reporter", "json", "--exclude", ",".join(excluded)]
    if (root / CONFIG_NAME).is_file():
        command += ["--config", str(root / CONFIG_NAME)]
    command.append("--assume-in-transaction" if transactional else "--no-assume-in-transaction")
    try:
        done = subprocess.run(command + args, cwd=root, input=stdin, capture_output=True, text=True,
                              timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"cannot run {binary}: {exc}", hint="reinstall squawk-cli") from exc
    # 0 = clean, 1 = violations found; anything else is squawk refusing its input or config.
    if done.returncode not in (0, 1):
        raise ConfigError(f"squawk failed (exit {done.returncode}): {done.stderr.strip()[:500]}",
                          hint=f"check {CONFIG_NAME} (rule names, pg_version) and the files passed")
    try:
        parsed = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"squawk printed no JSON report: {done.stdout[:200]!r}",
                          hint="check that `squawk --version` is 2.70 or later") from exc
    return parsed if isinstance(parsed, list) else []


def _convert(violations: list[Any], texts: dict[Path, str]) -> list[Finding]:
    findings = []
    for item in violations:
        rule = str(item.get("rule_name", "unknown"))
        path = Path(str(item.get("file", "")))
        text = texts.get(path, "")
        line = int(item.get("line", 0))
        col = char_column(text, line, int(item.get("column", 0)))
        if is_false_positive(rule, path, text, line, col):
            continue
        message = str(item.get("message", "")).strip()
        findings.append(Finding(
            path=path,
            # Squawk counts lines and columns from 0; every other source, and editors, from 1.
            line=line + 1,
            col=col + 1,
            code=CODE_PREFIX + rule,
            message=message,
            severity=Severity.WARNING if rule in WARNING_RULES else Severity.ERROR,
            fix=_fix(rule, item.get("help")),
            source="squawk",
        ))
    return findings


def _fix(rule: str, help_text: object) -> str | None:
    if rule == "syntax-error":
        return "fix the SQL; PostgreSQL would refuse it too"
    return str(help_text).strip() if help_text else None
