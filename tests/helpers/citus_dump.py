"""A node's schema as pg_dump prints it, for before/after comparisons on the Citus cluster."""

from __future__ import annotations

import subprocess


def schema_dump(url: str) -> str:
    """The database's schema (pg_dump --schema-only), without pg_dump's per-run \\restrict key."""
    dump = subprocess.run(["pg_dump", "--schema-only", url], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))
