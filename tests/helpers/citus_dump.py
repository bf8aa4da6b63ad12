"""A node's schema as pg_dump prints it, for before/after comparisons on the Citus cluster."""

from __future__ import annotations

import re
import subprocess


def schema_dump(url: str) -> str:
    """The database's schema (pg_dump --schema-only), without pg_dump's per-run \\restrict key."""
    dump = subprocess.run(["pg_dump", "--schema-only", url], capture_output=True, text=True, check=True).stdout
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def dump_objects(dump: str) -> dict[str, str]:
    """A schema dump as its objects: pg_dump's `-- Name: …; Type: …; Schema: …; Owner: …` header -> the
    object's text, with shard ids taken out (`users_102041` -> `users_<shard>`; a table created again
    gets new shards, with new ids)."""
    objects: dict[str, str] = {}
    header = "preamble"
    for line in re.sub(r"_\d{6,}\b", "_<shard>", dump).splitlines():
        if line.startswith("-- Name: "):
            header = line.removeprefix("-- Name: ")
            continue
        objects[header] = objects.get(header, "") + line + "\n"
    return objects
