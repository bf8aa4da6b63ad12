"""Tenant query latency and batch ingest on the product schema: one plain PostgreSQL 15 node against a
3-node Citus cluster.

Both targets run on this machine with the same PostgreSQL 15 binaries, reached over their Unix
sockets, with fsync off:
  1-node   a plain PostgreSQL cluster (dbrun's own launcher, no Citus);
  citus    ../shared/citus/cluster.sh: a coordinator and two workers (shared_preload_libraries = citus).

On each, `dbrun up` applies the repository as it is (api.up: the whole chain, the policies and views,
and on Citus citus/before/ and citus/after/, which distribute the tenant tables by organization_id,
colocated, 32 shards). Then, as the migrator: --orgs organizations (core.organizations, a reference
table on Citus) and --users users each (core.users, a distributed tenant table on Citus: its
policies, CHECKs, composite keys and row audit trigger all in force). The tables are the ones the
seeds fill on both engines; usage.events is not used: on Citus nothing can insert usage events yet
(docs/scale-out.md, "Known gaps": seeds with statement triggers).

Measured, alternating the targets run by run, client-side wall time, as a LOGIN role granted app_rw,
the tenant set per transaction (`SET LOCAL app.org_id`, which the Citus database propagates to the
workers: citus.propagate_set_commands = 'local'):
  lookup (key)      BEGIN; SET LOCAL app.org_id; SELECT one user WHERE organization_id = $1 AND
                    user_id = $2; COMMIT (Citus: a single-shard router query)
  lookup (policy)   the same without organization_id in WHERE: only the policy filters (Citus: every shard)
  ingest unnest     BEGIN; SET LOCAL app.org_id; one INSERT ... SELECT * FROM unnest(arrays) of --batch
                    users of that tenant; COMMIT. Citus refuses it under row-level security (it
                    sends the rows to the shards with COPY: "COPY FROM not supported with row-level
                    security", 0A000): printed as refused, not measured there
  ingest VALUES     the same rows as one multi-row INSERT ... VALUES
Medians of --runs runs, each the median over its samples; the ratio is Citus / 1-node, measured in
the same run. On 2 cores, the three Citus nodes share the CPUs the single node has to itself: the
figures show what routing costs (an extra hop, a fan-out to every shard), not what Citus gains on
real hardware.

Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_citus.py [--orgs 200] [--users 20] [--batch 100] [--samples 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
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
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from dbrun import api
from dbrun.config import load_settings
from dbrun.local import LocalCluster

REPO = Path(__file__).resolve().parent.parent
SERVER = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "jit": "off",
          "max_connections": "200"}
CITUS_DIRS = (REPO.parent / "shared" / "citus", Path("/work/shared/citus"))
LOGIN = "bench_citus_rw_login"  # granted app_rw, as a service logs in

LOOKUP_KEY = "SELECT user_id, display_name, role FROM core.users WHERE organization_id = %s AND user_id = %s"
LOOKUP_POLICY = "SELECT user_id, display_name, role FROM core.users WHERE user_id = %s"
INGEST = """INSERT INTO core.users (organization_id, user_id, email_hmac, display_name)
SELECT * FROM unnest(%s::uuid[], %s::uuid[], %s::bytea[], %s::text[])"""
INGEST_VALUES = "INSERT INTO core.users (organization_id, user_id, email_hmac, display_name) VALUES {rows}"


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


def _user_id(org: int, user: int) -> uuid.UUID:
    return uuid.UUID(int=(org << 64) | user | (1 << 127))


def build(url: str, orgs: int, users: int) -> list[uuid.UUID]:
    """The product chain by `dbrun up`, the app login, and the organizations and their users."""
    outcome = api.up(load_settings(REPO, url.format(user="postgres")))
    failed = [c.name for c in outcome.post_checks if not c.passed]
    if outcome.result is None or failed:
        raise SystemExit(f"dbrun up did not apply the chain cleanly on {url}: post-checks failed: {failed}")
    org_ids = [uuid.UUID(int=(i + 1) << 96) for i in range(orgs)]
    with psycopg.connect(url.format(user="postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {LOGIN} LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE app_rw")
        conn.execute("INSERT INTO core.organizations (organization_id, slug, name) "
                     "SELECT o, 'bench-' || n, 'Bench org ' || n FROM unnest(%s::uuid[]) WITH ORDINALITY AS t(o, n)",
                     (org_ids,))
        rows = [(org, _user_id(o, u), _hmac(org, u), f"User {u}") for o, org in enumerate(org_ids)
                for u in range(users)]
        conn.execute(INGEST, [list(column) for column in zip(*rows, strict=True)])
        conn.execute("ANALYZE core.organizations, core.users")
    return org_ids


def _hmac(org: uuid.UUID, n: int) -> bytes:
    return hashlib.sha256(f"{org}/{n}".encode()).digest()  # 32 bytes, as ck_users_email_hmac_length wants


def routing(url: str, org: uuid.UUID) -> dict[str, str]:
    """EXPLAIN of both lookups on Citus, as the app login: how many shards each one reaches."""
    found = {}
    with psycopg.connect(url.format(user=LOGIN), autocommit=True) as conn:
        for name, query, params in (("key", LOOKUP_KEY, (org, _user_id(0, 1))), ("policy", LOOKUP_POLICY,
                                                                               (_user_id(0, 1),))):
            with conn.transaction():
                conn.execute(f"SET LOCAL app.org_id = '{org}'")
                plan = [r[0] for r in conn.execute(f"EXPLAIN {query}", params).fetchall()]
            found[name] = next((line.strip() for line in plan if "Task Count" in line), "no Citus plan")
    return found


def lookups(url: str, org_ids: list[uuid.UUID], users: int, samples: int, with_key: bool,
            rng: random.Random) -> float:
    """Median ms of one tenant transaction: SET LOCAL app.org_id, one lookup, COMMIT."""
    times = []
    with psycopg.connect(url.format(user=LOGIN), autocommit=True) as conn:
        for _ in range(samples):
            o, u = rng.randrange(len(org_ids)), rng.randrange(users)
            org, user = org_ids[o], _user_id(o, u)
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(f"SET LOCAL app.org_id = '{org}'")
                row = conn.execute(LOOKUP_KEY if with_key else LOOKUP_POLICY,
                                   (org, user) if with_key else (user,)).fetchone()
            times.append((time.perf_counter() - started) * 1000)
            assert row is not None and row[0] == user, "the tenant's user must be visible, and only it"
    return statistics.median(times)


def ingest(url: str, org_ids: list[uuid.UUID], batch: int, batches: int, rng: random.Random,
           values: bool = False) -> float:
    """Median ms of one tenant transaction inserting `batch` users: SET LOCAL app.org_id, one INSERT
    (arrays and unnest, or `values`: a VALUES list), COMMIT."""
    times = []
    statement = INGEST_VALUES.format(rows=", ".join(["(%s, %s, %s, %s)"] * batch))
    with psycopg.connect(url.format(user=LOGIN), autocommit=True) as conn:
        for _ in range(batches):
            org = rng.choice(org_ids)
            ids = [uuid.uuid4() for _ in range(batch)]  # fresh keys and emails: batches never collide
            rows = [(org, user, _hmac(org, user.int), "Ingested user") for user in ids]
            params: list[Any] = [v for row in rows for v in row] if values else [list(c) for c in zip(*rows, strict=True)]
            started = time.perf_counter()
            with conn.transaction():
                conn.execute(f"SET LOCAL app.org_id = '{org}'")
                written = conn.execute(statement if values else INGEST, params).rowcount
            times.append((time.perf_counter() - started) * 1000)
            assert written == batch, f"{written} of {batch} users written"
    return statistics.median(times)


Measure = Callable[[str, random.Random], float]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--users", type=int, default=20, help="users per organization")
    parser.add_argument("--batch", type=int, default=100, help="users per ingest transaction")
    parser.add_argument("--batches", type=int, default=5, help="ingest transactions per run")
    parser.add_argument("--samples", type=int, default=100, help="lookups per run and query")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    base = Path(tempfile.mkdtemp(prefix="bench-citus-", dir="/tmp"))
    base.chmod(0o755)  # as root, the servers run as the postgres OS user
    try:
        with plain_node(base) as plain, citus_cluster(base) as citus:
            targets = {"1-node": plain, "citus": citus}
            built = {name: build(url, args.orgs, args.users) for name, url in targets.items()}
            org_ids = built["1-node"]
            print(f"PostgreSQL {_server_version(plain)}; {platform.machine()}, {os.cpu_count()} CPU(s); the product "
                  f"chain by dbrun up; {args.orgs} organizations x {args.users} users; ingest {args.batches} x "
                  f"{args.batch} users; {args.runs} runs x {args.samples} lookups")
            print("citus routing (EXPLAIN):", routing(citus, org_ids[0]))
            measures: dict[str, Measure] = {
                "lookup (key) ms": lambda url, rng: lookups(url, org_ids, args.users, args.samples, True, rng),
                "lookup (policy) ms": lambda url, rng: lookups(url, org_ids, args.users, args.samples, False, rng),
                f"ingest unnest {args.batch} ms": lambda url, rng: ingest(url, org_ids, args.batch, args.batches, rng),
                f"ingest VALUES {args.batch} ms": lambda url, rng: ingest(url, org_ids, args.batch, args.batches, rng,
                                                                          values=True),
            }
            results: dict[str, dict[str, list[float]]] = {m: {t: [] for t in targets} for m in measures}
            refused: dict[tuple[str, str], str] = {}
            for run in range(args.runs):
                order = list(targets) if run % 2 == 0 else list(reversed(targets))
                for measure, fn in measures.items():
                    for name in order:
                        if (measure, name) in refused:
                            continue
                        try:
                            results[measure][name].append(fn(targets[name], random.Random(run)))
                        except psycopg.errors.FeatureNotSupported as exc:  # a path the engine refuses: say so
                            refused[(measure, name)] = f"{exc.sqlstate}: {exc.diag.message_primary}"
            _print(results, refused, args.batch)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _server_version(url: str) -> str:
    with psycopg.connect(url.format(user="postgres")) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "?"


def _print(results: dict[str, dict[str, list[float]]], refused: dict[tuple[str, str], str], batch: int) -> None:
    print(f"{'measure':<24}{'1-node':>10}{'citus':>10}{'citus/1-node':>14}")
    for measure, by_target in results.items():
        if any(not times for times in by_target.values()):
            measured = "".join(f"{statistics.median(times):>10.2f}" if times else f"{'-':>10}"
                               for times in by_target.values())
            why = "; ".join(f"{target} refused it ({error})" for (m, target), error in refused.items() if m == measure)
            print(f"{measure:<24}{measured}   {why}")
            continue
        plain, citus = (statistics.median(by_target[t]) for t in ("1-node", "citus"))
        print(f"{measure:<24}{plain:>10.2f}{citus:>10.2f}{citus / plain:>13.2f}x")
        if measure.startswith("ingest"):
            print(f"{'  rows/s':<24}{batch / plain * 1000:>10.0f}{batch / citus * 1000:>10.0f}")


if __name__ == "__main__":
    main()
