"""`dbrun lint`: sqlfluff (dbrun's plugin rules), Squawk and dbrun's repository rules, one report.

    report = run_lint(settings, paths=None, since=None, show_silenced=False)
    text = render(report, "text")        # or "json", "github"
    exit code = report.exit_code         # 1 when any error remains, else 0

A run: the files -> per-file findings (cached) + repository findings -> noqa -> one finding per
problem -> the repository's selection ([tool.dbrun.lint]) -> the baseline -> the report.
"""

from __future__ import annotations

from pathlib import Path

from dbrun.config import Settings, load_settings
from dbrun.errors import ConfigError
from dbrun.lint import baseline, selection
from dbrun.lint.cache import LintCache
from dbrun.lint.findings import Finding, LintReport, Severity, Silenced
from dbrun.lint.merge import deduplicate
from dbrun.lint.noqa import Noqa, apply_noqa, parse_noqa
from dbrun.lint.render import OutputFormat, render
from dbrun.lint.sql_pass import sql_findings
from dbrun.lint.worktree import (
    LINTED_DIRS,
    changes_since,
    is_lintable,
    repository_findings,
    timeout_findings,
)

__all__ = ["Finding", "LintReport", "OutputFormat", "Severity", "Silenced", "render", "run_lint"]


def run_lint(
    settings_or_root: Settings | Path,
    paths: list[Path] | None = None,
    since: str | None = None,
    show_silenced: bool = False,
    *,
    use_cache: bool = True,
    update_baseline: bool = False,
) -> LintReport:
    """Lint the whole repository, the given files, or the files changed since a git revision.

    `update_baseline` writes every current finding to the baseline file (whole repository only).
    """
    settings = settings_or_root if isinstance(settings_or_root, Settings) else load_settings(settings_or_root)
    selection.validate(settings.lint)
    if update_baseline and (paths or since is not None):
        raise ConfigError("--update-baseline records the whole repository's findings",
                          hint="run `dbrun lint --update-baseline` without PATHS or --since")
    root = settings.root
    findings: list[Finding] = []
    if since is not None:
        changes = changes_since(root, since)
        findings.extend(changes.immutable)
        targets = [rel for rel in changes.changed if is_lintable(rel) and (root / rel).is_file()]
        if paths:
            selected = set(select_files(root, paths))
            targets = [rel for rel in targets if rel in selected]
    else:
        targets = select_files(root, paths) if paths else all_files(root)

    texts = {rel: read_source(root, rel) for rel in targets}
    cache = LintCache.open(root, use_cache)
    findings.extend(sql_findings(settings, texts, cache))
    cache.save(prune=not paths and since is None)
    findings.extend(timeout_findings(settings, texts))
    findings.extend(_only(repository_findings(settings), None if paths is None and since is None else texts))

    comments: list[Noqa] = []
    for rel, text in texts.items():
        parsed, malformed = parse_noqa(rel, text)
        comments.extend(parsed)
        findings.extend(malformed)
    # Twins go first, so that a noqa naming the dbrun code silences the problem, not half of it.
    kept, silenced = apply_noqa(deduplicate(set(findings), texts), comments)
    kept = selection.apply(kept, settings.lint)
    report = LintReport(
        findings=sorted(kept, key=Finding.sort_key),
        silenced=sorted(silenced, key=lambda s: s.finding.sort_key()),
        files=sorted(targets),
        show_silenced=show_silenced,
    )
    return _against_baseline(report, settings, _LineReader(root, texts), update_baseline)


def _against_baseline(report: LintReport, settings: Settings, lines: _LineReader, update: bool) -> LintReport:
    path = settings.root / settings.lint.baseline
    if update:
        report.baselined = baseline.write(path, report.findings, lines)
        report.baseline_written = settings.lint.baseline
        report.findings = []
        return report
    outcome = baseline.split(report.findings, baseline.load(path), lines)
    report.findings, report.baselined, report.stale_baseline = outcome.new, outcome.baselined, outcome.stale
    return report


class _LineReader:
    """The text of a finding's line (for the baseline), from the linted texts or the file."""

    def __init__(self, root: Path, texts: dict[Path, str]) -> None:
        self.root = root
        self._lines = {rel: text.splitlines() for rel, text in texts.items()}

    def __call__(self, path: Path, line: int) -> str:
        if path not in self._lines:
            try:
                self._lines[path] = (self.root / path).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._lines[path] = []
        lines = self._lines[path]
        return lines[line - 1] if 0 < line <= len(lines) else ""


def all_files(root: Path) -> list[Path]:
    found: list[Path] = []
    for folder in LINTED_DIRS:
        if (root / folder).is_dir():
            found.extend(p.relative_to(root) for p in (root / folder).rglob("*") if p.is_file())
    return sorted(rel for rel in found if is_lintable(rel))


def select_files(root: Path, paths: list[Path]) -> list[Path]:
    """The lintable files named by `paths` (files or folders, relative to the cwd or absolute)."""
    selected: set[Path] = set()
    for given in paths:
        path = given if given.is_absolute() else Path.cwd() / given
        if not path.exists() and (root / given).exists():
            path = root / given
        if not path.exists():
            raise ConfigError(f"{given}: no such file or folder",
                              hint="pass paths of SQL files in the repository")
        try:
            rel = path.resolve().relative_to(root)
        except ValueError as exc:
            raise ConfigError(f"{given} is outside the repository {root}",
                              hint="pass files under sql/, policies/, views/ or seeds/") from exc
        candidates = [p.relative_to(root) for p in (root / rel).rglob("*") if p.is_file()] if path.is_dir() \
            else [rel]
        selected.update(c for c in candidates if is_lintable(c))
    return sorted(selected)


def read_source(root: Path, rel: Path) -> str:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""  # load_repository reports it as SRC-ENCODING with the byte's line


def _only(findings: list[Finding], texts: dict[Path, str] | None) -> list[Finding]:
    """Repository findings restricted to the selected files (all of them for a whole-repository lint)."""
    if texts is None:
        return findings
    return [f for f in findings if f.path in texts]
