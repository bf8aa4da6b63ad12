"""Usage analytics at scale: the ingest path, an hour rolled up at the specification's density, top
organizations by cost over 12 months, RLS overhead and query latency.

A private cluster (fsync off, shared_buffers 1GB), the whole repository applied by dbrun, then
`--scale` x (10 million events over 12 months for 100 000 organizations; 5 models, one API key per
organization), time-ordered like a live stream, with their rollups. Loading that year and its rollups
is set-up, not measured (COPY as the superuser, rollups by GROUP BY: the same sums the refresh
computes, as the property tests prove). Measured, medians of `--runs`:

  ingest   an hour of traffic (--scale x 114 000 events over as many organizations, at least 50 000
           events) in batches of --ingest-batch events, through each candidate path:
             app_ingest   INSERT ... SELECT FROM unnest(column arrays) ON CONFLICT DO NOTHING as the
                          ingest role (the chosen path);
             definer      the same batch through a SECURITY DEFINER function (owner, cross-tenant);
             per tenant   app_rw, one INSERT per organization of the batch under its tenant context;
           and app_ingest's statement with usage.events' two statement triggers disabled (the same
           table and indexes: the schema's own overhead); then a batch sent again (idempotency);
  hour     a fresh hour of that traffic written through app_ingest, then rolled up by
           refresh_rollups(--refresh-batch) calls with --pause seconds between them; wall time and the
           refresher backend's CPU seconds (from /proc) per wall second;
  top 10   usage.top_organizations_by_cost() over 12 whole months as app_ro, compared with the raw
           events (exact) and with the same ranking over the daily rollups (what it read before);
  RLS/P95  the operational queries as app_rw (tenant set) vs the superuser with the filter written
           out, and 12-month analytics over the daily rollups.

With `--runs 1` the cluster is left running with its data and the script prints how to reach and
stop it. Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_analytics.py --scale 0.1 [--runs 3] [--orgs 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
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
# Parameters go in binary (%b): building a 5 000-event batch as text took the client longer than the
# server took to store it.
UNNEST = ("SELECT * FROM unnest(%b::uuid[], %b::text[], %b::timestamptz[], %b::uuid[], %b::uuid[], %b::text[], "
          "%b::int[], %b::int[], %b::int[], %b::numeric[])")
# The chosen path: what the gateway sends as app_ingest (no arbiter: naming one needs SELECT).
INGEST = f"INSERT INTO usage.events ({COLUMNS}) {UNNEST} ON CONFLICT DO NOTHING"
DEFINER = "SELECT bench.ingest_events(%b::uuid[], %b::text[], %b::timestamptz[], %b::uuid[], %b::uuid[], " \
          "%b::text[], %b::int[], %b::int[], %b::int[], %b::numeric[])"
PER_TENANT = f"INSERT INTO usage.events ({COLUMNS}) {UNNEST} ON CONFLICT ON CONSTRAINT pk_events DO NOTHING"
TRIGGERS = ("trg_events_validate_insert", "trg_events_mark_dirty_insert")
HOUR_EVENTS_AT_FULL_SCALE = 114_000  # 1 billion events a year / 8 760 hours
MEASURES = ("ingest", "hour", "top", "queries", "sizes")
Conn = psycopg.Connection[Any]
Batch = list[list[Any]]  # column arrays


def org_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def key_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-9000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def py_org(k: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-8000-{k:012x}")


def py_key(k: int) -> uuid.UUID:
    return uuid.UUID(f"00000000-0000-4000-9000-{k:012x}")


def py_model(m: int) -> uuid.UUID:
    return uuid.UUID(f"0d0d0d0d-0000-4000-8000-{m:012d}")


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def backend_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a server process (the bench runs on the server's machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


# -- set-up (not measured) --------------------------------------------------------------------

def setup(conn: Conn, orgs: int, events: int, data_file: Path) -> None:
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
    # The year of events, time-ordered over the last 365 days (ending two hours ago, so the hours the
    # benchmark writes are its own); organizations drawn by a multiplicative hash.
    conn.execute(f"""
        COPY (
            SELECT {org_uuid('o.k')}, 'r' || g.i,
                   now() - interval '2 hours' - ((g.i::bigint * 2654435761) % (365 * 86400)) * interval '1 second',
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
    with triggers_disabled(conn):
        conn.execute(f"COPY usage.events ({COLUMNS}) FROM '{data_file}'")
    data_file.unlink()
    conn.execute("SELECT set_config('app.all_tenants', 'on', false)")  # the owner's opt-out, this session
    conn.execute("""INSERT INTO usage.hourly_rollups (organization_id, hour_start, model_id, requests, errors, tokens_in,
                                                      tokens_out, latency_ms_sum, latency_ms_max, cost)
                    SELECT organization_id, date_trunc('hour', occurred_at, 'UTC'), model_id, count(*),
                           count(*) FILTER (WHERE status <> 'success'), sum(tokens_in), sum(tokens_out), sum(latency_ms),
                           max(latency_ms), sum(cost)
                    FROM usage.events GROUP BY 1, 2, 3""")
    conn.execute("""INSERT INTO usage.daily_rollups (organization_id, day, model_id, requests, errors, tokens_in,
                                                     tokens_out, latency_ms_sum, latency_ms_max, cost)
                    SELECT organization_id, (hour_start AT TIME ZONE 'UTC')::date, model_id, sum(requests), sum(errors),
                           sum(tokens_in), sum(tokens_out), sum(latency_ms_sum), max(latency_ms_max), sum(cost)
                    FROM usage.hourly_rollups GROUP BY 1, 2, 3""")
    conn.execute("""INSERT INTO usage.monthly_rollups (organization_id, month, requests, errors, tokens_in, tokens_out,
                                                       cost)
                    SELECT organization_id, date_trunc('month', day::timestamp)::date, sum(requests), sum(errors),
                           sum(tokens_in), sum(tokens_out), sum(cost)
                    FROM usage.daily_rollups GROUP BY 1, 2""")
    conn.execute("SELECT set_config('app.all_tenants', '', false)")
    conn.execute("SELECT usage.rebuild_trailing_year_totals(usage.trailing_year_start(now()))")
    conn.execute("VACUUM ANALYZE")
    conn.execute("CHECKPOINT")


@contextmanager
def triggers_disabled(conn: Conn) -> Iterator[None]:
    for trigger in TRIGGERS:
        conn.execute(f"ALTER TABLE usage.events DISABLE TRIGGER {trigger}")
    try:
        yield
    finally:
        for trigger in TRIGGERS:
            conn.execute(f"ALTER TABLE usage.events ENABLE TRIGGER {trigger}")


def create_definer_candidate(conn: Conn) -> None:
    """The SECURITY DEFINER candidate, built in this benchmark's database only: the owner inserts any
    organization's events under its explicit opt-out (a bench-only policy lets it)."""
    conn.execute("CREATE SCHEMA bench AUTHORIZATION app_owner")
    conn.execute("""CREATE POLICY events_insert_bench_definer ON usage.events FOR INSERT TO app_owner
                    WITH CHECK ((SELECT current_setting('app.all_tenants', true)) = 'on')""")
    conn.execute("SELECT usage.police_partitions('usage.events')")
    conn.execute(f"""
        CREATE FUNCTION bench.ingest_events(p_org uuid[], p_request text[], p_at timestamptz[], p_model uuid[],
                                            p_key uuid[], p_status text[], p_in int[], p_out int[], p_latency int[],
                                            p_cost numeric[])
        RETURNS bigint LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
        DECLARE
            v_scope text := coalesce(current_setting('app.all_tenants', true), '');
            v_rows bigint;
        BEGIN
            PERFORM set_config('app.all_tenants', 'on', true);
            INSERT INTO usage.events ({COLUMNS})
            SELECT * FROM unnest(p_org, p_request, p_at, p_model, p_key, p_status, p_in, p_out, p_latency, p_cost)
            ON CONFLICT ON CONSTRAINT pk_events DO NOTHING;
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            PERFORM set_config('app.all_tenants', v_scope, true);
            RETURN v_rows;
        END $fn$""")
    conn.execute("ALTER FUNCTION bench.ingest_events OWNER TO app_owner")
    conn.execute("REVOKE EXECUTE ON FUNCTION bench.ingest_events FROM PUBLIC")
    conn.execute("GRANT USAGE ON SCHEMA bench TO app_rw")
    conn.execute("GRANT EXECUTE ON FUNCTION bench.ingest_events TO app_rw")


def drop_definer_candidate(conn: Conn) -> None:
    conn.execute("DROP SCHEMA bench CASCADE")
    conn.execute("DROP POLICY events_insert_bench_definer ON usage.events")
    conn.execute("SELECT usage.police_partitions('usage.events')")


# -- traffic ------------------------------------------------------------------------------------

def hour_of_traffic(rng: random.Random, orgs: int, events: int, hour: datetime, label: str, size: int) -> list[Batch]:
    """`events` requests of random organizations spread over one hour, time-ordered, in batches of
    `size` as column arrays; costs exactly as the validation computes them."""
    rows = []
    for i in range(events):
        k, m = rng.randrange(1, orgs + 1), rng.randrange(1, 6)
        tin, tout = rng.randrange(0, 4000), rng.randrange(0, 1500)
        cost = ((tin * Decimal("0.0001") * m + tout * Decimal("0.0004") * m) / 1000).quantize(
            Decimal("0.000001"), rounding=ROUND_HALF_UP)
        at = hour + timedelta(microseconds=rng.randrange(0, 3_600_000_000))
        status = "server_error" if i % 31 == 0 else "success"
        rows.append((py_org(k), f"{label}-{i}", at, py_model(m), py_key(k), status, tin, tout, rng.randrange(0, 5000), cost))
    rows.sort(key=lambda r: r[2])
    return [[list(column) for column in zip(*rows[start:start + size], strict=True)]
            for start in range(0, len(rows), size)]


def send_as_ingest(conn: Conn, batches: list[Batch]) -> int:
    return sum(conn.execute(INGEST, batch).rowcount for batch in batches)


def send_through_definer(conn: Conn, batches: list[Batch]) -> int:
    return sum(int(conn.execute(DEFINER, batch).fetchone()[0]) for batch in batches)


def send_per_tenant(conn: Conn, batches: list[Batch]) -> int:
    """app_rw: per batch one transaction; per organization of the batch its context and one INSERT."""
    written = 0
    for batch in batches:
        by_org: dict[uuid.UUID, list[int]] = {}
        for index, org in enumerate(batch[0]):
            by_org.setdefault(org, []).append(index)
        with conn.transaction(), conn.pipeline():
            cursors = []
            for org, indexes in by_org.items():
                conn.execute("SELECT set_config('app.org_id', %s, true)", (str(org),))
                cursors.append(conn.execute(PER_TENANT, [[column[i] for i in indexes] for column in batch]))
        written += sum(c.rowcount for c in cursors)
    return written


def connect_as(url: str, role: str) -> Conn:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"SET ROLE {role}")
    return conn


