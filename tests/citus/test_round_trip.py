"""`dbrun down` then `dbrun up` on the distributed cluster gives the schema back, as far back as the chain
can go there.

The newest migrations roll back and apply again on Citus. The floor is 202611291641
(messages_conversation_backfill): applying it again runs a batched UPDATE of conversational.messages
that calls a VOLATILE function, which Citus refuses on a distributed table (0A000), and the down of
202611291620 sets the distribution column to NULL (docs/scale-out.md, "Known gaps").
"""

from __future__ import annotations

import subprocess

from dbrun import api
from dbrun.config import Settings
from tests.helpers.runner import query

FLOOR = "202611291641"


def schema_dump(url: str) -> str:
    """The coordinator's schema as pg_dump prints it, without pg_dump's per-run \\restrict key."""
    dump = subprocess.run(["pg_dump", "--schema-only", url], capture_output=True, text=True,
                          check=True).stdout
    return "\n".join(line for line in dump.splitlines() if not line.startswith(("\\restrict", "\\unrestrict")))


def test_down_to_the_floor_then_up_gives_the_same_schema(citus_url: str, citus_settings: Settings) -> None:
    before = schema_dump(citus_url)
    newer = query(citus_url, "SELECT count(*) FROM dbrun.migrations WHERE version > %s", FLOOR)[0][0]

    down = api.down(citus_settings, to=FLOOR)
    assert down.result is not None
    assert len(down.result.migrations) == newer >= 4
    assert query(citus_url, "SELECT max(version) FROM dbrun.migrations")[0][0] == FLOOR

    up = api.up(citus_settings)
    assert up.result is not None
    assert [m.version for m in up.result.migrations] == [m.version for m in reversed(down.result.migrations)]
    assert schema_dump(citus_url) == before
