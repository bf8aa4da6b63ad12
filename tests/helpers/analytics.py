"""Helpers for the usage analytics tests: seeded identities and queries that compare the rollups with
the raw events they summarise."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from tests.helpers.schema import Conn

MODEL = "0d0d0d0d-0000-4000-8000-000000000001"  # seeds/10_models.sql: 0.00015 / 0.0006 USD per 1k tokens
UNREGISTERED_MODEL = "0d0d0d0d-0000-4000-8000-0000000000ff"
KEY_A = "aaaaaaaa-0000-4000-8000-0000000000a1"
KEY_B = "bbbbbbbb-0000-4000-8000-0000000000a1"
IN_PRICE = Decimal("0.000150")
OUT_PRICE = Decimal("0.000600")

# The statement the gateway sends as app_ingest: a batch as column arrays, a retry stored once. ON CONFLICT
# names no arbiter: naming one needs SELECT on its columns, which app_ingest does not hold (pk_events
# is the table's only unique key, so the two mean the same).
INGEST = ("INSERT INTO usage.events (organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, "
          "tokens_out, latency_ms, cost) SELECT * FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::uuid[], "
          "%s::uuid[], %s::text[], %s::int[], %s::int[], %s::int[], %s::numeric[]) "
          "ON CONFLICT DO NOTHING")


def cost_of(tokens_in: int, tokens_out: int) -> Decimal:
    return ((tokens_in * IN_PRICE + tokens_out * OUT_PRICE) / 1000).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


_RAW_HOURLY = """
    SELECT organization_id, date_trunc('hour', occurred_at, 'UTC') AS hour_start, model_id, count(*) AS requests,
           count(*) FILTER (WHERE status <> 'success') AS errors, sum(tokens_in) AS tokens_in,
           sum(tokens_out) AS tokens_out, sum(latency_ms) AS latency_ms_sum, max(latency_ms) AS latency_ms_max,
           sum(cost) AS cost
    FROM usage.events GROUP BY 1, 2, 3"""
_COLS = ("organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out, latency_ms_sum, "
         "latency_ms_max, cost")
_DCOLS = _COLS.replace("hour_start", "day")


def hourly_mismatches(conn: Conn, clean_only: bool = False) -> list[Any]:
    """Rows in raw-derived hourly totals and not in usage.hourly_rollups, and the reverse.

    clean_only: ignore buckets still queued in usage.rollup_marks (they may legitimately be stale).
    """
    dirty = ("WHERE NOT EXISTS (SELECT FROM usage.rollup_dirty_buckets d WHERE d.organization_id = x.organization_id "
             "AND d.hour_start = x.hour_start)") if clean_only else ""
    return conn.execute(f"""
        (SELECT 'missing', * FROM (SELECT * FROM ({_RAW_HOURLY}) r
                                   EXCEPT SELECT {_COLS} FROM usage.hourly_rollups) x {dirty})
        UNION ALL
        (SELECT 'extra', * FROM (SELECT {_COLS} FROM usage.hourly_rollups EXCEPT SELECT * FROM ({_RAW_HOURLY}) r) x {dirty})
        LIMIT 20""").fetchall()


def daily_mismatches(conn: Conn) -> list[Any]:
    raw_daily = f"""
        SELECT organization_id, (hour_start AT TIME ZONE 'UTC')::date AS day, model_id, sum(requests), sum(errors),
               sum(tokens_in), sum(tokens_out), sum(latency_ms_sum), max(latency_ms_max), sum(cost)
        FROM ({_RAW_HOURLY}) h GROUP BY 1, 2, 3"""
    return conn.execute(f"""
        (SELECT 'missing', * FROM ({raw_daily} EXCEPT SELECT {_DCOLS} FROM usage.daily_rollups) x)
        UNION ALL
        (SELECT 'extra', * FROM (SELECT {_DCOLS} FROM usage.daily_rollups EXCEPT {raw_daily}) x)
        LIMIT 20""").fetchall()


def raw_totals(conn: Conn) -> tuple[Any, ...]:
    return tuple(conn.execute(
        """SELECT count(*), count(*) FILTER (WHERE status <> 'success'), coalesce(sum(tokens_in), 0),
                  coalesce(sum(tokens_out), 0), coalesce(sum(latency_ms), 0), coalesce(sum(cost), 0)
           FROM usage.events""").fetchone())


def rollup_totals(conn: Conn, table: str = "usage.hourly_rollups") -> tuple[Any, ...]:
    return tuple(conn.execute(
        f"""SELECT coalesce(sum(requests), 0), coalesce(sum(errors), 0), coalesce(sum(tokens_in), 0),
                   coalesce(sum(tokens_out), 0), coalesce(sum(latency_ms_sum), 0), coalesce(sum(cost), 0)
            FROM {table}""").fetchone())


_RAW_MONTHLY = """
    SELECT organization_id, date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date AS month, count(*) AS requests,
           count(*) FILTER (WHERE status <> 'success') AS errors, sum(tokens_in) AS tokens_in,
           sum(tokens_out) AS tokens_out, sum(cost) AS cost
    FROM usage.events GROUP BY 1, 2"""
_MCOLS = "organization_id, month, requests, errors, tokens_in, tokens_out, cost"


def monthly_mismatches(conn: Conn) -> list[Any]:
    """Rows in raw-derived monthly totals and not in usage.monthly_rollups, and the reverse."""
    return conn.execute(f"""
        (SELECT 'missing', * FROM ({_RAW_MONTHLY} EXCEPT SELECT {_MCOLS} FROM usage.monthly_rollups) x)
        UNION ALL
        (SELECT 'extra', * FROM (SELECT {_MCOLS} FROM usage.monthly_rollups EXCEPT {_RAW_MONTHLY}) x)
        LIMIT 20""").fetchall()


def raw_top_organizations(conn: Conn, first: Any, last: Any, limit: int) -> list[Any]:
    """usage.top_organizations_by_cost() computed from the raw events of the UTC days [first, last]."""
    return conn.execute(
        """SELECT organization_id, count(*), count(*) FILTER (WHERE status <> 'success'), sum(cost)
           FROM usage.events WHERE (occurred_at AT TIME ZONE 'UTC')::date BETWEEN %s AND %s
           GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT %s""", (first, last, limit)).fetchall()


_RAW_TRAILING_YEAR = """
    SELECT e.organization_id, w.window_start, count(*) AS requests, count(*) FILTER (WHERE e.status <> 'success') AS errors,
           sum(e.cost) AS cost
    FROM usage.events AS e
    CROSS JOIN (SELECT usage.trailing_year_start(now()) AS window_start) AS w
    WHERE (e.occurred_at AT TIME ZONE 'UTC')::date >= w.window_start
      AND (e.occurred_at AT TIME ZONE 'UTC')::date < (w.window_start + interval '12 months')::date
    GROUP BY 1, 2"""
_TCOLS = "organization_id, window_start, requests, errors, cost"


def trailing_year_mismatches(conn: Conn) -> list[Any]:
    """Rows in raw-derived totals of the current trailing year and not in usage.trailing_year_totals,
    and the reverse."""
    return conn.execute(f"""
        (SELECT 'missing', * FROM ({_RAW_TRAILING_YEAR} EXCEPT SELECT {_TCOLS} FROM usage.trailing_year_totals) x)
        UNION ALL
        (SELECT 'extra', * FROM (SELECT {_TCOLS} FROM usage.trailing_year_totals EXCEPT {_RAW_TRAILING_YEAR}) x)
        LIMIT 20""").fetchall()


def trailing_year(conn: Conn) -> tuple[Any, Any]:
    """The current trailing year as the UTC days [first, last]."""
    return tuple(conn.execute("""SELECT w, (w + interval '12 months')::date - 1
                                 FROM usage.trailing_year_start(now()) AS w""").fetchone())
