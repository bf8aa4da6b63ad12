"""Tenant query latency and batch ingest: one plain PostgreSQL 15 node against a 3-node Citus cluster.

Both targets run on this machine with the same PostgreSQL 15 binaries, reached over their Unix
sockets, with fsync off:
  1-node   a plain PostgreSQL cluster (dbrun's own launcher, no Citus);
  citus    ../shared/citus/cluster.sh: a coordinator and two workers (shared_preload_libraries = citus).

The schema is a fixture shaped like the product's, not the product chain itself (the chain's
distribution on Citus, citus/after/, landed as this was written; docs/scale-out.md): schema
bench_citus with organizations, a tenant table items (PRIMARY KEY (organization_id, id), FORCE RLS, policy `organization_id =
bench_citus.current_org_id()`, a STABLE function reading app.org_id), a reference catalog models and
usage_events partitioned by month (PRIMARY KEY (organization_id, occurred_at, request_id), a foreign
key to models, an INSERT-only policy for the ingest role). On Citus, organizations, items and
usage_events are distributed by organization_id (colocated, 32 shards), models is a reference table
and the policy function is distributed. The product's statement triggers on usage.events are left
out: Citus refuses triggers on distributed tables.

Measured, alternating the targets run by run, client-side wall time:
  lookup (key)      as a LOGIN role granted the app role: BEGIN; SET LOCAL app.org_id; SELECT one item
                    WHERE organization_id = $1 AND id = $2; COMMIT (Citus: a single-shard router query)
  lookup (policy)   the same without organization_id in WHERE: only the policy filters (Citus: every shard)
  ingest unnest     as a LOGIN role granted the ingest role: one INSERT ... SELECT * FROM unnest(arrays)
                    ON CONFLICT DO NOTHING of --batch events spread over every organization (docs/schema.md)
  ingest VALUES     the same rows as one multi-row INSERT ... VALUES ... ON CONFLICT DO NOTHING
Medians of --runs runs, each the median over its samples; the ratio is Citus / 1-node, measured in
the same run. On 2 cores, the three Citus nodes share the CPUs the single node has to itself: the
figures show what routing costs (an extra hop, a fan-out to every shard), not what Citus gains on
real hardware.

Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_citus.py [--orgs 1000] [--items 20] [--batch 1000] [--samples 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from dbrun.local import LocalCluster

REPO = Path(__file__).resolve().parent.parent
SERVER = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "jit": "off",
          "max_connections": "200"}
CITUS_DIRS = (REPO.parent / "shared" / "citus", Path("/work/shared/citus"))

SCHEMA_SQL = """
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_citus_rw') THEN CREATE ROLE bench_citus_rw NOLOGIN; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_citus_ingest') THEN
        CREATE ROLE bench_citus_ingest NOLOGIN; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_citus_rw_login') THEN
        CREATE ROLE bench_citus_rw_login LOGIN IN ROLE bench_citus_rw; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_citus_ingest_login') THEN
        CREATE ROLE bench_citus_ingest_login LOGIN IN ROLE bench_citus_ingest; END IF;
END $$;
CREATE SCHEMA bench_citus;
CREATE FUNCTION bench_citus.current_org_id() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
    AS $fn$ SELECT nullif(pg_catalog.current_setting('app.org_id', true), '')::uuid $fn$;
CREATE TABLE bench_citus.organizations (
    organization_id uuid CONSTRAINT pk_organizations PRIMARY KEY, name text NOT NULL);
CREATE TABLE bench_citus.items (
    organization_id uuid NOT NULL, id bigint NOT NULL, label text NOT NULL, created_at timestamptz NOT NULL,
    CONSTRAINT pk_items PRIMARY KEY (organization_id, id));
