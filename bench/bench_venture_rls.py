"""Venture intelligence RLS: the seed's nested-subquery policy against the platform's flat tenant policy.

Seed 003 protects customer_personas with a per-row nested subquery,

    venture_id IN (SELECT v.id FROM ventures v WHERE v.company_id IN
                   (SELECT company_id FROM user_company_access WHERE user_id = auth.uid()))

while the platform's policy (policies/venture.customer_personas.sql) compares organization_id with
(SELECT app.current_org_id()). Both are measured on the same rows: the repository is applied by
dbrun to a private cluster, --orgs organizations get --ventures ventures with --personas personas
each, and a copy of venture.customer_personas in schema bench_rls carries the seed's policy, the
seed's indexes ((venture_id), (venture_id, priority_rank), GIN on demographics) and the seed's
tenant tables (ventures(id, company_id), user_company_access(user_id, company_id), one user per
organization). As app_rw, per sampled organization, alternating which policy goes first:

  list     a venture's live personas by priority (the seed's listing)
  count    every persona the tenant can see
  search   personas whose demographics contain {"role": "founder"} (GIN)

Each query runs in its own transaction with the tenant context set (app.org_id for the flat policy,
app.user_id for the nested one); client-side wall time of the query alone. Medians of --runs runs,
each the median over the sampled organizations; ratio nested / flat measured in the same run.

Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_venture_rls.py [--orgs 500] [--ventures 4] [--personas 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from dbrun import api
from dbrun.config import load_settings
from dbrun.local import LocalCluster

REPO = Path(__file__).resolve().parent.parent
SERVER = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "shared_buffers": "256MB",
          "jit": "off"}
FLAT = "venture.customer_personas"
NESTED = "bench_rls.customer_personas"
QUERIES = {
    "list": "SELECT persona_id, persona_name, priority_rank FROM {table} WHERE venture_id = %s AND deleted_at IS NULL "
            "ORDER BY priority_rank",
    "count": "SELECT count(*) FROM {table}",
    "search": "SELECT count(*) FROM {table} WHERE demographics @> '{{\"role\": \"founder\"}}'",
}


def org_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def venture_uuid(org: str, venture: str) -> str:
    return f"('00000000-0000-4000-9000-' || lpad(to_hex({org} * 1000 + {venture}), 12, '0'))::uuid"


def user_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-a000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def setup(conn: psycopg.Connection[Any], orgs: int, ventures: int, personas: int) -> None:
    """The same rows under both policies (as the superuser: RLS does not apply to it)."""
    conn.execute(f"""INSERT INTO core.organizations (organization_id, slug, name)
                     SELECT {org_uuid('o')}, 'org-' || o, 'Organization ' || o FROM generate_series(1, {orgs}) AS o""")
    conn.execute(f"""INSERT INTO venture.ventures (organization_id, venture_id, name)
                     SELECT {org_uuid('o')}, {venture_uuid('o', 'v')}, 'Venture ' || v
                     FROM generate_series(1, {orgs}) AS o, generate_series(1, {ventures}) AS v""")
    conn.execute(f"""INSERT INTO venture.customer_personas (organization_id, venture_id, persona_name, persona_type,
                         priority_rank, demographics, psychographics, pain_points, jobs_to_be_done, ai_confidence_score)
                     SELECT {org_uuid('o')}, {venture_uuid('o', 'v')}, 'Persona ' || p,
                            (ARRAY['primary', 'secondary', 'tertiary', 'negative'])[1 + p % 4], p,
                            jsonb_build_object(
                                'role', (ARRAY['founder', 'operations', 'procurement', 'developer'])[1 + (o + v + p) % 4],
                                'age_range', (ARRAY['25-34', '35-44', '45-54'])[1 + p % 3]),
                            '{{"values": ["efficiency"]}}', '{{"a pain point"}}', '{{"a job to be done"}}', 0.8
                     FROM generate_series(1, {orgs}) AS o, generate_series(1, {ventures}) AS v,
                          generate_series(1, {personas}) AS p""")
    conn.execute("""
        CREATE SCHEMA bench_rls;
        -- The seed's tenant tables: ventures(id, company_id) and user_company_access(user_id, company_id).
        CREATE TABLE bench_rls.ventures AS SELECT venture_id AS id, organization_id AS company_id FROM venture.ventures;
        ALTER TABLE bench_rls.ventures ADD PRIMARY KEY (id);
        CREATE INDEX ON bench_rls.ventures (company_id);
        CREATE TABLE bench_rls.user_company_access AS
            SELECT ('00000000-0000-4000-a000-' || substr(organization_id::text, 25))::uuid AS user_id,
                   organization_id AS company_id
            FROM core.organizations;
        ALTER TABLE bench_rls.user_company_access ADD PRIMARY KEY (user_id, company_id);
        -- The same persona rows with the seed's indexes and the seed's policy.
        CREATE TABLE bench_rls.customer_personas (LIKE venture.customer_personas INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
        INSERT INTO bench_rls.customer_personas SELECT * FROM venture.customer_personas;
        ALTER TABLE bench_rls.customer_personas ADD PRIMARY KEY (persona_id);
        CREATE INDEX ON bench_rls.customer_personas (venture_id);
        CREATE INDEX ON bench_rls.customer_personas (venture_id, priority_rank);
        CREATE INDEX ON bench_rls.customer_personas USING gin (demographics);
        ALTER TABLE bench_rls.customer_personas ENABLE ROW LEVEL SECURITY;
        ALTER TABLE bench_rls.customer_personas FORCE ROW LEVEL SECURITY;
        CREATE POLICY customer_personas_select_seed ON bench_rls.customer_personas FOR SELECT TO app_rw
            USING (venture_id IN (
                SELECT v.id FROM bench_rls.ventures AS v
                WHERE v.company_id IN (SELECT a.company_id FROM bench_rls.user_company_access AS a
                                       WHERE a.user_id = app.current_user_id())));
        GRANT USAGE ON SCHEMA bench_rls TO app_rw;
        GRANT SELECT ON ALL TABLES IN SCHEMA bench_rls TO app_rw;
        ANALYZE;
    """)


def run_query(conn: psycopg.Connection[Any], table: str, name: str, org: str, user: str, venture: str) -> float:
    """One query in its own transaction with the tenant context of both policies; seconds for the query."""
    conn.execute("SELECT set_config('app.org_id', %s, true), set_config('app.user_id', %s, true)", (org, user))
    params = (venture,) if name == "list" else ()
    start = time.perf_counter()
    rows = conn.execute(QUERIES[name].format(table=table), params).fetchall()
    elapsed = time.perf_counter() - start
    conn.commit()
    assert rows, f"{table} {name}: no rows for {org}"
    return elapsed


def check_same_rows(conn: psycopg.Connection[Any], org: str, user: str) -> None:
    """Both policies show the tenant exactly its own personas (else the comparison is meaningless)."""
    conn.execute("SELECT set_config('app.org_id', %s, true), set_config('app.user_id', %s, true)", (org, user))
    flat = conn.execute(f"SELECT count(*), count(DISTINCT organization_id) FROM {FLAT}").fetchone()
    nested = conn.execute(f"SELECT count(*), count(DISTINCT organization_id) FROM {NESTED}").fetchone()
    conn.commit()
    assert flat == nested and flat is not None and flat[1] == 1, (flat, nested)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--ventures", type=int, default=4, help="ventures per organization")
    parser.add_argument("--personas", type=int, default=10, help="personas per venture")
    parser.add_argument("--sample", type=int, default=100, help="organizations sampled per run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=55436)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-venture-rls-"))
    work.chmod(0o777)  # the server (unprivileged when run as root) writes its data here
    cluster = LocalCluster(work / "cluster", dbname=None, server_settings=SERVER, port=args.port)
    state = cluster.start()
    url = f"postgresql://postgres@/bench?host={quote(state.socket_dir, safe='/')}&port={state.port}"
    try:
        with psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        api.up(load_settings(REPO, url))
        with psycopg.connect(url, autocommit=True) as conn:
            start = time.perf_counter()
            setup(conn, args.orgs, args.ventures, args.personas)
            took = time.perf_counter() - start
            version = conn.execute("SHOW server_version").fetchone()[0]
            total = conn.execute("SELECT count(*) FROM venture.customer_personas").fetchone()[0]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"PostgreSQL {version}; {args.orgs} organizations x {args.ventures} ventures x {args.personas} personas "
              f"= {total:,} personas (setup {took:.1f} s)", flush=True)

        rng = random.Random(13)
        results: dict[str, dict[str, list[float]]] = {name: {FLAT: [], NESTED: []} for name in QUERIES}
        with psycopg.connect(url) as rw:
            rw.execute("SET ROLE app_rw")
            rw.commit()
            for run in range(args.runs):
                per_org: dict[str, dict[str, list[float]]] = {name: {FLAT: [], NESTED: []} for name in QUERIES}
                for o in rng.sample(range(1, args.orgs + 1), min(args.sample, args.orgs)):
                    org = f"00000000-0000-4000-8000-{o:012x}"
                    user = f"00000000-0000-4000-a000-{o:012x}"
                    venture = f"00000000-0000-4000-9000-{o * 1000 + rng.randint(1, args.ventures):012x}"
                    if run == 0 and len(per_org["list"][FLAT]) < 3:
                        check_same_rows(rw, org, user)
                    order = [FLAT, NESTED] if (o + run) % 2 else [NESTED, FLAT]
                    for name in QUERIES:
                        for table in order:
                            per_org[name][table].append(run_query(rw, table, name, org, user, venture))
                for name in QUERIES:
                    for table in (FLAT, NESTED):
                        results[name][table].append(statistics.median(per_org[name][table]))

        print(f"medians of {args.runs} runs (each the median over {min(args.sample, args.orgs)} organizations), app_rw:")
        for name in QUERIES:
            flat = statistics.median(results[name][FLAT]) * 1000
            nested = statistics.median(results[name][NESTED]) * 1000
            print(f"  {name:<7} flat tenant policy {flat:7.3f} ms | seed's nested subquery {nested:7.3f} ms | "
                  f"ratio nested/flat {nested / flat:5.2f}x", flush=True)
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
