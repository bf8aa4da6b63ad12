"""The migrations of issue 19 (202611291400-1410: the ingest role, the validation trigger as owner,
the monthly rollups; 202611301100: the trailing year's totals) go down and up again on a database
with rollups: the schema comes back byte-identical and the monthly rows and totals are rebuilt; the
third pass (202611301200-1210) goes down to exactly what 202611301100 defined."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.helpers.schema import REPO_ROOT, Conn

FIRST = "202611291400"
MONTHS = "SELECT organization_id::text, month, requests, errors, tokens_in, tokens_out, cost FROM usage.monthly_rollups " \
         "ORDER BY 1, 2"


def _version_before(first: str) -> str:
    return max(p.name[:12] for p in (REPO_ROOT / "sql" / "up").glob("*.sql") if p.name[:12] < first)


def test_issue_19_migrations_go_down_and_up_to_the_same_schema_and_months(seeded: Conn, product_url: str,
                                                                           dbrun_cli: Any, pg_dump_schema: Any) -> None:
    seeded.commit()  # the seed's refresh filled the monthly rollups
    months = seeded.execute(MONTHS).fetchall()
    seeded.rollback()
    assert months
    before = pg_dump_schema(product_url)
    down = dbrun_cli("down", "--to", _version_before(FIRST), "--yes", url=product_url)
    assert down.exit_code == 0, down.stdout + down.stderr
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('usage.monthly_rollups')").fetchone()[0] is None
        assert conn.execute("""SELECT count(*) FROM pg_policy WHERE polname = 'events_insert_ingest'""").fetchone()[0] == 0
        conn.execute("SET ROLE app_ro")  # the report reads the daily rollups again
        assert conn.execute("SELECT count(*) FROM usage.top_organizations_by_cost('2026-10-01', '2026-11-30')"
                            ).fetchone()[0] == 2
    up = dbrun_cli("up", url=product_url)
    assert up.exit_code == 0, up.stdout + up.stderr
    assert pg_dump_schema(product_url) == before
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute(MONTHS).fetchall() == months


TOTALS = "SELECT organization_id::text, window_start, requests, errors, cost FROM usage.trailing_year_totals ORDER BY 1"


def test_trailing_year_totals_go_down_and_up_to_the_same_schema_and_totals(seeded: Conn, product_url: str,
                                                                           dbrun_cli: Any, pg_dump_schema: Any) -> None:
    seeded.commit()  # the seed's refresh filled the rollups and the totals
    totals = seeded.execute(TOTALS).fetchall()
    seeded.rollback()
    before = pg_dump_schema(product_url)
    down = dbrun_cli("down", "--to", _version_before("202611301100"), "--yes", url=product_url)
    assert down.exit_code == 0, down.stdout + down.stderr
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('usage.trailing_year_totals')").fetchone()[0] is None
        conn.execute("SET ROLE app_ro")  # the report sums the monthly rollups again
        assert conn.execute("SELECT count(*) FROM usage.top_organizations_by_cost('2026-10-01', '2026-11-30')"
                            ).fetchone()[0] == 2
    up = dbrun_cli("up", url=product_url)
    assert up.exit_code == 0, up.stdout + up.stderr
    assert pg_dump_schema(product_url) == before
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute(TOTALS).fetchall() == totals


THIRD_PASS = """
    SELECT 'function', p.oid::regprocedure::text, pg_get_functiondef(p.oid), obj_description(p.oid, 'pg_proc')
    FROM pg_proc AS p
    WHERE p.oid IN ('usage.refresh_rollups(integer)'::regprocedure, 'usage.tg_events_validate()'::regprocedure)
    UNION ALL
    SELECT 'table', c.oid::regclass::text, coalesce(array_to_string(c.reloptions, ','), ''),
           obj_description(c.oid, 'pg_class')
    FROM pg_class AS c
    WHERE c.oid IN ('usage.daily_rollups'::regclass, 'usage.monthly_rollups'::regclass, 'usage.rollup_marks'::regclass)
    UNION ALL
    SELECT 'column', 'usage.rollup_marks.marked_at', '', col_description('usage.rollup_marks'::regclass, 4)
    ORDER BY 1, 2"""


def test_third_pass_migrations_go_down_to_exactly_what_202611301100_defined(product_url: str, db_url: str,
                                                                            dbrun_cli: Any) -> None:
    """202611301200-1210 down restore the refresh, the validation, the storage parameters and the
    comments a database migrated only to 202611301100 has."""
    down = dbrun_cli("down", "--to", "202611301100", "--yes", url=product_url)
    assert down.exit_code == 0, down.stdout + down.stderr
    up = dbrun_cli("up", "--to", "202611301100", url=db_url)
    assert up.exit_code == 0, up.stdout + up.stderr
    with psycopg.connect(product_url, autocommit=True) as downed, psycopg.connect(db_url, autocommit=True) as built:
        assert downed.execute(THIRD_PASS).fetchall() == built.execute(THIRD_PASS).fetchall()
