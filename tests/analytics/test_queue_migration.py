"""202611231140 (usage_rollup_marks) replaced the dirty-bucket queue of 202611231110 on databases
that may hold queued buckets: they must survive the move in both directions, and its down must give
back the schema it found."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.helpers.schema import Conn

QUEUED = "SELECT organization_id::text, hour_start FROM usage.rollup_dirty_buckets ORDER BY 1, 2"


def test_queued_buckets_survive_down_and_up_of_the_queue_migration(seeded: Conn, product_url: str, dbrun_cli: Any,
                                                                   pg_dump_schema: Any) -> None:
    seeded.commit()  # the seed leaves corrected buckets queued
    queued = seeded.execute(QUEUED).fetchall()
    seeded.rollback()  # holds no lock on the view while the migration drops it
    assert queued
    before = pg_dump_schema(product_url)
    down = dbrun_cli("down", "--to", "202611231130", "--yes", url=product_url)
    assert down.exit_code == 0, down.stdout + down.stderr
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('usage.rollup_marks')").fetchone()[0] is None
        assert conn.execute("""SELECT organization_id::text, hour_start FROM usage.rollup_dirty_hours
                               ORDER BY 1, 2""").fetchall() == queued
        assert conn.execute("SELECT count(*) FROM pg_policy WHERE polrelid = 'usage.rollup_dirty_hours'::regclass"
                            ).fetchone()[0] == 5
    up = dbrun_cli("up", url=product_url)
    assert up.exit_code == 0, up.stdout + up.stderr
    assert pg_dump_schema(product_url) == before
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute(QUEUED).fetchall() == queued
