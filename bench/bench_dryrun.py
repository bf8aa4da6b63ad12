"""`dbrun up --dry-run` against the real `dbrun up`, on the product chain and a fresh database.

Each run creates two fresh databases on a private cluster, applies the repository's whole chain
with `api.up` on one and dry-runs it with `review.dry_run_up` on the other (in-process: the
interpreter start-up both CLIs share would only dilute the ratio). Medians of several runs, and
their ratio measured in the same run; the goal is a dry-run no slower than 1.5x the real apply.
Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_dryrun.py [--root .] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

from dbrun import api, review
from dbrun.config import load_settings
from dbrun.local import LocalCluster

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository to apply (default: this one)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-dryrun-"))
    work.chmod(0o755)  # when root, the server's unprivileged user must reach its data under here
    cluster = LocalCluster(work / "cluster", dbname=None, port=None,
                           server_settings={"fsync": "off", "synchronous_commit": "off"})
    state = cluster.start()
    admin = psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True)

    def fresh(name: str) -> str:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@/{name}?host={quote(state.socket_dir, safe='/')}&port={state.port}"

    apply_s: list[float] = []
    dry_s: list[float] = []
    statements = 0
    try:
        for i in range(args.runs):
            # Alternate which goes first, so neither always meets a warmer cache.
            order = ("apply", "dry") if i % 2 == 0 else ("dry", "apply")
            for what in order:
                settings = load_settings(args.root, fresh(f"{what}_{i}"), {})
                start = time.perf_counter()
                if what == "apply":
                    api.up(settings)
                    apply_s.append(time.perf_counter() - start)
                else:
                    result = review.dry_run_up(settings)
                    dry_s.append(time.perf_counter() - start)
                    if result.failure is not None:
                        raise SystemExit(f"the dry-run failed: {result.failure}")
                    statements = sum(len(m.statements) for m in result.migrations)
    finally:
        admin.close()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    migrations = len(api.load(load_settings(args.root, "postgresql://unused/db", {})).migrations)
    real, dry = statistics.median(apply_s), statistics.median(dry_s)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PostgreSQL binaries {state.bindir}")
    print(f"{args.root}: {migrations} migrations, {statements} statements; median of {args.runs} runs, "
          "fresh database each:")
    print(f"  dbrun up (real apply)  {real:7.3f} s   runs: {', '.join(f'{t:.3f}' for t in apply_s)}")
    print(f"  dbrun up --dry-run     {dry:7.3f} s   runs: {', '.join(f'{t:.3f}' for t in dry_s)}")
    print(f"  ratio dry-run / apply  {dry / real:7.2f}x   (goal <= 1.5x)")


if __name__ == "__main__":
    main()
