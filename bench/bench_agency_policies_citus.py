"""Agency's manager-level policies (the user-scoped visibility of 14 agency tables): plain PostgreSQL
against a 3-node Citus cluster, with the product chain applied by dbrun on both.

On plain PostgreSQL the policies look the user's role and client list up in init-plans, once per
query. On Citus they are evaluated on the shards, where a sub-select is refused; the Citus form
(citus/after/25_user_context.sql, policies/_engine.sql.j2) reads the tenant's colocated shard, and the
client-scoped tables compare `client_id = ANY (agency.visible_client_ids())`, an index condition the
executor evaluates once per scan (docs/scale-out.md). This measures what that costs.

Both targets: `dbrun up`, the seeds that apply on Citus (10_models, 20_acme, 30_globex, 50_agency and the
partition seeds), then --per-client deployments added to each of acme's 5 clients (as the migrator).
As a LOGIN role granted app_ro, each query in its own transaction with `SET LOCAL app.org_id` and
`app.user_id`, the tenant key in WHERE (a single-shard query on Citus):

  deployments, no policy   count(*) of acme's deployments as the migrator (row-level security bypassed):
                           the baseline
  deployments, admin       the same count as acme's admin (sees every client's deployments)
  deployments, member      the same count as acme's member (sees the deployments of 3 clients)
  clients, member          the member's clients (agency.clients: its own policy, per row)

Client-side wall time; medians of --runs runs, each the median of --samples queries; the ratio against
the baseline of the same target, measured in the same run. On 2 shared cores the three Citus nodes
share the CPUs the single node has to itself: compare each target's ratio to its own baseline.

Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_agency_policies_citus.py [--per-client 400] [--samples 30] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql

from dbrun import api, catalog
from dbrun.config import load_settings
from dbrun.execute import apply_seeds
from dbrun.local import LocalCluster
from dbrun.plan import seed_plan

REPO = Path(__file__).resolve().parent.parent
CITUS_DIRS = (REPO.parent / "shared" / "citus", Path("/work/shared/citus"))
SERVER = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "jit": "off"}
SEEDS = ("10_models.sql", "20_acme.sql", "30_globex.sql", "35_usage_partitions.sql", "45_agency_partitions.sql",
         "50_agency.sql")
ACME = "11111111-1111-4111-8111-111111111111"
ADMIN = "aaaaaaaa-0000-4000-8000-000000000002"
MEMBER = "aaaaaaaa-0000-4000-8000-000000000003"
LOGIN = "bench_agency_ro"
QUERIES = {
    "deployments, no policy": (None, "SELECT count(*) FROM agency.client_deployments WHERE organization_id = %s"),
    "deployments, admin": (ADMIN, "SELECT count(*) FROM agency.client_deployments WHERE organization_id = %s"),
    "deployments, member": (MEMBER, "SELECT count(*) FROM agency.client_deployments WHERE organization_id = %s"),
    "clients, member": (MEMBER, "SELECT client_id FROM agency.clients WHERE organization_id = %s"),
}


def _url(host: str, port: int, user: str) -> str:
    return f"postgresql://{user}@/postgres?host={quote(host, safe='/')}&port={port}"


@contextmanager
def plain_node(base: Path) -> Iterator[tuple[str, str]]:
    cluster = LocalCluster(base / "plain", dbname=None, server_settings=SERVER, port=None)
    state = cluster.start()
    try:
        yield _url(state.socket_dir, state.port, "postgres"), _url(state.socket_dir, state.port, LOGIN)
    finally:
        cluster.destroy()


@contextmanager
def citus_cluster(base: Path) -> Iterator[tuple[str, str]]:
    override = os.environ.get("DBRUN_CITUS_DIR")
    script = next((d / "cluster.sh" for d in ((Path(override),) if override else CITUS_DIRS)
                   if (d / "cluster.sh").is_file()), None)
    if script is None:
        raise SystemExit("no cluster.sh found: set DBRUN_CITUS_DIR to the folder with Citus's cluster.sh")
    directory = base / "citus"
    subprocess.run(["bash", str(script), "start", str(directory), "2"], check=True, capture_output=True)
    try:
        port = int((directory / "coordinator.port").read_text())
        yield _url(str(directory), port, "postgres"), _url(str(directory), port, LOGIN)
    finally:
        subprocess.run(["bash", str(script), "stop", str(directory)], check=False, capture_output=True)


def build(url: str, per_client: int) -> int:
    """The chain, the seeds, the extra deployments and the login; returns acme's deployment count."""
    api.up(load_settings(REPO, url))
    with psycopg.connect(url, autocommit=True) as conn:
        apply_seeds(conn, REPO, [REPO / "seeds" / name for name in SEEDS], seed_plan(catalog.engine_facts(conn)))
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE app_ro").format(sql.Identifier(LOGIN)))
        with conn.transaction():
            if _is_citus(conn):
                conn.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
            conn.execute("""INSERT INTO agency.client_deployments (organization_id, client_id, environment, created_at)
                            SELECT c.organization_id, c.client_id, 'staging', '2026-06-01'
                            FROM agency.clients AS c, generate_series(1, %s)
                            WHERE c.organization_id = %s""", (per_client, ACME))
        conn.execute("ANALYZE")
        row = conn.execute("SELECT count(*) FROM agency.client_deployments WHERE organization_id = %s",
                           (ACME,)).fetchone()
    return int(row[0]) if row else 0


def _is_citus(conn: psycopg.Connection[Any]) -> bool:
    return conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'citus'").fetchone() == (1,)


def measure(admin_url: str, login_url: str, samples: int) -> dict[str, float]:
    """The median of `samples` runs of each query, in milliseconds."""
    medians = {}
    with psycopg.connect(admin_url) as admin, psycopg.connect(login_url) as login:
        for name, (user, query) in QUERIES.items():
            conn = admin if user is None else login
            timings = []
            for _ in range(samples):
                started = time.perf_counter()
                conn.execute(sql.SQL("SET LOCAL app.org_id = {}").format(sql.Literal(ACME)))
                if user is not None:
                    conn.execute(sql.SQL("SET LOCAL app.user_id = {}").format(sql.Literal(user)))
                conn.execute(query, (ACME,)).fetchall()
                conn.commit()
                timings.append((time.perf_counter() - started) * 1000)
            medians[name] = statistics.median(timings)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-client", type=int, default=400, help="deployments added to each of acme's clients")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="dbrun-bench-agency-", dir="/tmp"))
    base.chmod(0o777)  # the servers run as an unprivileged OS user when we are root
    results: dict[str, dict[str, list[float]]] = {t: {q: [] for q in QUERIES} for t in ("plain", "citus")}
    try:
        with plain_node(base) as plain, citus_cluster(base) as citus:
            counts = {"plain": build(plain[0], args.per_client), "citus": build(citus[0], args.per_client)}
            print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
                  f"acme's deployments: {counts}", flush=True)
            for run in range(args.runs):
                for target, urls in (("plain", plain), ("citus", citus))[:: 1 if run % 2 == 0 else -1]:
                    for name, value in measure(urls[0], urls[1], args.samples).items():
                        results[target][name].append(value)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{'query':<26}{'plain':>10}{'ratio':>8}{'citus':>10}{'ratio':>8}")
    for name in QUERIES:
        line = f"{name:<26}"
        for target in ("plain", "citus"):
            value = statistics.median(results[target][name])
            base_value = statistics.median(results[target]["deployments, no policy"])
            line += f"{value:>8.2f}ms{value / base_value:>7.1f}x"
        print(line)


if __name__ == "__main__":
    main()
