"""The working tree as the lint sees it: which files it reads, what changed since a git revision
(and which applied migrations that touched), and the findings only dbrun knows: loading problems
and disabled timeouts. The SQL rules themselves are in rules_*.py.

File names, up/down pairs, versions, encoding, directives and BEGIN/COMMIT come from
dbrun.source.load_repository, the same validation `dbrun up` refuses to run without.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from dbrun.config import Settings
from dbrun.errors import ConfigError, ProblemsFound
from dbrun.lint.findings import Finding, Severity
from dbrun.source import DOWN_DIR, UP_DIR, bind_batch, load_repository, parse_directives, read_directives

CODE_IMMUTABLE = "LINT-IMMUTABLE"
CODE_TIMEOUT = "LINT-TIMEOUT"
LINTED_DIRS = (Path("sql"), Path("policies"), Path("views"), Path("seeds"))


def repository_findings(settings: Settings) -> list[Finding]:
    """Every problem load_repository finds, as findings (line 1 when it names no line)."""
    try:
        load_repository(settings.root, settings.template_vars)
    except ProblemsFound as found:
        return [
            Finding(problem.path or Path("."), problem.line or 1, 1, problem.code, problem.message,
                    fix=problem.hint, source="dbrun")
            for problem in found.problems
        ]
    return []


def is_migration(rel: Path) -> bool:
    return rel.parent in (UP_DIR, DOWN_DIR)


def is_lintable(rel: Path) -> bool:
    """SQL the lint reads: .sql and rendered .sql.j2 under sql/, policies/, views/, seeds/ (not macros)."""
    if not rel.parts or Path(rel.parts[0]) not in LINTED_DIRS:
        return False
    if rel.name.endswith(".sql.j2"):
        return not rel.name.startswith("_")
    return rel.suffix == ".sql"


def transactional(root: Path, rel: Path, text: str) -> bool:
    """Whether the runner wraps the file in a transaction (only migrations can opt out; a batch file
    runs each batch in one)."""
    if not is_migration(rel):
        return True
    directives = parse_directives(text, rel)
    return directives.transactional or directives.batch is not None


def squawk_text(rel: Path, text: str) -> str | None:
    """What Squawk should read instead of the file, or None for the file itself: a batch file's
    statement with its :size and :last bound (Squawk cannot parse the placeholders)."""
    if not is_migration(rel):
        return None
    batch = parse_directives(text, rel).batch
    return bind_batch(text, batch.size, None) if batch is not None else None


def timeout_findings(settings: Settings, files: dict[Path, str]) -> list[Finding]:
    """Migrations that would run with no lock or statement timeout (0 disables the limit)."""
    findings = []
    for key, setting in (("lock_timeout", settings.lock_timeout_ms),
                         ("statement_timeout", settings.statement_timeout_ms)):
        if setting == 0:
            findings.append(Finding(Path("pyproject.toml"), 1, 1, CODE_TIMEOUT,
                                    f"[tool.dbrun] {key} = 0 runs every migration with no {key}",
                                    fix=f"set {key} to a duration such as 5s; override per file if needed"))
    for rel, text in files.items():
        if not is_migration(rel):
            continue
        directives = parse_directives(text, rel)
        for key, value in (("lock_timeout", directives.lock_timeout_ms),
                           ("statement_timeout", directives.statement_timeout_ms)):
            if value == 0:
                findings.append(Finding(rel, _directive_line(text, key), 1, CODE_TIMEOUT,
                                        f"`{key}=0` runs this migration with no {key}: it can queue "
                                        "behind a long transaction and block every query after it",
                                        fix=f"give {key} a bounded duration (e.g. {key}=30s)"))
    return findings


def _directive_line(text: str, key: str) -> int:
    return next((d.line for d in read_directives(text) if d.key == key), 1)


@dataclass(frozen=True)
class Changes:
    changed: list[Path]  # added or modified since the revision, plus untracked files
    immutable: list[Finding]  # migrations that existed at the revision and were changed or deleted


def changes_since(root: Path, revision: str) -> Changes:
    """Files changed between `revision` and the working tree, relative to the repository root."""
    _git(root, ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"],
         f"--since {revision}: not a commit in this repository",
         "pass a branch, tag or commit that exists here, e.g. origin/main (fetch it first in CI)")
    diff = _git(root, ["diff", "--relative", "--name-status", "--no-renames", revision, "--"],
                f"cannot compare with {revision}", "check the revision with `git log`")
    untracked = _git(root, ["ls-files", "--others", "--exclude-standard"],
                     "cannot list untracked files", "check the repository with `git status`")
    changed: list[Path] = []
    immutable: list[Finding] = []
    for line in diff.splitlines():
        status, _, name = line.partition("\t")
        rel = Path(name)
        if status.startswith(("M", "D", "T")) and is_migration(rel):
            immutable.append(_immutable(rel, revision, deleted=status.startswith("D")))
        if not status.startswith("D"):
            changed.append(rel)
    changed.extend(Path(name) for name in untracked.splitlines() if name)
    return Changes(sorted(set(changed)), immutable)


def _immutable(rel: Path, revision: str, deleted: bool) -> Finding:
    what = "deleted" if deleted else "changed"
    return Finding(rel, 1, 1, CODE_IMMUTABLE,
                   f"migration existed at {revision} and was {what}: applied migrations are immutable; "
                   "add a new one", Severity.ERROR,
                   fix=f"restore it with `git checkout {revision} -- {rel.as_posix()}` and write the change "
                       "as a new migration (`dbrun new SLUG`)")


def _git(root: Path, args: list[str], failure: str, hint: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False,
                              timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"{failure}: cannot run git ({exc})", hint="install git or drop --since") from exc
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise ConfigError(f"{failure} ({detail})", hint=hint)
    return done.stdout
