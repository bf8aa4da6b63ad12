"""Settings from flags, the environment (DATABASE_URL, DBRUN_*) and [tool.dbrun] in pyproject.toml.

Precedence: command-line flag > environment > pyproject.toml > built-in default.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbrun.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h)?\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, None: 1000}


def parse_duration_ms(value: str | int | float, what: str) -> int:
    """Read '5s', '250ms', '15min', '2h' or a bare number of seconds into milliseconds."""
    if isinstance(value, int | float):
        return int(value * 1000)
    match = _DURATION.match(value)
    if not match:
        raise ConfigError(
            f"{what}: cannot read duration {value!r}",
            hint="write a number with a unit: 250ms, 5s, 15min, 2h (0 disables the limit)",
        )
    number, unit = match.groups()
    return int(float(number) * _UNIT_MS[unit])


# PostgreSQL's lock_timeout and statement_timeout are int4 milliseconds.
MAX_TIMEOUT_MS = 2_147_483_647


def parse_timeout_ms(value: str | int | float, what: str) -> int:
    """A server timeout: a duration PostgreSQL accepts (0 disables it; at most about 24.8 days)."""
    ms = parse_duration_ms(value, what)
    if ms > MAX_TIMEOUT_MS:
        raise ConfigError(f"{what}: {value!r} is out of range: PostgreSQL accepts at most {MAX_TIMEOUT_MS} ms "
                          "(about 24 days)", hint="give a shorter duration, or 0 to disable the limit")
    return ms


def _non_negative(value: Any, what: str) -> int:
    number = int(value)
    if number < 0:
        raise ConfigError(f"{what} must be 0 or more (got {number})", hint=f"e.g. --{what.replace('_', '-')} 3")
    return number


def _non_negative_rate(value: Any) -> float:
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"max_rate: cannot read {value!r} as rows per second", hint="e.g. --max-rate 2000") from None
    if rate < 0:
        raise ConfigError(f"max_rate must be 0 or more (got {value})", hint="e.g. --max-rate 2000 (0: no limit)")
    return rate


@dataclass(frozen=True)
class LintSettings:
    """[tool.dbrun.lint]: which findings count, from which migration on, and where the baseline is."""

    select: tuple[str, ...] = ()  # code prefixes ("DN", "SQ-ban-drop-table"); empty = every rule
    ignore: tuple[str, ...] = ()
    # code prefix -> first migration version it applies to: older (applied, immutable) files are exempt
    from_version: dict[str, str] = field(default_factory=dict)
    baseline: Path = Path("lint-baseline.json")  # relative to the repository root


@dataclass(frozen=True)
class Settings:
    root: Path
    database_url: str | None = None
    lock_timeout_ms: int = 5_000
    statement_timeout_ms: int = 15 * 60_000
    lock_retries: int = 3
    lock_retry_backoff_ms: int = 1_000
    lock_wait_s: float = 60.0
    frozen_tables: tuple[str, ...] = ()
    template_vars: dict[str, Any] = field(default_factory=dict)
    local_dir: Path | None = None
    lint: LintSettings = field(default_factory=LintSettings)
    # Lock wait of CONCURRENTLY statements (they wait for older transactions), instead of lock_timeout.
    concurrent_wait_ms: int = 10 * 60_000
    max_duration_ms: int = 0  # --max-duration: no migration starts after it (0: no deadline)
    max_rate: float = 0.0  # --max-rate: rows per second for batch files (0: no limit)

    @property
    def cluster_dir(self) -> Path:
        return self.local_dir or self.root / ".dbrun"


def _pyproject_section(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    import tomllib  # a repository without pyproject.toml does not pay for importing it

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix the file or remove [tool.dbrun]") from exc
    section = data.get("tool", {}).get("dbrun", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.dbrun] must be a table")
    return section


_KNOWN_KEYS = {
    "lock_timeout",
    "statement_timeout",
    "lock_retries",
    "lock_retry_backoff",
    "lock_wait",
    "frozen_tables",
    "template_vars",
    "local_dir",
    "lint",
    "concurrent_wait",
    "max_rate",
}
_LINT_KEYS = {"select", "ignore", "from_version", "baseline"}
_VERSION = re.compile(r"^\d{12}$")


def _lint_settings(section: Any, path: Path) -> LintSettings:
    """[tool.dbrun.lint], validated: lists of strings, 12-digit versions, a relative baseline path."""
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.dbrun.lint] must be a table")
    unknown = sorted(set(section) - _LINT_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) in [tool.dbrun.lint]: {', '.join(unknown)}",
                          hint=f"known keys: {', '.join(sorted(_LINT_KEYS))}")
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("select", "ignore"):
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise ConfigError(f"{path}: [tool.dbrun.lint] {key} must be a list of rule codes or prefixes",
                              hint=f'e.g. {key} = ["DN", "SQ-prefer-bigint-over-int"]')
        lists[key] = tuple(item.strip() for item in value)
    starts = section.get("from_version", {})
    if not isinstance(starts, dict) or not all(
            isinstance(version, str) and _VERSION.match(version) for version in starts.values()):
        raise ConfigError(f"{path}: [tool.dbrun.lint] from_version must map rule prefixes to 12-digit versions",
                          hint='e.g. from_version = { DN = "202612010000" }')
    baseline = section.get("baseline", "lint-baseline.json")
    if not isinstance(baseline, str) or not baseline or Path(baseline).is_absolute():
        raise ConfigError(f"{path}: [tool.dbrun.lint] baseline must be a path relative to the repository",
                          hint='e.g. baseline = "lint-baseline.json"')
    return LintSettings(select=lists["select"], ignore=lists["ignore"],
                        from_version={str(k): str(v) for k, v in starts.items()}, baseline=Path(baseline))


def load_settings(
    root: Path | None = None,
    database_url: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build the settings for one command; `overrides` are command-line values (None = not given)."""
    root = (root or Path(os.environ.get("DBRUN_ROOT", "."))).resolve()
    if not root.is_dir():
        raise ConfigError(f"repository root {root} is not a folder", hint="pass --root PATH to the checkout")
    section = _pyproject_section(root)
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{root / 'pyproject.toml'}: unknown key(s) in [tool.dbrun]: {', '.join(unknown)}",
            hint=f"known keys: {', '.join(sorted(_KNOWN_KEYS))}",
        )
    merged: dict[str, Any] = dict(section)
    for key in ("lock_timeout", "statement_timeout", "lock_retries", "lock_wait", "concurrent_wait", "max_rate",
                "local_dir"):
        env = os.environ.get(f"DBRUN_{key.upper()}")
        if env is not None:
            merged[key] = env
    for key, value in (overrides or {}).items():
        if value is not None:
            merged[key] = value

    url = database_url or os.environ.get("DATABASE_URL") or None
    local_dir = merged.get("local_dir")
    try:
        return Settings(
            root=root,
            database_url=url,
            lock_timeout_ms=parse_timeout_ms(merged.get("lock_timeout", "5s"), "lock_timeout"),
            statement_timeout_ms=parse_timeout_ms(merged.get("statement_timeout", "15min"), "statement_timeout"),
            lock_retries=_non_negative(merged.get("lock_retries", 3), "lock_retries"),
            lock_retry_backoff_ms=parse_duration_ms(merged.get("lock_retry_backoff", "1s"), "lock_retry_backoff"),
            lock_wait_s=parse_duration_ms(merged.get("lock_wait", 60), "lock_wait") / 1000,
            frozen_tables=tuple(merged.get("frozen_tables", ())),
            template_vars=dict(merged.get("template_vars", {})),
            local_dir=(root / local_dir) if local_dir else None,
            lint=_lint_settings(merged.get("lint", {}), root / "pyproject.toml"),
            concurrent_wait_ms=parse_timeout_ms(merged.get("concurrent_wait", "10min"), "concurrent_wait"),
            max_duration_ms=parse_duration_ms(merged.get("max_duration", 0), "max_duration"),
            max_rate=_non_negative_rate(merged.get("max_rate", 0)),
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"invalid [tool.dbrun] setting: {exc}") from exc