# -- measurements -------------------------------------------------------------------------------

@dataclass
class IngestPath:
    """A candidate path over one or more connections; with several, each sends every n-th batch
    from its own thread (as a gateway's connection pool would) and the CPU is summed over backends."""
    conns: list[Conn]
    send: Callable[[Conn, list[Batch]], int]
    triggers: bool = True
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)  # the server backends' CPU seconds

    def run(self, admin: Conn, batches: list[Batch]) -> None:
        pids = [c.info.backend_pid for c in self.conns]
        cpu = sum(backend_cpu_seconds(pid) for pid in pids)
        if self.triggers:
            self.walls.append(timed(lambda: self._send_all(batches)))
        else:
            with triggers_disabled(admin):
                self.walls.append(timed(lambda: self._send_all(batches)))
        self.cpus.append(sum(backend_cpu_seconds(pid) for pid in pids) - cpu)

    def _send_all(self, batches: list[Batch]) -> None:
        if len(self.conns) == 1:
            self.send(self.conns[0], batches)
            return
        n = len(self.conns)
        threads = [threading.Thread(target=self.send, args=(c, batches[i::n])) for i, c in enumerate(self.conns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def measure_ingest(conn: Conn, url: str, args: argparse.Namespace, orgs: int, say: Callable[[str], None]) -> None:
    """Wall time includes the client building each batch; the server backend's CPU seconds are the
    database's own cost and move far less with the load of this shared machine."""
    events = max(50_000, round(HOUR_EVENTS_AT_FULL_SCALE * args.scale))
    per_tenant_events = min(events, args.per_tenant_events)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    rng = random.Random(19)
    create_definer_candidate(conn)
    ingest, rw = connect_as(url, "app_ingest"), connect_as(url, "app_rw")
    pool = [ingest] + [connect_as(url, "app_ingest") for _ in range(args.ingest_connections - 1)]
    paths = {"app_ingest": IngestPath([ingest], send_as_ingest),
             "app_ingest, triggers disabled": IngestPath([ingest], send_as_ingest, triggers=False),
             "definer function": IngestPath([rw], send_through_definer),
             f"app_ingest, {len(pool)} connections": IngestPath(pool, send_as_ingest),
             f"app_ingest, {len(pool)} conn., no triggers": IngestPath(pool, send_as_ingest, triggers=False)}
    per_tenant = IngestPath([rw], send_per_tenant)
    first: list[Batch] = []
    for run in range(args.runs):
        for name in list(paths)[run % len(paths):] + list(paths)[:run % len(paths)]:
            batches = hour_of_traffic(rng, orgs, events, hour, f"{args.tag}ingest-{run}-{name[:14]}", args.ingest_batch)
            first = first or batches[:1]
            conn.execute("CHECKPOINT")
            paths[name].run(conn, batches)
        per_tenant.run(conn, hour_of_traffic(rng, orgs, per_tenant_events, hour, f"{args.tag}tenant-{run}",
                                             args.ingest_batch))
    say(f"ingest: an hour of traffic, {events:,} events over {orgs:,} organizations in batches of "
        f"{args.ingest_batch:,} (per tenant: {per_tenant_events:,} events), median of {args.runs} "
        "(events/s by wall clock, client included; server CPU = the backend's CPU time):")
    per_cpu: dict[str, float] = {}
    for name, path in [*paths.items(), ("per tenant (app_rw)", per_tenant)]:
        count = per_tenant_events if path is per_tenant else events
        wall, cpu = statistics.median(path.walls), statistics.median(path.cpus)
        per_cpu[name] = count / cpu
        say(f"  {name:<32} {wall:7.2f} s  **{count / wall:>9,.0f} events/s**; server CPU {cpu:6.2f} s = "
            f"{cpu / count * 1e6:5.1f} us/event ({per_cpu[name]:,.0f} events per CPU second)")
    overhead = per_cpu["app_ingest, triggers disabled"] / per_cpu["app_ingest"] - 1
    wall_overhead = (statistics.median(paths["app_ingest"].walls)
                     / statistics.median(paths["app_ingest, triggers disabled"].walls) - 1)
    say(f"  schema overhead (validation + rollup marking) on the app_ingest path: **{overhead * 100:+.0f} %** server "
        f"CPU, {wall_overhead * 100:+.0f} % wall (goal <= 25 %); rate goal >= 50 000 events/s")
    many, bare = f"app_ingest, {len(pool)} connections", f"app_ingest, {len(pool)} conn., no triggers"
    say(f"  the same over {len(pool)} connections: **{(per_cpu[bare] / per_cpu[many] - 1) * 100:+.0f} %** server "
        f"CPU, {(statistics.median(paths[many].walls) / statistics.median(paths[bare].walls) - 1) * 100:+.0f} % wall")
    before = conn.execute("SELECT count(*) FROM usage.events").fetchone()[0]
    again = send_as_ingest(ingest, first)
    after = conn.execute("SELECT count(*) FROM usage.events").fetchone()[0]
    say(f"  a batch of {len(first[0][0]):,} events sent again: {again} rows written, events {before:,} -> {after:,}")
    for c in (*pool, rw):
        c.close()
    drop_definer_candidate(conn)
    # The triggers-disabled runs left no marks: queue the hour, then bring every rollup up to date.
    conn.execute("SELECT usage.mark_rollups_dirty(%s, %s)", (hour, hour + timedelta(hours=1)))
    conn.execute("SELECT * FROM usage.refresh_rollups()")


def measure_hour(conn: Conn, url: str, args: argparse.Namespace, orgs: int, say: Callable[[str], None]) -> None:
    events = round(HOUR_EVENTS_AT_FULL_SCALE * args.scale)
    ingest = connect_as(url, "app_ingest")
    refresher = psycopg.connect(url, autocommit=True)
    pid = refresher.info.backend_pid
    rng = random.Random(114)
    walls, cpus, buckets = [], [], []
    for run in range(args.runs):
        # Hours the year already holds traffic in (at its density), each run its own.
        hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=args.hours_back + run)
        send_as_ingest(ingest, hour_of_traffic(rng, orgs, events, hour, f"{args.tag}hour-{run}", args.ingest_batch))
        conn.execute("CHECKPOINT")
        cpu_before, start, claimed = backend_cpu_seconds(pid), time.perf_counter(), 0
        while True:
            done = refresher.execute("SELECT buckets FROM usage.refresh_rollups(%s)", (args.refresh_batch,)).fetchone()[0]
            claimed += done
            if not done:
                break
            time.sleep(args.pause)
        walls.append(time.perf_counter() - start)
        cpus.append(backend_cpu_seconds(pid) - cpu_before)
        buckets.append(claimed)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    cores = os.cpu_count() or 1
    say(f"an hour at 1 billion events a year x {args.scale}: {events:,} events over {orgs:,} organizations "
        f"({statistics.median(buckets):,.0f} buckets), refresh_rollups({args.refresh_batch:,}) with {args.pause} s "
        f"pauses: **{wall:.1f} s** wall (runs {', '.join(f'{w:.1f}' for w in walls)}; goal < 10 s), "
        f"refresher CPU {cpu:.1f} s = **{cpu / wall:.2f} CPU s per wall s** ({cpu / wall / cores * 100:.0f} % "
        f"of {cores} cores; NFR-003: <= 50 %)")
    ingest.close()
    refresher.close()


def measure_top(conn: Conn, url: str, args: argparse.Namespace, say: Callable[[str], None]) -> None:
    today = datetime.now(UTC).date()
    last = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)  # end of this month
    first = (today.replace(day=1) - timedelta(days=330)).replace(day=1)  # 12 whole months
    ro = connect_as(url, "app_ro")
    query = "SELECT * FROM usage.top_organizations_by_cost(%s, %s, 10)"
    ro.execute(query, (first, last)).fetchall()  # warm
    runs = [timed(lambda: ro.execute(query, (first, last)).fetchall()) * 1000 for _ in range(max(3, args.runs))]
    top = ro.execute(query, (first, last)).fetchall()
    ro.close()
    raw_sql = """SELECT organization_id, count(*), count(*) FILTER (WHERE status <> 'success'), sum(cost)
                 FROM usage.events WHERE (occurred_at AT TIME ZONE 'UTC')::date BETWEEN %s AND %s
                 GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT 10"""
    raw = conn.execute(raw_sql, (first, last)).fetchall()
    daily_sql = """SELECT organization_id, sum(requests), sum(errors), sum(cost) FROM usage.daily_rollups
                   WHERE day BETWEEN %s AND %s GROUP BY 1 ORDER BY 4 DESC, 1 LIMIT 10"""
    conn.execute("SELECT set_config('app.all_tenants', 'on', false)")
    daily = timed(lambda: conn.execute(daily_sql, (first, last)).fetchall()) * 1000
    conn.execute("SELECT set_config('app.all_tenants', '', false)")
    months = conn.execute("SELECT count(*) FROM usage.monthly_rollups WHERE month BETWEEN %s AND %s",
                          (first, last)).fetchone()[0]
    say(f"top 10 organizations by cost, {first} .. {last} (12 whole months), all tenants, as app_ro: "
        f"**{statistics.median(runs):.0f} ms** (median of {len(runs)}; goal < 300 ms) over {months:,} monthly rows; "
        f"{'**exact**' if top == raw else 'DIFFERENT'} against the raw events; the same ranking over the daily "
        f"rollups (before): {daily:.0f} ms")