CREATE TABLE bench_citus.models (model_id uuid CONSTRAINT pk_models PRIMARY KEY, name text NOT NULL);
CREATE TABLE bench_citus.usage_events (
    organization_id uuid NOT NULL, request_id text NOT NULL, occurred_at timestamptz NOT NULL,
    model_id uuid NOT NULL, status text NOT NULL, tokens_in integer NOT NULL, tokens_out integer NOT NULL,
    latency_ms integer NOT NULL, cost numeric(16, 6) NOT NULL,
    CONSTRAINT pk_usage_events PRIMARY KEY (organization_id, occurred_at, request_id)
) PARTITION BY RANGE (occurred_at);
CREATE TABLE bench_citus.usage_events_a PARTITION OF bench_citus.usage_events
    FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE bench_citus.usage_events_b PARTITION OF bench_citus.usage_events
    FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
"""

# After the tables are distributed on Citus (so the constraints, RLS and grants reach the shards).
POLICY_SQL = """
ALTER TABLE bench_citus.items ADD CONSTRAINT fk_items_organization
    FOREIGN KEY (organization_id) REFERENCES bench_citus.organizations (organization_id) ON DELETE CASCADE;
ALTER TABLE bench_citus.usage_events ADD CONSTRAINT fk_usage_events_model
    FOREIGN KEY (model_id) REFERENCES bench_citus.models (model_id) ON DELETE RESTRICT;
ALTER TABLE bench_citus.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench_citus.items FORCE ROW LEVEL SECURITY;
CREATE POLICY items_tenant ON bench_citus.items
    USING (organization_id = bench_citus.current_org_id()) WITH CHECK (organization_id = bench_citus.current_org_id());
ALTER TABLE bench_citus.usage_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE bench_citus.usage_events FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_events_insert_ingest ON bench_citus.usage_events FOR INSERT TO bench_citus_ingest
    WITH CHECK (true);
GRANT USAGE ON SCHEMA bench_citus TO bench_citus_rw, bench_citus_ingest;
GRANT SELECT ON bench_citus.items TO bench_citus_rw;
GRANT EXECUTE ON FUNCTION bench_citus.current_org_id() TO bench_citus_rw;
GRANT INSERT ON bench_citus.usage_events TO bench_citus_ingest;
"""

DISTRIBUTE_SQL = """
SELECT create_distributed_table('bench_citus.organizations', 'organization_id');
SELECT create_distributed_table('bench_citus.items', 'organization_id', colocate_with => 'bench_citus.organizations');
SELECT create_distributed_table('bench_citus.usage_events', 'organization_id',
                                colocate_with => 'bench_citus.organizations');
SELECT create_reference_table('bench_citus.models');
SELECT create_distributed_function('bench_citus.current_org_id()');
"""

LOOKUP_KEY = "SELECT id, label, created_at FROM bench_citus.items WHERE organization_id = %s AND id = %s"
LOOKUP_POLICY = "SELECT id, label, created_at FROM bench_citus.items WHERE id = %s"
INGEST = """INSERT INTO bench_citus.usage_events (organization_id, request_id, occurred_at, model_id, status,
                                                  tokens_in, tokens_out, latency_ms, cost)
SELECT * FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::uuid[], %s::text[], %s::int[], %s::int[],
                     %s::int[], %s::numeric[])
ON CONFLICT DO NOTHING"""
# The same rows as one multi-row VALUES list: Citus splits it by shard and runs the pieces in parallel,
# where the unnest form is an INSERT ... SELECT it must first collect on the coordinator.
INGEST_VALUES = """INSERT INTO bench_citus.usage_events (organization_id, request_id, occurred_at, model_id, status,
                                                  tokens_in, tokens_out, latency_ms, cost)
VALUES {rows}
ON CONFLICT DO NOTHING"""


def _url(host: str, port: int, dbname: str, user: str) -> str:
    return f"postgresql://{user}@/{quote(dbname)}?host={quote(host, safe='/')}&port={port}"


@contextmanager
def plain_node(base: Path) -> Iterator[str]:
    """A 1-node plain PostgreSQL (dbrun's launcher, PostgreSQL's own binaries): its socket URL."""
    cluster = LocalCluster(base / "plain", dbname=None, server_settings=SERVER, port=None)
    state = cluster.start()
    try:
        yield _url(state.socket_dir, state.port, "postgres", "{user}")
    finally:
        cluster.destroy()


def _citus_dir() -> Path:
    override = os.environ.get("DBRUN_CITUS_DIR")
    for candidate in ((Path(override),) if override else CITUS_DIRS):
        if (candidate / "cluster.sh").is_file():
            return candidate
    raise SystemExit("no cluster.sh found: set DBRUN_CITUS_DIR to the folder with Citus's cluster.sh")


@contextmanager
def citus_cluster(base: Path) -> Iterator[str]:
    """A coordinator and two workers (cluster.sh): the coordinator's socket URL."""
    script = _citus_dir() / "cluster.sh"
    directory = base / "citus"
    subprocess.run(["bash", str(script), "start", str(directory), "2"], check=True, capture_output=True)
    try:
        port = int((directory / "coordinator.port").read_text())
        yield _url(str(directory), port, "postgres", "{user}")
    finally:
        subprocess.run(["bash", str(script), "stop", str(directory)], check=False, capture_output=True)


