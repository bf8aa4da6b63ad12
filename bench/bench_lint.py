"""Benchmark `dbrun lint`: cold (no cache), warm (every file cached), and --since with one new pair.

    .venv/bin/python bench/bench_lint.py [--runs 3]

Every figure is the median of --runs runs of the real command line (`dbrun --root TMP lint`, a fresh
process each time, as in CI). The baseline, measured in the same run on the same files, is the same
cold command with sqlfluff's Rust parser hidden (`sqlfluffrs` made unimportable, so sqlfluff falls
back to its pure-Python parser, as before dbrun depended on `sqlfluff[rs]`). The repository is
copied to a temporary git repository and padded with renumbered copies of its migration pairs to
150 files (the goal's size), so the checkout is never touched.
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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_FILES = 150
GOAL_COLD_S = 10.0
GOAL_WARM_S = 3.0
GOAL_SINCE_S = 2.0
# `dbrun` with sqlfluffrs unimportable: sqlfluff then uses its pure-Python parser.
PURE_PYTHON = [sys.executable, "-c",
               "import sys; sys.modules['sqlfluffrs'] = None; sys.argv[0] = 'dbrun'; "
               "from dbrun.cli import main; main()"]


@dataclass(frozen=True)
class Timing:
    wall: float  # median elapsed seconds
    cpu: float  # median user + system seconds of the command and its worker processes

    def __str__(self) -> str:
        return f"{self.wall:6.2f} s wall, {self.cpu:6.2f} s CPU"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median_seconds(command: Sequence[str], cwd: Path, runs: int) -> Timing:
    """Median wall and CPU time: on a shared machine the CPU time is the steadier of the two."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), _children_cpu()
        done = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        cpus.append(_children_cpu() - cpu_start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return Timing(statistics.median(walls), statistics.median(cpus))


def copy_repository(target: Path) -> list[Path]:
    """Copy the lintable tree, pad it to TARGET_FILES with renumbered migration pairs, git-commit it."""
    for name in ("pyproject.toml", ".sqlfluff", ".squawk.toml"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, target / name)
    for folder in ("sql", "policies", "views", "seeds"):
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, target / folder)
    ups = sorted((target / "sql/up").glob("*.sql"))
    if not ups:
        raise SystemExit("the repository has no migrations to benchmark")
    version = 209901010000  # after every real version, so order and pairs stay valid
    while len(lintable(target)) < TARGET_FILES:
        for up in ups:
            slug = up.name.split("_", 1)[1]
            shutil.copy(up, target / "sql/up" / f"{version}_{slug}")
            shutil.copy(target / "sql/down" / up.name, target / "sql/down" / f"{version}_{slug}")
            version += 1
            if len(lintable(target)) >= TARGET_FILES:
                break
    git(target, "init", "-q")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "benchmark base")
    return lintable(target)


def lintable(root: Path) -> list[Path]:
    folders = [root / f for f in ("sql", "policies", "views", "seeds")]
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.sql"))


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args], cwd=root,
                   check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp:
        root = Path(tmp)
        files = copy_repository(root)
        args = ["--root", str(root), "lint"]
        dbrun = [str(BIN / "dbrun"), *args]
        cold = median_seconds([*dbrun, "--no-cache"], root, runs)
        pure_python = median_seconds([*PURE_PYTHON, *args, "--no-cache"], root, runs)
        median_seconds(dbrun, root, 1)  # fills the cache
        warm = median_seconds(dbrun, root, runs)
        newest = sorted((root / "sql/up").glob("*.sql"))[-1]
        changed = root / "sql/up" / "209912312359_bench_change.sql"
        shutil.copy(newest, changed)
        shutil.copy(root / "sql/down" / newest.name, root / "sql/down" / changed.name)
        since = median_seconds([*dbrun, "--since", "HEAD", "--no-cache"], root, runs)
    n = len(files)
    print(f"files: {n} (repository padded to >= {TARGET_FILES}); median of {runs} runs; "
          f"{os.cpu_count()} cores; load average at the start {load[0]:.1f}, at the end {os.getloadavg()[0]:.1f}")
    print(f"dbrun lint --no-cache (cold, sqlfluffrs):          {cold}   goal < {GOAL_COLD_S:.0f} s")
    print(f"baseline: the same, pure-Python sqlfluff parser:    {pure_python}   "
          f"ratio cold/baseline = {cold.wall / pure_python.wall:.2f} wall, {cold.cpu / pure_python.cpu:.2f} CPU")
    print(f"dbrun lint (warm: every file from the cache):       {warm}   goal < {GOAL_WARM_S:.0f} s")
    print(f"dbrun lint --since HEAD --no-cache (one new pair):  {since}   goal < {GOAL_SINCE_S:.0f} s")


if __name__ == "__main__":
    main()
