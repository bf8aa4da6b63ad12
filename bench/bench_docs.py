"""`dbrun docs` on the whole repository: the 10 s goal, and its cost over applying the repository.

On a private cluster (fsync on), medians of --runs, whole commands as a user runs them:
  - `dbrun up` of the repository to a fresh database (the baseline: the throwaway path must do this);
  - `dbrun docs --check` with no database URL: the repository applied to a throwaway database on the
    embedded cluster, read, rendered and compared with the committed files, the database dropped;
  - `dbrun docs --check --database-url` of an already migrated database (introspection and rendering);
  - `dbrun diff` of that database against the snapshot.
Ratios against the baseline measured in the same run. Not a test: run it by hand (see docs/benchmarks.md).

    .venv/bin/python bench/bench_docs.py [--runs 3]
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
from pathlib import Path
from urllib.parse import quote

import psycopg

from dbrun.local import LocalCluster

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
COPIED = ("sql", "policies", "views", "seeds", "docs", "schema")


def run(argv: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[1:4])} failed ({result.returncode}):\n{(result.stdout + result.stderr)[-2000:]}")
    return elapsed


def copy_repository(target: Path, cluster_dir: Path) -> None:
    """The repository with its committed reference, its embedded cluster pointed at the private one."""
    for part in COPIED:
        shutil.copytree(REPO / part, target / part)
    pyproject = (REPO / "pyproject.toml").read_text()
    pointed = pyproject.replace("[tool.dbrun]\n", f'[tool.dbrun]\nlocal_dir = "{cluster_dir}"\n')
    (target / "pyproject.toml").write_text(pointed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-docs-"))
    work.chmod(0o755)
    cluster = LocalCluster(work / "cluster", port=None)
    state = cluster.start()
    admin = psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True)
    dbrun = str(BIN / "dbrun")

    def fresh(name: str) -> str:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@/{name}?host={quote(state.socket_dir, safe='/')}&port={state.port}"

    times: dict[str, list[float]] = {"dbrun up (fresh database)": [], "dbrun docs --check (throwaway)": [],
                                     "dbrun docs --check --database-url": [], "dbrun diff": []}
    try:
        repo = work / "repo"
        copy_repository(repo, work / "cluster")
        migrated = fresh("migrated")
        run([dbrun, "--root", str(repo), "--database-url", migrated, "up"])
        for i in range(args.runs):
            url = fresh(f"up_{i}")
            times["dbrun up (fresh database)"].append(run([dbrun, "--root", str(repo), "--database-url", url, "up"]))
            times["dbrun docs --check (throwaway)"].append(run([dbrun, "--root", str(repo), "docs", "--check"]))
            times["dbrun docs --check --database-url"].append(
                run([dbrun, "--root", str(repo), "--database-url", migrated, "docs", "--check"]))
            times["dbrun diff"].append(run([dbrun, "--root", str(repo), "--database-url", migrated, "diff"]))
    finally:
        admin.close()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    baseline = statistics.median(times["dbrun up (fresh database)"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, PostgreSQL binaries {state.bindir}")
    print(f"whole repository ({len(list((REPO / 'sql/up').glob('*.sql')))} migrations), median of {args.runs} runs:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<36} {median:6.3f} s   {median / baseline:5.2f}x up")


if __name__ == "__main__":
    main()
