"""The errors dbrun expects, each carrying the exit code the CLI maps it to.

Exit codes (DESIGN.md): 0 success, 1 checks or lint found problems, 2 usage or configuration
error, 3 a migration failed, 4 lock not acquired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_MIGRATION_FAILED = 3
EXIT_LOCK = 4


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the repository or the history, with where it is and how to fix it."""

    code: str
    message: str
    path: Path | None = None
    line: int | None = None
    hint: str | None = None

    def location(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)


class DbrunError(Exception):
    """Base of every expected failure: the CLI prints it without a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(DbrunError):
    exit_code = EXIT_USAGE


class ConnectionFailed(DbrunError):
    exit_code = EXIT_USAGE


class LocalClusterError(DbrunError):
    exit_code = EXIT_USAGE


class UnsupportedServer(DbrunError):
    """The server (or the local server binaries) is older than the oldest PostgreSQL dbrun supports."""

    exit_code = EXIT_USAGE


class ProblemsFound(DbrunError):
    """Pre-checks refused the run: nothing was applied."""

    exit_code = EXIT_PROBLEMS

    def __init__(self, message: str, problems: list[Problem]) -> None:
        super().__init__(message)
        self.problems = problems


class LockNotAcquired(DbrunError):
    exit_code = EXIT_LOCK


class UsageProblems(ProblemsFound):
    """A command asked for something that does not exist or cannot be (an unknown --to, --steps 0)."""

    exit_code = EXIT_USAGE


class RollbackNotConfirmed(DbrunError):
    """`down` on a database not marked development, declined (or no terminal to ask and no --yes)."""

    exit_code = EXIT_USAGE


class ConnectionLost(DbrunError):
    """The server went away during a run (terminated backend, shutdown, network)."""

    exit_code = EXIT_MIGRATION_FAILED


EXIT_INTERRUPTED = 130  # the shell's convention for SIGINT


class Interrupted(DbrunError):
    """Ctrl-C during a run; the message says what was committed and how to go on."""

    exit_code = EXIT_INTERRUPTED


@dataclass
class StatementError:
    """Where and why PostgreSQL refused a statement of a migration file."""

    path: Path
    line: int
    sqlstate: str | None
    message: str
    detail: str | None = None
    hint: str | None = None
    context: str | None = None
    excerpt: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class MigrationFailed(DbrunError):
    """A migration, repeatable or seed failed. `partially_applied`: statements before the failing one
    were committed (a non-transactional file runs each in autocommit); otherwise nothing was."""

    exit_code = EXIT_MIGRATION_FAILED

    def __init__(self, message: str, error: StatementError, hint: str | None = None, *,
                 partially_applied: bool = False) -> None:
        super().__init__(message, hint or error.hint)
        self.error = error
        # True when statements of the failed (non-transactional) migration were committed before it
        # stopped; False when its transaction was rolled back and nothing of it remains.
        self.partially_applied = partially_applied


class DatabaseError(DbrunError):
    """A database error outside any migration (dbrun's own queries)."""

    exit_code = EXIT_MIGRATION_FAILED


def from_environment(error: Exception) -> DbrunError:
    """A database or file-system exception that reached the command line, as a message and exit code."""
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return ConfigError(f"file system error{where}: {error.strerror or error}",
                           hint="check the path and its permissions")
    if sqlstate is None or sqlstate.startswith(("08", "57")):  # connection exceptions, operator intervention
        return ConnectionLost(f"the connection to the database failed or was lost: {str(error).strip()}",
                              hint="see `dbrun status` once the server is reachable, then run the command again")
    return DatabaseError(f"the database refused a request of dbrun: SQLSTATE {sqlstate}: {str(error).strip()}",
                         hint="check the runner's privileges on the database and its `dbrun` schema")
