"""The tenant policy's two forms on plain PostgreSQL: `organization_id = (SELECT app.current_org_id())`
(an InitPlan, evaluated once per query) against `organization_id = app.current_org_id()` (the SQL
function inlined by the planner: current_setting() compared per row, or used as an index condition).

Citus refuses the first form ("cannot create policy": no subqueries in policies on distributed
tables), so the repository uses the second on both targets; this measures what plain PostgreSQL
pays for it. The repository is applied by dbrun to a private cluster; --orgs organizations get
--ventures ventures with --personas personas each; two copies of venture.customer_personas (every
index included) carry one form each. As app_rw, per sampled organization, alternating which form
goes first:

  list     a venture's live personas by priority (index on organization_id, venture_id, ...)
  count    every persona the tenant can see
  point    one persona by primary key

Each query runs in its own transaction with app.org_id set; client-side wall time of the query
alone. Medians of --runs runs, each the median over the sampled organizations; ratio inline /
initplan measured in the same run.

Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_policy_form.py [--orgs 500] [--ventures 4] [--personas 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
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
FORMS = {
    "initplan": ("bench_form.personas_initplan", "organization_id = (SELECT app.current_org_id())"),
    "inline": ("bench_form.personas_inline", "organization_id = app.current_org_id()"),
}
QUERIES = {
    "list": "SELECT persona_id, persona_name, priority_rank FROM {table} WHERE venture_id = %(venture)s "
            "AND deleted_at IS NULL ORDER BY priority_rank",
    "count": "SELECT count(*) FROM {table}",
    "point": "SELECT persona_name FROM {table} WHERE organization_id = %(org)s AND persona_id = %(persona)s",
}


def org_uuid(expr: str) -> str:
    return f"('00000000-0000-4000-8000-' || lpad(to_hex({expr}), 12, '0'))::uuid"


def venture_uuid(org: str, venture: str) -> str:
    return f"('00000000-0000-4000-9000-' || lpad(to_hex({org} * 1000 + {venture}), 12, '0'))::uuid"


def setup(conn: psycopg.Connection[Any], orgs: int, ventures: int, personas: int) -> None:
    """The same rows under both forms (as the superuser: RLS does not apply to it)."""
    conn.execute(f"""INSERT INTO core.organizations (organization_id, slug, name)
                     SELECT {org_uuid('o')}, 'org-' || o, 'Organization ' || o FROM generate_series(1, {orgs}) AS o""")
    conn.execute(f"""INSERT INTO venture.ventures (organization_id, venture_id, name)
                     SELECT {org_uuid('o')}, {venture_uuid('o', 'v')}, 'Venture ' || v
                     FROM generate_series(1, {orgs}) AS o, generate_series(1, {ventures}) AS v""")
    conn.execute(f"""INSERT INTO venture.customer_personas (organization_id, venture_id, persona_name, persona_type,
                         priority_rank, demographics, psychographics, pain_points, jobs_to_be_done, ai_confidence_score)
                     SELECT {org_uuid('o')}, {venture_uuid('o', 'v')}, 'Persona ' || p,
                            (ARRAY['primary', 'secondary', 'tertiary', 'negative'])[1 + p % 4], p,
                            '{{"role": "founder"}}', '{{"values": ["efficiency"]}}', '{{"a pain point"}}',
                            '{{"a job to be done"}}', 0.8
                     FROM generate_series(1, {orgs}) AS o, generate_series(1, {ventures}) AS v,
                          generate_series(1, {personas}) AS p""")
    conn.execute("CREATE SCHEMA bench_form; GRANT USAGE ON SCHEMA bench_form TO app_rw")
    for table, predicate in FORMS.values():
        conn.execute(f"""
            CREATE TABLE {table} (LIKE venture.customer_personas INCLUDING ALL);
            INSERT INTO {table} SELECT * FROM venture.customer_personas;
            ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
            ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
            CREATE POLICY personas_select_tenant ON {table} FOR SELECT TO app_rw USING ({predicate});
            GRANT SELECT ON {table} TO app_rw""")
    conn.execute("ANALYZE")


def run_query(conn: psycopg.Connection[Any], table: str, name: str, params: dict[str, str]) -> float:
    """One query in its own transaction with the tenant set; seconds for the query alone."""
    conn.execute("SELECT set_config('app.org_id', %s, true)", (params["org"],))
    start = time.perf_counter()
    rows = conn.execute(QUERIES[name].format(table=table), params).fetchall()
    elapsed = time.perf_counter() - start
    conn.commit()
    assert rows and rows[0][0], f"{table} {name}: no rows for {params['org']}"
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--ventures", type=int, default=4, help="ventures per organization")
    parser.add_argument("--personas", type=int, default=10, help="personas per venture")
    parser.add_argument("--sample", type=int, default=100, help="organizations sampled per run")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-policy-form-"))
    work.chmod(0o777)  # the server (unprivileged when run as root) writes its data here
    cluster = LocalCluster(work / "cluster", dbname=None, server_settings=SERVER, port=None)
    state = cluster.start()
    url = f"postgresql://postgres@/bench?host={quote(state.socket_dir, safe='/')}&port={state.port}"
    try:
        with psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE bench")
        api.up(load_settings(REPO, url))
        with psycopg.connect(url, autocommit=True) as conn:
            setup(conn, args.orgs, args.ventures, args.personas)
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            total = conn.execute("SELECT count(*) FROM venture.customer_personas").fetchone()[0]  # type: ignore[index]
            persona_of = dict(conn.execute("SELECT DISTINCT ON (venture_id) venture_id::text, persona_id::text "
                                           "FROM venture.customer_personas ORDER BY venture_id, persona_id").fetchall())
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
              f"PostgreSQL {version}; {total:,} personas in {args.orgs} organizations", flush=True)

        rng = random.Random(17)
        results: dict[str, dict[str, list[float]]] = {name: {form: [] for form in FORMS} for name in QUERIES}
        with psycopg.connect(url) as rw:
            rw.execute("SET ROLE app_rw")
            rw.commit()
            for run in range(args.runs):
                per_org: dict[str, dict[str, list[float]]] = {name: {form: [] for form in FORMS} for name in QUERIES}
                for o in rng.sample(range(1, args.orgs + 1), min(args.sample, args.orgs)):
                    venture = f"00000000-0000-4000-9000-{o * 1000 + rng.randint(1, args.ventures):012x}"
                    params = {"org": f"00000000-0000-4000-8000-{o:012x}", "venture": venture,
                              "persona": persona_of[venture]}
                    order = list(FORMS) if (o + run) % 2 else list(reversed(FORMS))
                    for name in QUERIES:
                        for form in order:
                            per_org[name][form].append(run_query(rw, FORMS[form][0], name, params))
                for name in QUERIES:
                    for form in FORMS:
                        results[name][form].append(statistics.median(per_org[name][form]))

        print(f"medians of {args.runs} runs (each the median over {min(args.sample, args.orgs)} organizations), app_rw:")
        for name in QUERIES:
            initplan = statistics.median(results[name]["initplan"]) * 1000
            inline = statistics.median(results[name]["inline"]) * 1000
            print(f"  {name:<6} (SELECT app.current_org_id()) {initplan:7.3f} ms | app.current_org_id() {inline:7.3f} ms"
                  f" | ratio inline/initplan {inline / initplan:5.2f}x", flush=True)
    finally:
        cluster.destroy()


if __name__ == "__main__":
    main()
