"""What every lint source (sqlfluff plugin, Squawk, dbrun's own rules) reports: one Finding type."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from dbrun.errors import EXIT_OK, EXIT_PROBLEMS

# sqlfluff carries only a description; the plugin appends the fix after this marker so that raw
# `sqlfluff lint` output stays readable and dbrun can still split it into message and fix.
FIX_MARKER = " | fix: "


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One problem at one place. `path` is relative to the repository root; line/col are 1-based."""

    path: Path
    line: int
    col: int
    code: str
    message: str
    severity: Severity = Severity.ERROR
    fix: str | None = None
    source: str = field(default="dbrun", compare=False)  # "sqlfluff", "squawk" or "dbrun"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path.as_posix(), self.line, self.col, self.code)


@dataclass(frozen=True)
class Silenced:
    """A finding switched off by a `-- noqa: CODE reason` comment on its line."""

    finding: Finding
    reason: str


@dataclass
class LintReport:
    """The merged, sorted result of one `dbrun lint` run."""

    findings: list[Finding]
    silenced: list[Silenced]
    files: list[Path]
    show_silenced: bool = False
    baselined: int = 0  # findings accepted by the baseline, not reported
    stale_baseline: int = 0  # baseline entries that matched nothing (fixed since)
    baseline_written: Path | None = None  # set by --update-baseline

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def exit_code(self) -> int:
        return EXIT_PROBLEMS if self.errors else EXIT_OK


def split_description(description: str) -> tuple[str, str | None]:
    """Split a plugin rule's 'message | fix: hint' description."""
    message, marker, fix = description.partition(FIX_MARKER)
    return message.strip(), (fix.strip() or None) if marker else None