def build(url: str, citus: bool, orgs: int, items: int, seed: int) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The fixture schema and rows; on Citus, distributed before the constraints and policies."""
    rng = random.Random(seed)
    org_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(orgs)]
    model_ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(8)]
    with psycopg.connect(url.format(user="postgres"), autocommit=True) as conn:
        conn.execute(SCHEMA_SQL)
        if citus:
            for statement in DISTRIBUTE_SQL.split(";\n"):
                if statement.strip():
                    conn.execute(statement.encode())
        # One statement per query string, as dbrun sends them on Citus: Citus forwards the string of an
        # ALTER TABLE to the workers, which refuse several commands in it (42601).
        for statement in POLICY_SQL.split(";\n"):
            if statement.strip():
                conn.execute(statement.encode())
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_citus.models VALUES (%s, %s)",
                            [(m, f"model {i}") for i, m in enumerate(model_ids)])
            cur.execute("INSERT INTO bench_citus.organizations SELECT o, 'org ' || o FROM unnest(%s::uuid[]) o",
                        (org_ids,))
            cur.execute("""INSERT INTO bench_citus.items
                           SELECT o, i, 'item ' || i, now() - i * interval '1 minute'
                           FROM unnest(%s::uuid[]) o, generate_series(1, %s) i""", (org_ids, items))
        conn.execute("ANALYZE")
    return org_ids, model_ids


def routing(url: str, org: uuid.UUID) -> dict[str, str]:
    """EXPLAIN of both lookups on Citus: how many shards each one reaches."""
    found = {}
    with psycopg.connect(url.format(user="bench_citus_rw_login"), autocommit=True) as conn:
        conn.execute("SET citus.propagate_set_commands = 'local'")
        for name, query, params in (("key", LOOKUP_KEY, (org, 1)), ("policy", LOOKUP_POLICY, (1,))):
            with conn.transaction():
                conn.execute(f"SET LOCAL app.org_id = '{org}'")
                plan = [r[0] for r in conn.execute(f"EXPLAIN {query}", params).fetchall()]
            found[name] = next((line.strip() for line in plan if "Task Count" in line), "no Citus plan")
    return found


def lookups(url: str, citus: bool, org_ids: list[uuid.UUID], items: int, samples: int,
            with_key: bool, rng: random.Random) -> float:
    """Median ms of one tenant transaction: SET LOCAL app.org_id, one lookup, COMMIT."""
    times = []
    with psycopg.connect(url.format(user="bench_citus_rw_login"), autocommit=True) as conn:
        if citus:
            conn.execute("SET citus.propagate_set_commands = 'local'")  # SET LOCAL reaches the workers
        for _ in range(samples):
            org, item = rng.choice(org_ids), rng.randint(1, items)
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(f"SET LOCAL app.org_id = '{org}'")
                row = conn.execute(LOOKUP_KEY if with_key else LOOKUP_POLICY,
                                   (org, item) if with_key else (item,)).fetchone()
            times.append((time.perf_counter() - started) * 1000)
            assert row is not None and row[0] == item, "the tenant's item must be visible, and only it"
    return statistics.median(times)


def ingest(url: str, org_ids: list[uuid.UUID], model_ids: list[uuid.UUID], batch: int, batches: int,
           rng: random.Random, values: bool = False) -> float:
    """Median ms of one batch INSERT of `batch` events over many organizations, as the ingest role:
    the arrays-and-unnest form of docs/schema.md, or (`values`) the same rows as a VALUES list."""
    times = []
    statement = INGEST_VALUES.format(rows=", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * batch))
    with psycopg.connect(url.format(user="bench_citus_ingest_login"), autocommit=True) as conn:
        for _ in range(batches):
            rows = [_event(rng, org_ids, model_ids) for _ in range(batch)]
            params: list[Any] = [v for row in rows for v in row] if values else [list(c) for c in zip(*rows, strict=True)]
            started = time.perf_counter()
            written = conn.execute(statement if values else INGEST, params).rowcount
            times.append((time.perf_counter() - started) * 1000)
            assert written == batch, f"{written} of {batch} events written"
    return statistics.median(times)


def _event(rng: random.Random, org_ids: list[uuid.UUID], model_ids: list[uuid.UUID]) -> tuple[Any, ...]:
    occurred = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(180 * 86400))
    return (rng.choice(org_ids), uuid.uuid4().hex, occurred, rng.choice(model_ids), "success",
            rng.randint(1, 4000), rng.randint(1, 2000), rng.randint(5, 3000), rng.randint(1, 10**6) / 10**6)


Measure = Callable[[str, bool, random.Random], float]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20, help="items per organization")
    parser.add_argument("--batch", type=int, default=1000, help="events per ingest statement")
    parser.add_argument("--batches", type=int, default=5, help="ingest statements per run")
    parser.add_argument("--samples", type=int, default=100, help="lookups per run and query")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-citus-", dir="/tmp"))
    base.chmod(0o755)  # as root, the servers run as the postgres OS user
    try:
        with plain_node(base) as plain, citus_cluster(base) as citus:
            targets = {"1-node": (plain, False), "citus": (citus, True)}
            ids = {name: build(url, is_citus, args.orgs, args.items, seed=7) for name, (url, is_citus) in targets.items()}
            org_ids, model_ids = ids["1-node"]
            print(f"PostgreSQL {_server_version(plain)}; {platform.machine()}, {os.cpu_count()} CPU(s); "
                  f"{args.orgs} organizations x {args.items} items; batches of {args.batch} events; "
                  f"{args.runs} runs x {args.samples} lookups")
            print("citus routing (EXPLAIN):", routing(citus, org_ids[0]))
            measures: dict[str, Measure] = {
                "lookup (key) ms": lambda url, c, rng: lookups(url, c, org_ids, args.items, args.samples, True, rng),
                "lookup (policy) ms": lambda url, c, rng: lookups(url, c, org_ids, args.items, args.samples, False,
                                                                  rng),
                f"ingest unnest {args.batch} ms": lambda url, c, rng: ingest(url, org_ids, model_ids, args.batch,
                                                                             args.batches, rng),
                f"ingest VALUES {args.batch} ms": lambda url, c, rng: ingest(url, org_ids, model_ids, args.batch,
                                                                             args.batches, rng, values=True),
            }
            results: dict[str, dict[str, list[float]]] = {m: {t: [] for t in targets} for m in measures}
            for run in range(args.runs):
                order = list(targets) if run % 2 == 0 else list(reversed(targets))
                for measure, fn in measures.items():
                    for name in order:
                        url, is_citus = targets[name]
                        results[measure][name].append(fn(url, is_citus, random.Random(run)))
            _print(results, args.batch)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _server_version(url: str) -> str:
    with psycopg.connect(url.format(user="postgres")) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


def _print(results: dict[str, dict[str, list[float]]], batch: int) -> None:
    print(f"{'measure':<24}{'1-node':>10}{'citus':>10}{'citus/1-node':>14}")
    for measure, by_target in results.items():
        plain, citus = (statistics.median(by_target[t]) for t in ("1-node", "citus"))
        print(f"{measure:<24}{plain:>10.2f}{citus:>10.2f}{citus / plain:>13.2f}x")
        if measure.startswith("ingest"):
            print(f"{'  events/s':<24}{batch / plain * 1000:>10.0f}{batch / citus * 1000:>10.0f}")


if __name__ == "__main__":
    main()
