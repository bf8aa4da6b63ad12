"""Squawk (the `squawk` binary from the squawk-cli wheel): which statements lock or rewrite tables.

Its configuration is the checked-in .squawk.toml; dbrun adds per file what only it knows: whether
the runner wraps the file in a transaction (`-- dbrun: transactional=false` says it does not).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbrun.errors import ConfigError
from dbrun.lint.findings import Finding, Severity

CONFIG_NAME = ".squawk.toml"
CODE_PREFIX = "SQ-"
# Advice rather than danger: reported, but they do not fail the lint.
WARNING_RULES = frozenset({"prefer-bigint-over-int", "prefer-bigint-over-smallint"})
# A down file undoes its up file: dropping or renaming back what the up created is its purpose.
# Locking rules (CONCURRENTLY, NOT VALID, rewrites) still apply to down files.
EXPECTED_IN_DOWN = frozenset({
    "ban-drop-table", "ban-drop-column", "ban-drop-view", "ban-drop-function", "ban-drop-type",
    "ban-drop-schema", "ban-drop-sequence", "ban-drop-domain", "ban-drop-constraint", "ban-drop-policy",
    "ban-drop-trigger", "ban-drop-extension", "renaming-column", "renaming-table", "renaming-object",
})
# Repeatable views are re-created in the same transaction (DESIGN §2): dropping one is by design.
EXPECTED_IN_REPEATABLE = frozenset({"ban-drop-view", "ban-drop-function", "ban-drop-policy"})


@dataclass(frozen=True)
class SquawkInput:
    rel: Path  # relative to the repository root
    transactional: bool
    text: str | None = None  # rendered SQL of a template, sent on stdin; None = read the file


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
    """Squawk findings for the files, with 1-based lines and columns."""
    if not inputs:
        return []
    binary = squawk_binary()
    findings: list[Finding] = []
    for transactional in (True, False):
        files = [i for i in inputs if i.transactional is transactional and i.text is None]
        if files:
            raw = _invoke(binary, root, transactional, [i.rel.as_posix() for i in files], None)
            findings.extend(_convert(raw))
    for item in inputs:
        if item.text is not None:
            args = ["--stdin-filepath", item.rel.as_posix()]
            findings.extend(_convert(_invoke(binary, root, item.transactional, args, item.text)))
    return findings


def _invoke(binary: Path, root: Path, transactional: bool, args: list[str], stdin: str | None) -> list[Any]:
    command = [str(binary), "--reporter", "json"]
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


def _convert(violations: list[Any]) -> list[Finding]:
    findings = []
    for item in violations:
        rule = str(item.get("rule_name", "unknown"))
        path = Path(str(item.get("file", "")))
        if _expected(rule, path):
            continue
        message = str(item.get("message", "")).strip()
        findings.append(Finding(
            path=path,
            # Squawk counts lines and columns from 0; every other source, and editors, from 1.
            line=int(item.get("line", 0)) + 1,
            col=int(item.get("column", 0)) + 1,
            code=CODE_PREFIX + rule,
            message=message,
            severity=Severity.WARNING if rule in WARNING_RULES else Severity.ERROR,
            fix=_fix(rule, item.get("help")),
            source="squawk",
        ))
    return findings


def _expected(rule: str, path: Path) -> bool:
    parts = path.parts
    if parts[:2] == ("sql", "down"):
        return rule in EXPECTED_IN_DOWN
    if parts[:1] in (("views",), ("policies",)):
        return rule in EXPECTED_IN_REPEATABLE
    return False


def _fix(rule: str, help_text: object) -> str | None:
    if rule == "syntax-error":
        return "fix the SQL; PostgreSQL would refuse it too"
    return str(help_text).strip() if help_text else None
