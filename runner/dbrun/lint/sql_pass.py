"""The per-file pass: sqlfluff (dbrun's plugin rules) and Squawk over each file's SQL, through the cache.

Only files whose key is not in the cache are linted; sqlfluff is imported only when one is (its
import alone is a third of a warm run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from dbrun.config import Settings
from dbrun.errors import ProblemsFound
from dbrun.lint.cache import LintCache, environment_digest, file_key
from dbrun.lint.findings import Finding
from dbrun.lint.squawk import SquawkInput, run_squawk
from dbrun.lint.worktree import squawk_text, transactional
from dbrun.source import DOWN_DIR, UP_DIR, render_template

# DR02 reads the policies/ folder and later up files' DROP TABLEs; only a file that may create a
# tenant table needs them in its key (a cheap over-approximation: never stale, rarely too wide).
_MAY_CREATE_TENANT_TABLE = re.compile(r"\bCREATE\b[^;]*\bTABLE\b[^;]*\borganization_id\b", re.I | re.S)
_DROP_TABLE = re.compile(r"\bDROP\s+TABLE\b[^;]*", re.I)


@dataclass(frozen=True)
class SqlSource:
    rel: Path
    text: str  # what the engines read: the file, or a template's rendering
    transactional: bool
    rendered: bool


def sql_findings(settings: Settings, texts: dict[Path, str], cache: LintCache) -> list[Finding]:
    """sqlfluff and Squawk findings for the files (templates are rendered first)."""
    root = settings.root
    policies_dir = root / "policies"
    sources = [source for rel, text in texts.items() if (source := _source(settings, rel, text)) is not None]
    environment = environment_digest(root, settings.frozen_tables, policies_dir)
    context = _Context(root, policies_dir)
    keys = {s.rel: file_key(environment, s.rel, s.text, context.of(s)) for s in sources}
    findings: list[Finding] = []
    misses: list[SqlSource] = []
    for source in sources:
        cached = cache.get(keys[source.rel])
        if cached is None:
            misses.append(source)
        else:
            findings.extend(cached)
    fresh = _lint(settings, policies_dir, misses)
    for source in misses:
        cache.put(keys[source.rel], fresh.get(source.rel, []))
        findings.extend(fresh.get(source.rel, []))
    return findings


def _source(settings: Settings, rel: Path, text: str) -> SqlSource | None:
    if not rel.name.endswith(".j2"):
        return SqlSource(rel, text, transactional(settings.root, rel, text), rendered=False)
    try:
        rendered = render_template(settings.root, settings.root / rel, settings.template_vars)
    except ProblemsFound:
        return None  # load_repository reports the template error with its line
    return SqlSource(rel, rendered, True, rendered=True)


def _lint(settings: Settings, policies_dir: Path, sources: list[SqlSource]) -> dict[Path, list[Finding]]:
    if not sources:
        return {}
    from dbrun.lint.fluff import LinterOptions, lint_sources  # imports sqlfluff: only on a cache miss

    root = settings.root
    options = LinterOptions(root, policies_dir, tuple(settings.frozen_tables))
    per_file = lint_sources(options, [(root / s.rel, s.text) for s in sources])
    found: dict[Path, list[Finding]] = {s.rel: list(f) for s, f in zip(sources, per_file, strict=True)}
    squawk = run_squawk(root, [_squawk_input(s) for s in sources])
    for finding in squawk:
        found.setdefault(finding.path, []).append(finding)
    return found


def _squawk_input(source: SqlSource) -> SquawkInput:
    """A batch file goes to Squawk with its :size and :last bound (Squawk cannot parse the placeholders),
    on stdin like a template's rendering; the lines stay where they are, so positions still match."""
    bound = None if source.rendered else squawk_text(source.rel, source.text)
    if bound is None:
        return SquawkInput(source.rel, source.transactional, source.text, source.rendered)
    return SquawkInput(source.rel, source.transactional, bound, rendered=True)


class _Context:
    """What a file's cross-file rules read, as strings for its cache key."""

    def __init__(self, root: Path, policies_dir: Path) -> None:
        self.root = root
        self.policies_dir = policies_dir
        self._policies: str | None = None
        self._drops: list[tuple[str, str]] | None = None

    def of(self, source: SqlSource) -> list[str]:
        items: list[str] = []
        if source.rel.parent == DOWN_DIR:
            # DF01 lets a down file undo what its own up file added.
            up = self.root / UP_DIR / source.rel.name
            items.append(up.read_text(encoding="utf-8", errors="replace") if up.is_file() else "<no up>")
        if _MAY_CREATE_TENANT_TABLE.search(source.text):
            items.append(self.policies())
            items.extend(drops for name, drops in self.drops() if name > source.rel.name)
        return items

    def policies(self) -> str:
        if self._policies is None:
            names = sorted(p.name for p in self.policies_dir.iterdir()) if self.policies_dir.is_dir() else []
            self._policies = "\n".join(names)
        return self._policies

    def drops(self) -> list[tuple[str, str]]:
        if self._drops is None:
            folder = self.root / UP_DIR
            ups = sorted(folder.glob("*.sql")) if folder.is_dir() else []
            self._drops = [(up.name, "\n".join(_DROP_TABLE.findall(up.read_text(encoding="utf-8", errors="replace"))))
                           for up in ups]
        return self._drops
