"""Runner overhead against the physical floor.

200 trivial migrations applied to a fresh database by
  - `dbrun up` (a subprocess, as a user runs it),
  - `psql -1 -f` of the same SQL concatenated (the floor: one transaction, no bookkeeping),
  - the yoyo CLI (`yoyo apply --batch`) on the same files in yoyo's layout,
and `dbrun status` with 500 migrations on disk. Medians of several runs; ratios against psql
measured in the same run. Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_runner.py [--migrations 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg

from dbrun import api
from dbrun.config import load_settings
from dbrun.local import LocalCluster

BIN = Path(sys.executable).parent


def trivial_migration(i: int) -> tuple[str, str]:
    up = (f"-- Migration: m{i}\nCREATE TABLE bench_{i} (id bigint CONSTRAINT pk_bench_{i} PRIMARY KEY, v text);\n"
          f"COMMENT ON TABLE bench_{i} IS 'benchmark table {i}';\n")
    return up, f"DROP TABLE bench_{i};\n"


def write_repo(root: Path, count: int) -> None:
    (root / "sql/up").mkdir(parents=True)
    (root / "sql/down").mkdir(parents=True)
    yoyo = root / "yoyo"
    yoyo.mkdir()
    concatenated = []
    for i in range(count):
        up, down = trivial_migration(i)
        name = f"2026{1 + i // (28 * 24 * 60) % 12:02d}{1 + i // (24 * 60) % 28:02d}{i // 60 % 24:02d}{i % 60:02d}_m{i}"
        (root / "sql/up" / f"{name}.sql").write_text(up)
        (root / "sql/down" / f"{name}.sql").write_text(down)
        (yoyo / f"{name}.sql").write_text(up)
        (yoyo / f"{name}.rollback.sql").write_text(down)
        concatenated.append(up)
    (root / "all.sql").write_text("\n".join(concatenated))


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(argv: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{argv[0]} failed:\n{result.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--migrations", type=int, default=200)
    parser.add_argument("--status-migrations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-"))
    work.chmod(0o755)
    cluster = LocalCluster(work / "cluster", dbname=None, port=55433)
    state = cluster.start()
    psql = str(Path(state.bindir) / "psql")
    admin = psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True)

    def fresh(name: str) -> tuple[str, str]:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        socket = quote(state.socket_dir, safe="/")
        return (f"postgresql://postgres@/{name}?host={socket}&port={state.port}",
                f"postgresql+psycopg://postgres@/{name}?host={socket}&port={state.port}")

    try:
        repo = work / "repo"
        write_repo(repo, args.migrations)
        times: dict[str, list[float]] = {"psql -1 -f": [], "dbrun up": [], "yoyo apply": []}
        for i in range(args.runs):
            url, _ = fresh(f"psql_{i}")
            times["psql -1 -f"].append(timed(lambda url=url: run([psql, "-q", "-X", "-1", "-v", "ON_ERROR_STOP=1",
                                                          "-f", str(repo / "all.sql"), url])))
            url, _ = fresh(f"dbrun_{i}")
            times["dbrun up"].append(timed(lambda url=url: run([str(BIN / "dbrun"), "--root", str(repo),
                                                        "--database-url", url, "up"])))
            _, yoyo_url = fresh(f"yoyo_{i}")
            yoyo_argv = [str(BIN / "yoyo"), "apply", "--batch", "--no-config-file", "--database", yoyo_url,
                         str(repo / "yoyo")]
            times["yoyo apply"].append(timed(lambda argv=yoyo_argv: run(argv)))
        status_repo = work / "status_repo"
        write_repo(status_repo, args.status_migrations)
        url, _ = fresh("status")
        run([str(BIN / "dbrun"), "--root", str(status_repo), "--database-url", url, "up"])
        status_times = [timed(lambda: run([str(BIN / "dbrun"), "--root", str(status_repo), "--database-url", url,
                                           "status"])) for _ in range(args.runs)]
        # The same status in-process: what dbrun itself costs, without interpreter start-up and imports.
        settings = load_settings(status_repo, url)
        api_status_times = [timed(lambda: api.status(settings)) for _ in range(args.runs)]
    finally:
        admin.close()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    floor = statistics.median(times["psql -1 -f"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, PostgreSQL binaries {state.bindir}")
    print(f"{args.migrations} trivial migrations, median of {args.runs} runs (fresh database each):")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<12} {median:7.3f} s   {median / floor:5.2f}x psql")
    median_status = statistics.median(status_times)
    print(f"dbrun status with {args.status_migrations} migrations on disk (all applied): {median_status:.3f} s "
          f"(median of {args.runs}); in-process api.status: {statistics.median(api_status_times):.3f} s")


if __name__ == "__main__":
    main()
