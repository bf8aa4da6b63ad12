"""`dbrun lint`: sqlfluff (dbrun's plugin rules), Squawk and dbrun's repository rules, one report.

    report = run_lint(settings, paths=None, since=None, show_silenced=False)
    text = render(report, "text")        # or "json", "github"
    exit code = report.exit_code         # 1 when any error remains, else 0
"""

from __future__ import annotations

from pathlib import Path

from dbrun.config import Settings, load_settings
from dbrun.errors import ConfigError, ProblemsFound
from dbrun.lint.findings import Finding, LintReport, Severity, Silenced
from dbrun.lint.fluff import lint_files, lint_text, make_linter
from dbrun.lint.noqa import Noqa, apply_noqa, parse_noqa
from dbrun.lint.render import OutputFormat, render
from dbrun.lint.squawk import SquawkInput, run_squawk
from dbrun.lint.worktree import (
    LINTED_DIRS,
    changes_since,
    is_lintable,
    repository_findings,
    timeout_findings,
    transactional,
)
from dbrun.source import render_template

__all__ = ["Finding", "LintReport", "OutputFormat", "Severity", "Silenced", "render", "run_lint"]


def run_lint(
    settings_or_root: Settings | Path,
    paths: list[Path] | None = None,
    since: str | None = None,
    show_silenced: bool = False,
) -> LintReport:
    """Lint the whole repository, the given files, or the files changed since a git revision."""
    settings = settings_or_root if isinstance(settings_or_root, Settings) else load_settings(settings_or_root)
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
    findings.extend(sql_findings(settings, texts))
    findings.extend(timeout_findings(settings, texts))
    findings.extend(_only(repository_findings(settings), None if paths is None and since is None else texts))

    comments: list[Noqa] = []
    for rel, text in texts.items():
        parsed, malformed = parse_noqa(rel, text)
        comments.extend(parsed)
        findings.extend(malformed)
    kept, silenced = apply_noqa(findings, comments)
    return LintReport(
        findings=sorted(set(kept), key=Finding.sort_key),
        silenced=sorted(silenced, key=lambda s: s.finding.sort_key()),
        files=sorted(targets),
        show_silenced=show_silenced,
    )


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


def sql_findings(settings: Settings, texts: dict[Path, str]) -> list[Finding]:
    """sqlfluff and Squawk findings for the files (templates are rendered first)."""
    root = settings.root
    linter = make_linter(root, root / "policies", settings.frozen_tables)
    plain = [rel for rel in texts if not rel.name.endswith(".j2")]
    findings = lint_files(linter, root, [root / rel for rel in plain])
    inputs = [SquawkInput(rel, transactional(root, rel, texts[rel])) for rel in plain]
    for rel in texts:
        if rel.name.endswith(".j2"):
            rendered = _render(settings, rel)
            if rendered is not None:
                findings.extend(lint_text(linter, root, root / rel, rendered))
                inputs.append(SquawkInput(rel, True, rendered))
    findings.extend(run_squawk(root, inputs))
    return findings


def _render(settings: Settings, rel: Path) -> str | None:
    try:
        return render_template(settings.root, settings.root / rel, settings.template_vars)
    except ProblemsFound:
        return None  # load_repository reports the template error with its line


def _only(findings: list[Finding], texts: dict[Path, str] | None) -> list[Finding]:
    """Repository findings restricted to the selected files (all of them for a whole-repository lint)."""
    if texts is None:
        return findings
    return [f for f in findings if f.path in texts]
