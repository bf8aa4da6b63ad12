"""`dbrun status` of this working tree against the same command at another git revision (the baseline).

Builds the bench's repository of N trivial migrations (bench_runner's), applies it to a fresh database
of a private cluster, extracts the baseline revision's runner/ with `git archive`, then times whole
`python -m dbrun status` commands of both, taking turns (the order alternating), and prints medians of
wall time and client CPU (user + system of the command) with the ratio to the baseline. Both use this
venv's packages and cached bytecode. Not a test: run it by hand (docs/benchmarks.md).

    .venv/bin/python bench/bench_status.py [--baseline main] [--migrations 500] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from bench_runner import BASE_ENV, BIN, write_repo

from dbrun.local import LocalCluster

REPO_ROOT = Path(__file__).resolve().parent.parent


def extract_runner(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", revision, "runner"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "runner"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and the command's CPU time (user + system)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--migrations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-status-"))
    work.chmod(0o755)
    cluster = LocalCluster(work / "cluster", dbname=None, port=None)
    state = cluster.start()
    try:
        with psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True) as admin:
            admin.execute('CREATE DATABASE "status"')
        url = f"postgresql://postgres@/status?host={state.socket_dir}&port={state.port}"
        repo = work / "repo"
        write_repo(repo, args.migrations)
        status = [sys.executable, "-m", "dbrun", "--root", str(repo), "--database-url", url, "status"]
        subprocess.run([str(BIN / "dbrun"), "--root", str(repo), "--database-url", url, "up"], check=True,
                       capture_output=True, env=BASE_ENV)
        variants = {f"baseline ({args.baseline})": {**BASE_ENV, "PYTHONPATH": str(extract_runner(args.baseline, work))},
                    "this tree": dict(BASE_ENV)}
        for env in variants.values():
            timed(status, env)  # writes the bytecode
        load_before = os.getloadavg()
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in variants}
        names = list(variants)
        for round_ in range(args.runs):
            for name in names if round_ % 2 == 0 else names[::-1]:
                times[name].append(timed(status, variants[name]))
        load_after = os.getloadavg()
    finally:
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    print(f"dbrun status, {args.migrations} migrations applied, {args.runs} runs each, medians; load average "
          f"{load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end")
    base_wall, base_cpu = (statistics.median(t[i] for t in times[names[0]]) for i in (0, 1))
    for name in names:
        wall, cpu = (statistics.median(t[i] for t in times[name]) for i in (0, 1))
        print(f"  {name:<20} wall {wall * 1000:5.0f} ms ({wall / base_wall:.2f}x)   "
              f"client cpu {cpu * 1000:5.0f} ms ({cpu / base_cpu:.2f}x)")


if __name__ == "__main__":
    main()
