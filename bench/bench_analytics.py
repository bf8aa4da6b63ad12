"""Usage analytics at scale: ingest, rollup refresh, RLS overhead and query latency.

A private cluster (fsync off, shared_buffers 1GB), the whole repository applied by dbrun, then
`--scale` x (10 million events over 12 months for 100 000 organizations; 5 models, one API key per
organization), time-ordered like a live ingest stream. Measured, medians of `--runs`:

  ingest   COPY of the events file into usage.events (partitioned, 2 indexes, statement triggers)
           vs COPY of the same file into a bare table of the same columns (no index, no trigger),
           and with its triggers disabled: the cost of partitions, CHECKs and indexes alone);
  refresh  usage.refresh_rollups() of every bucket (hourly + daily; one call, batches of --batch
           buckets, and two workers in batches) vs a plain GROUP BY (organization, hour, model)
           over the same raw rows materialised in a table; then an hour of new events rolled up;
  RLS      the operational queries as app_rw (tenant set, RLS adds the filter) vs the table owner
           with the same filter written out (a role RLS does not apply to);
  P95      of those queries as app_rw over --orgs sampled organizations;
  12-month analytics over the daily rollups (usage by day, error rate by model; and the
           cross-tenant top organizations by cost as app_ro).

Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_analytics.py --scale 0.1 [--runs 3] [--orgs 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from dbrun import api
from dbrun.config import load_settings
from dbrun.local import LocalCluster

REPO = Path(__file__).resolve().parent.parent
SERVER = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "shared_buffers": "1GB",
          "work_mem": "64MB", "maintenance_work_mem": "512MB", "max_wal_size": "8GB", "checkpoint_timeout": "30min",
          "max_parallel_workers_per_gather": "2", "jit": "off"}
COLUMNS = ("organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, tokens_out, latency_ms, "
           "cost")


def org_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def key_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-9000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def set_insert_triggers(conn: psycopg.Connection[Any], action: str) -> None:
    for trigger in ("trg_events_validate_insert", "trg_events_mark_dirty_insert"):
        conn.execute(f"ALTER TABLE usage.events {action} TRIGGER {trigger}")


def refresh_in_batches(url: str, batch: int) -> None:
    """What a scheduled refresher does: bounded transactions until the queue is empty."""
    with psycopg.connect(url, autocommit=True) as conn:
        while conn.execute("SELECT buckets FROM usage.refresh_rollups(%s)", (batch,)).fetchone()[0]:
            pass


def parallel(work: Callable[[], None], workers: int) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised below, in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def setup(conn: psycopg.Connection[Any], orgs: int, events: int, data_file: Path) -> None:
    conn.execute("SET session_replication_role = replica")  # setup rows only: no audit rows, no FK triggers
    conn.execute(f"""INSERT INTO core.organizations (organization_id, slug, name, status, plan)
                     SELECT {org_uuid('k')}, 'org-' || k, 'Organization ' || k, 'active', 'team'
                     FROM generate_series(1, {orgs}) AS k""")
    conn.execute(f"""INSERT INTO core.users (organization_id, user_id, role, email_hmac)
                     SELECT {org_uuid('k')}, {org_uuid('k')}, 'owner', sha256(('user' || k)::bytea)
                     FROM generate_series(1, {orgs}) AS k""")
    conn.execute(f"""INSERT INTO core.api_keys (organization_id, api_key_id, user_id, name, prefix, secret_hash, scopes)
                     SELECT {org_uuid('k')}, {key_uuid('k')}, {org_uuid('k')}, 'bench', 'ak_' || lpad(to_hex(k), 12, '0'),
                            sha256(k::text::bytea), '{{inference:write}}'
                     FROM generate_series(1, {orgs}) AS k""")
    conn.execute("""INSERT INTO core.models (model_id, provider, name, version, context_window, input_cost_per_1k,
                                             output_cost_per_1k)
                    SELECT ('0d0d0d0d-0000-4000-8000-' || lpad(m::text, 12, '0'))::uuid, 'bench', 'model-' || m, '1',
                           128000, 0.0001 * m, 0.0004 * m
                    FROM generate_series(1, 5) AS m""")
    conn.execute("SET session_replication_role = origin")
    conn.execute("SELECT count(*) FROM usage.create_event_partitions(13, now() - interval '12 months')")
    # The events, time-ordered over the last 365 days; organizations drawn by a multiplicative hash.
    conn.execute(f"""
        COPY (
            SELECT {org_uuid('o.k')}, 'r' || g.i, now() - ((g.i::bigint * 2654435761) % (365 * 86400)) * interval '1 second',
                   m.model_id, {key_uuid('o.k')},
                   CASE WHEN g.i % 31 = 0 THEN 'server_error' WHEN g.i % 47 = 0 THEN 'timeout' ELSE 'success' END,
                   t.tin, t.tout, (g.i * 97) % 5000,
                   round((t.tin * m.input_cost_per_1k + t.tout * m.output_cost_per_1k) / 1000, 6)
            FROM generate_series(1, {events}) AS g (i)
            CROSS JOIN LATERAL (SELECT 1 + (g.i::bigint * 40503) % {orgs} AS k) AS o
            CROSS JOIN LATERAL (SELECT (g.i * 37) % 4000 AS tin, (g.i * 53) % 1500 AS tout) AS t
            JOIN core.models AS m ON m.model_id = ('0d0d0d0d-0000-4000-8000-' || lpad((1 + g.i % 5)::text, 12, '0'))::uuid
            ORDER BY 3
        ) TO '{data_file}'""")
    conn.execute(f"CREATE TABLE public.bare_events AS SELECT {COLUMNS} FROM usage.events WITH NO DATA")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="fraction of 10M events / 100k organizations")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--orgs", type=int, default=200, help="organizations sampled for the query latencies")
    parser.add_argument("--port", type=int, default=55434)
    parser.add_argument("--batch", type=int, default=50_000, help="buckets per refresh_rollups() call in batches")
    parser.add_argument("--refresh", default="one,batches,workers",
                        help="refresh ways to measure, comma-separated: one (call), batches, workers (2, in batches)")
    args = parser.parse_args()
    events = int(10_000_000 * args.scale)
    orgs = max(100, int(100_000 * args.scale))

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-analytics-"))
    work.chmod(0o777)  # the server (unprivileged when run as root) writes the data file here
    cluster = LocalCluster(work / "cluster", dbname=None, server_settings=SERVER, port=args.port)
    state = cluster.start()
    socket = quote(state.socket_dir, safe="/")
    url = f"postgresql://postgres@/bench?host={socket}&port={state.port}"
    report: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        report.append(line)

    try:
        with psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        api.up(load_settings(REPO, url))
        conn = psycopg.connect(url, autocommit=True)
        data_file = work / "events.copy"
        t = timed(lambda: setup(conn, orgs, events, data_file))
        version = conn.execute("SHOW server_version").fetchone()[0]
        say(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, PostgreSQL {version}; scale {args.scale}: {events:,} events, "
            f"{orgs:,} organizations (setup {t:.0f} s)")

        # Ingest: rotate which target goes first; each run starts from empty tables. "without
        # triggers" is usage.events with its statement triggers disabled: partitions, CHECKs and the two
        # indexes alone, the floor under validation and dirty marking.
        targets = ["usage.events", "usage.events without triggers", "bare table"]
        ingest: dict[str, list[float]] = {t: [] for t in targets}
        for run in range(args.runs):
            for target in targets[run % 3:] + targets[:run % 3]:
                conn.execute("TRUNCATE usage.events, usage.rollup_marks, public.bare_events")
                conn.execute("CHECKPOINT")
                table = "public.bare_events" if target == "bare table" else "usage.events"
                if target == "usage.events without triggers":
                    set_insert_triggers(conn, "DISABLE")
                ingest[target].append(timed(lambda table=table: conn.execute(
                    f"COPY {table} ({COLUMNS}) FROM '{data_file}'")))
                set_insert_triggers(conn, "ENABLE")
        e, n, b = (statistics.median(ingest[t]) for t in targets)
        say(f"ingest (COPY, median of {args.runs}): usage.events {e:.1f} s ({events / e:,.0f} rows/s), "
            f"bare table {b:.1f} s ({events / b:,.0f} rows/s): **{b / e:.2f}x** the bare rate (goal >= 0.5x); "
            f"without its triggers (partitions, CHECKs, 2 indexes) {n:.1f} s: {b / n:.2f}x")
        conn.execute("DROP TABLE public.bare_events")
        conn.execute("VACUUM ANALYZE usage.events")

        # Refresh of every bucket vs a plain GROUP BY over the same rows. Each run starts from empty
        # rollups with every bucket marked, as after a bulk load: the same work every time.
        def mark_everything() -> int:
            conn.execute("TRUNCATE usage.hourly_rollups, usage.daily_rollups, usage.rollup_marks")
            marked = conn.execute("SELECT usage.mark_rollups_dirty('-infinity', 'infinity')").fetchone()[0]
            conn.execute("VACUUM ANALYZE usage.rollup_marks, usage.hourly_rollups, usage.daily_rollups")
            conn.execute("CHECKPOINT")
            return int(marked)

        ways: dict[str, Callable[[], Any]] = {
            "one call": lambda: conn.execute("SELECT * FROM usage.refresh_rollups()"),
            "batches": lambda: refresh_in_batches(url, args.batch),
            "2 workers": lambda: parallel(lambda: refresh_in_batches(url, args.batch), 2),
        }
        chosen = {"one": "one call", "batches": "batches", "workers": "2 workers"}
        refresh: dict[str, list[float]] = {chosen[w]: [] for w in args.refresh.split(",")}
        group_by: list[float] = []
        dirty = 0
        for _ in range(args.runs):
            for way in refresh:
                dirty = mark_everything()
                refresh[way].append(timed(ways[way]))
            conn.execute("CHECKPOINT")
            group_by.append(timed(lambda: conn.execute(
                """CREATE TABLE public.plain_group_by AS
                   SELECT organization_id, date_trunc('hour', occurred_at, 'UTC') AS hour_start, model_id,
                          count(*) AS requests, count(*) FILTER (WHERE status <> 'success') AS errors,
                          sum(tokens_in) AS tokens_in, sum(tokens_out) AS tokens_out, sum(latency_ms) AS latency_ms_sum,
                          max(latency_ms) AS latency_ms_max, sum(cost) AS cost
                   FROM usage.events GROUP BY 1, 2, 3""")))
            conn.execute("DROP TABLE public.plain_group_by")
        hourly = conn.execute("SELECT count(*) FROM usage.hourly_rollups").fetchone()[0]
        daily = conn.execute("SELECT count(*) FROM usage.daily_rollups").fetchone()[0]
        g = statistics.median(group_by)
        say(f"refresh of {dirty:,} dirty buckets -> {hourly:,} hourly + {daily:,} daily rows vs plain GROUP BY "
            f"{g:.1f} s (median of {args.runs}; goal >= 0.4x):")
        for way, times in refresh.items():
            r = statistics.median(times)
            label = way if way == "one call" else f"{way}, refresh_rollups({args.batch}) until empty"
            say(f"  {label:<48} {r:6.1f} s (runs {', '.join(f'{x:.1f}' for x in times)}): **{g / r:.2f}x**")
        conn.execute("VACUUM ANALYZE usage.hourly_rollups, usage.daily_rollups")

        # The steady state: an hour of new events (the latest hour again, under new request ids).
        hour_of_events = conn.execute(
            f"""INSERT INTO usage.events ({COLUMNS})
                SELECT organization_id, request_id || '-again', occurred_at, model_id, api_key_id, status, tokens_in,
                       tokens_out, latency_ms, cost
                FROM usage.events WHERE occurred_at >= now() - interval '2 hours' AND occurred_at < now() - interval '1 hour'
            """).rowcount
        late: list[float] = []
        for run in range(args.runs):
            if run > 0:
                conn.execute("SELECT usage.mark_rollups_dirty(now() - interval '2 hours', now() - interval '1 hour')")
            late.append(timed(lambda: conn.execute("SELECT * FROM usage.refresh_rollups()")))
        say(f"an hour of data ({hour_of_events:,} events) rolled up: {statistics.median(late) * 1000:.0f} ms "
            f"(median of {args.runs}; goal < 5 min)")

        # Operational queries: app_rw (RLS) vs the superuser owner of the data with the filter written out.
        rng = random.Random(6)
        sample = [rng.randrange(1, orgs + 1) for _ in range(args.orgs)]
        queries = {
            "last 24 h": ("SELECT occurred_at, request_id, model_id, status, tokens_in, tokens_out, latency_ms, cost "
                          "FROM usage.events WHERE {w} occurred_at >= now() - interval '24 hours' "
                          "ORDER BY occurred_at DESC LIMIT 100"),
            "month-to-date cost": ("SELECT coalesce(sum(cost), 0), count(*) FROM usage.events "
                                   "WHERE {w} occurred_at >= date_trunc('month', now(), 'UTC')"),
            "API key recent events": ("SELECT occurred_at, request_id, status, tokens_in, tokens_out, cost "
                                      "FROM usage.events WHERE {w} api_key_id = %(key)s "
                                      "ORDER BY occurred_at DESC LIMIT 50"),
        }
        analytics = {
            "usage by day, 12 months": ("SELECT * FROM usage.daily_usage WHERE {w} day > current_date - 365 "
                                        "ORDER BY day"),
            "error rate by model, 12 months": "SELECT * FROM usage.error_rate_by_model(current_date - 365, current_date)",
        }
        rw = psycopg.connect(url, autocommit=True)
        rw.execute("SET ROLE app_rw")
        owner = psycopg.connect(url, autocommit=True)  # superuser: RLS does not apply

        def timed_twice(c: psycopg.Connection[Any], text: str, params: dict[str, Any] | None) -> float:
            c.execute(text, params).fetchall()  # warm the plan and the pages once
            return timed(lambda: c.execute(text, params).fetchall()) * 1000

        def measure(sql: str, with_owner: bool = True) -> tuple[list[float], list[float]]:
            """Per sampled organization, the query as app_rw and then as the owner, so both see the
            same machine at the same moment (a pass of one and then a pass of the other drifted)."""
            as_rw, as_owner = [], []
            for k in sample:
                org = owner.execute(f"SELECT {org_uuid('%s::int')}", (k,)).fetchone()[0]
                key = owner.execute(f"SELECT {key_uuid('%s::int')}", (k,)).fetchone()[0]
                rw.execute("SELECT set_config('app.org_id', %s, false)", (str(org),))
                text = sql.format(w="")
                as_rw.append(timed_twice(rw, text, {"key": key} if "%(" in text else None))
                if with_owner:
                    as_owner.append(timed_twice(owner, sql.format(w="organization_id = %(org)s AND "),
                                                {"org": org, "key": key}))
            return as_rw, as_owner

        say(f"operational queries, {args.orgs} organizations, median of {args.runs} passes "
            "(ms: median / P95 as app_rw; RLS overhead = total app_rw / total owner with explicit WHERE, "
            "the two alternating per organization):")
        for name, sql in queries.items():
            rw_runs, own_runs, p95s, meds = [], [], [], []
            for _ in range(args.runs):
                a, o = measure(sql)
                rw_runs.append(sum(a))
                own_runs.append(sum(o))
                p95s.append(p95(a))
                meds.append(statistics.median(a))
            say(f"  {name:<24} {statistics.median(meds):6.2f} / **{statistics.median(p95s):6.2f}** ms (goal P95 < 20 ms), "
                f"RLS overhead **{statistics.median(rw_runs) / statistics.median(own_runs):.2f}x** (goal <= 1.10x)")
        say("12-month analytics over the daily rollups, as app_rw (ms: median / P95):")
        for name, sql in analytics.items():
            p95s, meds = [], []
            for _ in range(args.runs):
                a, _ = measure(sql, with_owner=False)
                p95s.append(p95(a))
                meds.append(statistics.median(a))
            say(f"  {name:<32} {statistics.median(meds):6.2f} / **{statistics.median(p95s):6.2f}** ms (goal < 200 ms)")
        ro = psycopg.connect(url, autocommit=True)
        ro.execute("SET ROLE app_ro")
        top = [timed(lambda: ro.execute("SELECT * FROM usage.top_organizations_by_cost(current_date - 365, current_date, 10)"
                                        ).fetchall()) * 1000 for _ in range(args.runs)]
        say(f"  top 10 organizations by cost, 12 months, all tenants (app_ro): {statistics.median(top):.0f} ms "
            f"(median of {args.runs}; scans every daily row of the year)")
        sizes = conn.execute("""SELECT pg_size_pretty(sum(pg_total_relation_size(p.partition_name))),
                                       pg_size_pretty(pg_total_relation_size('usage.hourly_rollups')),
                                       pg_size_pretty(pg_total_relation_size('usage.daily_rollups'))
                                FROM usage.partitions_of('usage.events') AS p""").fetchone()
        say(f"sizes: events {sizes[0]} (all partitions with indexes), hourly rollups {sizes[1]}, daily rollups {sizes[2]}")
        for c in (rw, owner, ro, conn):
            c.close()
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