def measure_queries(url: str, args: argparse.Namespace, orgs: int, say: Callable[[str], None]) -> None:
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
        "usage by day, 12 months": "SELECT * FROM usage.daily_usage WHERE {w} day > current_date - 365 ORDER BY day",
        "error rate by model, 12 months": "SELECT * FROM usage.error_rate_by_model(current_date - 365, current_date)",
    }
    rw = connect_as(url, "app_rw")
    owner = psycopg.connect(url, autocommit=True)  # superuser: RLS does not apply

    def timed_twice(c: Conn, text: str, params: dict[str, Any] | None) -> float:
        c.execute(text, params).fetchall()  # warm the plan and the pages once
        return timed(lambda: c.execute(text, params).fetchall()) * 1000

    def measure(sql: str, with_owner: bool = True) -> tuple[list[float], list[float]]:
        """Per sampled organization, the query as app_rw and then as the owner, so both see the
        same machine at the same moment (a pass of one and then a pass of the other drifted)."""
        as_rw, as_owner = [], []
        for k in sample:
            org, key = py_org(k), py_key(k)
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
    rw.close()
    owner.close()


def report_sizes(conn: Conn, say: Callable[[str], None]) -> None:
    row = conn.execute("""
        SELECT (SELECT count(*) FROM usage.events),
               (SELECT pg_size_pretty(sum(pg_total_relation_size(p.partition_name)))
                FROM usage.partitions_of('usage.events') AS p),
               (SELECT pg_size_pretty(sum(pg_indexes_size(p.partition_name)))
                FROM usage.partitions_of('usage.events') AS p),
               pg_size_pretty(pg_total_relation_size('usage.hourly_rollups')),
               pg_size_pretty(pg_total_relation_size('usage.daily_rollups')),
               pg_size_pretty(pg_total_relation_size('usage.monthly_rollups')),
               (SELECT count(*) FROM usage.monthly_rollups)""").fetchone()
    say(f"sizes: {row[0]:,} events {row[1]} (all partitions; indexes {row[2]}), hourly rollups {row[3]}, daily rollups "
        f"{row[4]}, monthly rollups {row[5]} ({row[6]:,} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="fraction of 10M events / 100k organizations")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; 1 leaves the cluster and its data")
    parser.add_argument("--orgs", type=int, default=200, help="organizations sampled for the query latencies")
    parser.add_argument("--port", type=int, default=55434)
    parser.add_argument("--ingest-batch", type=int, default=5_000, help="events per ingest statement")
    parser.add_argument("--ingest-connections", type=int, default=2,
                        help="connections of the pooled app_ingest candidate (one per core)")
    parser.add_argument("--per-tenant-events", type=int, default=2_000,
                        help="events sent through the per-tenant candidate (one statement per organization: slow)")
    parser.add_argument("--refresh-batch", type=int, default=20_000, help="buckets per refresh_rollups() call")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between refresh_rollups() calls")
    parser.add_argument("--measures", default=",".join(MEASURES),
                        help=f"comma-separated subset of {','.join(MEASURES)} (none: set-up only)")
    parser.add_argument("--reuse", metavar="URL",
                        help="measure the database a --runs 1 run left running (its URL) instead of setting one up")
    parser.add_argument("--hours-back", type=int, default=3,
                        help="the hour rolled up starts this many hours ago (with --reuse: pick one not measured yet)")
    parser.add_argument("--tag", default="", help="prefix of the request ids written (with --reuse: a new one each time)")
    args = parser.parse_args()
    measures = [m for m in args.measures.split(",") if m]
    unknown = sorted(set(measures) - set(MEASURES))
    if unknown:
        parser.error(f"unknown measure(s) {', '.join(unknown)}; choose from {', '.join(MEASURES)}")
    events = int(10_000_000 * args.scale)
    orgs = max(100, int(100_000 * args.scale))

    def say(line: str) -> None:
        print(line, flush=True)

    if args.reuse:
        conn = psycopg.connect(args.reuse, autocommit=True)
        say(f"reusing {args.reuse}: {conn.execute('SELECT count(*) FROM usage.events').fetchone()[0]:,} events; "
            f"load average {load()}")
        run_measures(conn, args.reuse, args, measures, orgs, say)
        conn.close()
        return
    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-analytics-"))
    work.chmod(0o777)  # the server (unprivileged when run as root) writes the data file here
    cluster = LocalCluster(work / "cluster", dbname=None, server_settings=SERVER, port=args.port)
    state = cluster.start()
    url = f"postgresql://postgres@/bench?host={quote(state.socket_dir, safe='/')}&port={state.port}"
    keep = args.runs == 1
    try:
        with psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        api.up(load_settings(REPO, url))
        conn = psycopg.connect(url, autocommit=True)
        t = timed(lambda: setup(conn, orgs, events, work / "events.copy"))
        version = conn.execute("SHOW server_version").fetchone()[0]
        say(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
            f"{platform.python_version()}, PostgreSQL {version}; scale {args.scale}: {events:,} events, "
            f"{orgs:,} organizations (set-up {t:.0f} s); load average {load()}")
        run_measures(conn, url, args, measures, orgs, say)
        conn.close()
    except BaseException:
        keep = False
        raise
    finally:
        if keep:
            say(f"data left in place: psql '{url}' (measure it again with --reuse URL); stop and remove with: "
                f"{cluster.base_dir.parent}/stop-and-remove.sh")
            script = work / "stop-and-remove.sh"
            script.write_text(f"#!/bin/sh\n# stops the benchmark's cluster and removes its data\n"
                              f"{sys.executable} -c \"from pathlib import Path; "
                              f"from dbrun.local import LocalCluster; LocalCluster(Path('{cluster.base_dir}'), "
                              f"dbname=None).destroy()\"\nrm -rf '{work}'\n")
            script.chmod(0o755)
        else:
            cluster.destroy()
            shutil.rmtree(work, ignore_errors=True)


def run_measures(conn: Conn, url: str, args: argparse.Namespace, measures: list[str], orgs: int,
                 say: Callable[[str], None]) -> None:
    if "ingest" in measures:
        measure_ingest(conn, url, args, orgs, say)
    if "hour" in measures:
        measure_hour(conn, url, args, orgs, say)
    if "top" in measures:
        conn.execute("VACUUM ANALYZE usage.monthly_rollups, usage.daily_rollups")
        measure_top(conn, url, args, say)
    if "queries" in measures:
        measure_queries(url, args, orgs, say)
    if "sizes" in measures:
        report_sizes(conn, say)
    say(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
