"""Which findings count in this repository: [tool.dbrun.lint] select, ignore and from_version.

A selector is a rule code or a prefix of codes, as in ruff: "DN" (the naming rules), "DN07",
"SQ" (every Squawk rule), "SQ-prefer-bigint-over-int". Parse errors, Squawk's syntax errors, the
repository's loading problems (SRC-*) and the lint's own findings (LINT-*) cannot be switched off:
PostgreSQL or `dbrun up` would refuse the same files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dbrun.config import LintSettings
from dbrun.errors import ConfigError
from dbrun.lint.findings import Finding
from dbrun.source import VERSIONED_NAME

# The rule families a selector can name (the plugin's code prefixes, and Squawk's).
FAMILIES = {
    "DN": "naming", "DT": "column types", "DR": "tenancy and repository", "DF": "frozen tables",
    "DH": "migration header", "SQ": "Squawk",
}
ALWAYS_ON = ("PRS", "TMP", "LXR", "SQ-syntax-error", "SRC-", "LINT-")


def validate(settings: LintSettings) -> None:
    """Refuse selectors that name no rule family: a typo would silently select or ignore nothing."""
    for selector in settings.ignore:
        if any(_matches(selector, always) for always in ALWAYS_ON):
            raise ConfigError(f"[tool.dbrun.lint] ignore: {selector} cannot be switched off",
                              hint="parse errors, SRC-* and LINT-* findings are what PostgreSQL or "
                                   "`dbrun up` would refuse; silence one line with `-- noqa: CODE reason`")
    named = [*settings.select, *settings.ignore, *settings.from_version]
    for selector in named:
        if not any(selector.upper().startswith(family) or family.startswith(selector.upper())
                   for family in FAMILIES):
            families = ", ".join(f"{code} ({what})" for code, what in FAMILIES.items())
            raise ConfigError(f"[tool.dbrun.lint] {selector!r} names no rule",
                              hint=f"use a rule code or a prefix of one: {families}")


def _matches(code: str, selector: str) -> bool:
    return code.upper().startswith(selector.upper())


def _version(path: Path) -> str | None:
    if path.parts[:1] != ("sql",) or len(path.parts) != 3:
        return None
    match = VERSIONED_NAME.match(path.name)
    return match.group("version") if match else None


def counts(finding: Finding, settings: LintSettings) -> bool:
    """Whether the finding is reported under this repository's selection."""
    code = finding.code
    if any(_matches(code, always) for always in ALWAYS_ON):
        return True
    if settings.select and not any(_matches(code, s) for s in settings.select):
        return False
    if any(_matches(code, s) for s in settings.ignore):
        return False
    version = _version(finding.path)
    return version is None or all(version >= start for prefix, start in settings.from_version.items()
                                  if _matches(code, prefix))


def apply(findings: Iterable[Finding], settings: LintSettings) -> list[Finding]:
    return [f for f in findings if counts(f, settings)]
