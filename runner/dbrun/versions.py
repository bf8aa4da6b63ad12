"""Which PostgreSQL versions dbrun supports: one rule, for the local server binaries and for any server.

The schema needs PostgreSQL 15: its views are `security_invoker`, so row-level security applies to
the role querying a view rather than to the view's owner, and that view option arrived in 15. (15
also brought `ON DELETE SET NULL (column)`, the form a composite tenant foreign key needs to null only
its non-tenant column.)
"""

from __future__ import annotations

from dbrun.errors import UnsupportedServer

MIN_MAJOR = 15
WHY_MIN = "the schema's views are security_invoker (row-level security applies to whoever queries them)"


def major_of(version_num: int) -> int:
    """The major version of a `server_version_num` (150004 -> 15, 90624 -> 9)."""
    return version_num // 10000


def require_supported(major: int, version: str, what: str, fix: str) -> None:
    """Refuse a PostgreSQL older than MIN_MAJOR; `what` names the server or binaries, `fix` says what to do."""
    if major < MIN_MAJOR:
        raise UnsupportedServer(f"{what} is PostgreSQL {version}; dbrun needs PostgreSQL {MIN_MAJOR} or newer "
                                f"because {WHY_MIN}", hint=fix)
