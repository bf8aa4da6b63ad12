"""dbrun against its peers, on the same trivial migrations (each a table with a primary key and a comment).

Every tool applies N migrations (default 200) to a fresh database of one private cluster; the tools take
turns within each round (the order rotates), and medians of the rounds are reported with ratios to two
baselines measured in the same run:
  - `psql -1`: the SQL of every file in one transaction (no bookkeeping at all: the floor);
  - `psql per file`: one psql session, each file in its own transaction with a history row inserted in
    it, which is the same atomic work dbrun does.
Peers are installed from the package registries into the benchmark's own environment (--peers-dir,
reused between runs): dbmate from npm, yoyo-migrations (with psycopg) from PyPI into a venv of its own,
and sqitch from Debian (apt-get, when root on Debian; skipped otherwise). Also timed: `dbrun --version`,
`dbrun up` with nothing to do (its fixed cost) and `dbrun status` with --status-migrations files applied.
Not a test: run it by hand (docs/benchmarks.md).

    .venv/bin/python bench/bench_runner.py [--migrations 200] [--runs 5] [--peers-dir ~/.cache/dbrun-bench-peers]
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
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from dbrun.local import ClusterState, LocalCluster

BIN = Path(sys.executable).parent
DEFAULT_PEERS = Path.home() / ".cache" / "dbrun-bench-peers"


def trivial_migration(i: int) -> tuple[str, str]:
    up = (f"-- Migration: m{i}\nCREATE TABLE bench_{i} (id bigint CONSTRAINT pk_bench_{i} PRIMARY KEY, v text);\n"
          f"COMMENT ON TABLE bench_{i} IS 'benchmark table {i}';\n")
    return up, f"DROP TABLE bench_{i};\n"


def version_of(i: int) -> str:
    """Distinct 12-digit UTC stamps, one minute apart, from 2026-01-01 00:00."""
    minutes = i
    day, minute_of_day = divmod(minutes, 24 * 60)
    month, day_of_month = divmod(day, 28)
    return f"2026{1 + month:02d}{1 + day_of_month:02d}{minute_of_day // 60:02d}{minute_of_day % 60:02d}"


def write_repo(root: Path, count: int) -> None:
    """The same migrations in each tool's layout: dbrun (sql/up, sql/down), yoyo, dbmate, sqitch, psql."""
    for folder in ("sql/up", "sql/down", "yoyo", "dbmate", "sqitch/deploy", "sqitch/revert", "sqitch/verify"):
        (root / folder).mkdir(parents=True)
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    one_transaction, per_file = [], ["CREATE TABLE bench_history (version text PRIMARY KEY, "
                                     "applied_at timestamptz NOT NULL DEFAULT now());"]
    for i in range(count):
        up, down = trivial_migration(i)
        version = version_of(i)
        name = f"{version}_m{i}"
        (root / "sql/up" / f"{name}.sql").write_text(up)
        (root / "sql/down" / f"{name}.sql").write_text(down)
        (root / "yoyo" / f"{name}.sql").write_text(up)
        (root / "yoyo" / f"{name}.rollback.sql").write_text(down)
        (root / "dbmate" / f"{version}00_m{i}.sql").write_text(f"-- migrate:up\n{up}\n-- migrate:down\n{down}")
        (root / "sqitch/deploy" / f"m{i}.sql").write_text(f"BEGIN;\n{up}COMMIT;\n")
        (root / "sqitch/revert" / f"m{i}.sql").write_text(f"BEGIN;\n{down}COMMIT;\n")
        (root / "sqitch/verify" / f"m{i}.sql").write_text(f"SELECT 1 FROM bench_{i} WHERE false;\n")
        plan.append(f"m{i} 2026-01-01T00:00:00Z Bench <bench@example.invalid> # m{i}")
        one_transaction.append(up)
        per_file.append(f"BEGIN;\n\\i {root / 'sql/up' / f'{name}.sql'}\n"
                        f"INSERT INTO bench_history (version) VALUES ('{version}');\nCOMMIT;")
    (root / "sqitch/sqitch.plan").write_text("\n".join(plan) + "\n")
    (root / "sqitch/sqitch.conf").write_text("[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n")
    (root / "all.sql").write_text("\n".join(one_transaction))
    (root / "per_file.sql").write_text("\n".join(per_file) + "\n")


# ---------------------------------------------------------------------------------------------
# peers


@dataclass
class Peers:
    dbmate: Path | None
    yoyo: Path | None
    sqitch: Path | None
    notes: list[str]


def install_peers(folder: Path) -> Peers:
    notes: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    dbmate = folder / "npm/node_modules/.bin/dbmate"
    if not dbmate.exists() and shutil.which("npm"):
        run(["npm", "install", "--prefix", str(folder / "npm"), "--no-audit", "--no-fund", "dbmate@2"])
    yoyo = folder / "yoyo-venv/bin/yoyo"
    if not yoyo.exists():
        run([sys.executable, "-m", "venv", str(folder / "yoyo-venv")])
        run([str(folder / "yoyo-venv/bin/pip"), "install", "-q", "yoyo-migrations", "psycopg[binary]"])
    sqitch = shutil.which("sqitch")
    if sqitch is None and os.geteuid() == 0 and shutil.which("apt-get"):
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", "sqitch", "libdbd-pg-perl"])
        sqitch = shutil.which("sqitch")
    if sqitch is None:
        notes.append("sqitch not measured: install it from Debian (apt-get install sqitch libdbd-pg-perl)")
    if not dbmate.exists():
        notes.append("dbmate not measured: npm is missing")
    return Peers(dbmate if dbmate.exists() else None, yoyo, Path(sqitch) if sqitch else None, notes)


def peer_version(argv: list[str]) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).strip().splitlines()[0] if result.returncode == 0 else "?"


# ---------------------------------------------------------------------------------------------
# running


# As users run them: Python tools keep their compiled bytecode (some shells set PYTHONDONTWRITEBYTECODE,
# which makes every run recompile an editable checkout's modules).
BASE_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, env={**BASE_ENV, **(env or {})}, check=False,
                            cwd=cwd)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed:\n{result.stdout[-1000:]}\n{result.stderr[-2000:]}")


def timed(fn: Callable[[], None]) -> tuple[float, float]:
    """Wall time and the CPU time of the child processes it ran (user + system)."""
    before = os.times()
    start = time.perf_counter()
    fn()
    wall = time.perf_counter() - start
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


@dataclass
class Database:
    name: str
    state: ClusterState

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{self.name}?host={quote(self.state.socket_dir, safe='/')}&port={self.state.port}"

    @property
    def libpq_env(self) -> dict[str, str]:
        return {"PGHOST": self.state.socket_dir, "PGPORT": str(self.state.port), "PGUSER": "postgres",
                "PGDATABASE": self.name}


def commands(repo: Path, peers: Peers, psql: str) -> dict[str, Callable[[Database], None]]:
    tools: dict[str, Callable[[Database], None]] = {
        "psql -1": lambda db: run([psql, "-q", "-X", "-1", "-v", "ON_ERROR_STOP=1", "-f", str(repo / "all.sql"),
                                   db.url]),
        "psql per file": lambda db: run([psql, "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f",
                                         str(repo / "per_file.sql"), db.url]),
        "dbrun": lambda db: run([str(BIN / "dbrun"), "--root", str(repo), "--database-url", db.url, "up"]),
    }
    if peers.dbmate:
        dbmate = str(peers.dbmate)
        tools["dbmate"] = lambda db: run([dbmate, "--url", f"postgres://postgres@/{db.name}?host="
                                          f"{quote(db.state.socket_dir, safe='')}&port={db.state.port}"
                                          "&sslmode=disable", "--migrations-dir", str(repo / "dbmate"),
                                          "--no-dump-schema", "up"])
    if peers.yoyo:
        yoyo = str(peers.yoyo)
        tools["yoyo"] = lambda db: run([yoyo, "apply", "--batch", "--no-config-file", "--database",
                                        db.url.replace("postgresql://", "postgresql+psycopg://"), str(repo / "yoyo")])
    if peers.sqitch:
        sqitch = str(peers.sqitch)
        tools["sqitch"] = lambda db: run([sqitch, "deploy", "--target", f"db:pg:{db.name}"], cwd=repo / "sqitch",
                                         env={**db.libpq_env, "SQITCH_FULLNAME": "Bench",
                                              "SQITCH_EMAIL": "bench@example.invalid"})
    return tools


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--migrations", type=int, default=200)
    parser.add_argument("--status-migrations", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peers-dir", type=Path, default=DEFAULT_PEERS)
    parser.add_argument("--only", nargs="*", help="measure only these tools (e.g. dbrun dbmate 'psql per file')")
    args = parser.parse_args()

    peers = install_peers(args.peers_dir)
    run([str(BIN / "dbrun"), "--help"])  # a first run writes the bytecode of an editable install
    work = Path(tempfile.mkdtemp(prefix="dbrun-bench-"))
    work.chmod(0o755)
    cluster = LocalCluster(work / "cluster", dbname=None, port=None)
    state = cluster.start()
    psql = str(Path(state.bindir) / "psql")
    admin = psycopg.connect(cluster.conninfo(state, "postgres"), autocommit=True)
    load_before = os.getloadavg()

    def fresh(name: str) -> Database:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        return Database(name, state)

    try:
        repo = work / "repo"
        write_repo(repo, args.migrations)
        tools = commands(repo, peers, psql)
        if args.only:
            tools = {name: fn for name, fn in tools.items() if name in args.only}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in tools}
        names = list(tools)
        for round_ in range(args.runs):
            for name in names[round_ % len(names):] + names[:round_ % len(names)]:  # rotate who goes first
                db = fresh(f"{name.replace(' ', '_').replace('-', '')}_{round_}")
                times[name].append(timed(lambda db=db, name=name: tools[name](db)))
                admin.execute(f'DROP DATABASE "{db.name}" WITH (FORCE)')
        version_times = [timed(lambda: run([str(BIN / "dbrun"), "--version"])) for _ in range(args.runs * 2)]
        # dbrun's fixed cost: `up` with nothing pending (start-up, reading the files, plan, checks).
        db = fresh("noop")
        up = [str(BIN / "dbrun"), "--root", str(repo), "--database-url", db.url, "up"]
        run(up)
        noop_times = [timed(lambda: run(up)) for _ in range(args.runs * 2)]
        status_repo = work / "status_repo"
        write_repo(status_repo, args.status_migrations)
        db = fresh("status")
        run([str(BIN / "dbrun"), "--root", str(status_repo), "--database-url", db.url, "up"])
        status_times = [timed(lambda: run([str(BIN / "dbrun"), "--root", str(status_repo), "--database-url", db.url,
                                           "status"])) for _ in range(args.runs * 2)]
    finally:
        admin.close()
        cluster.destroy()
        shutil.rmtree(work, ignore_errors=True)

    report(args, peers, state, times, {"version": version_times, "noop": noop_times, "status": status_times},
           load_before, os.getloadavg())


def report(args: argparse.Namespace, peers: Peers, state: ClusterState, times: dict[str, list[tuple[float, float]]],
           commands: dict[str, list[tuple[float, float]]], load_before: tuple[float, float, float],
           load_after: tuple[float, float, float]) -> None:
    def median(values: list[tuple[float, float]], which: int = 0) -> float:
        return statistics.median(v[which] for v in values)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_implementation()} "
          f"{platform.python_version()}, PostgreSQL binaries {state.bindir}; load average "
          f"{load_before[0]:.1f} before, {load_after[0]:.1f} after")
    versions = {"dbmate": [str(peers.dbmate), "--version"] if peers.dbmate else None,
                "yoyo": [str(peers.yoyo.parent / "python"), "-c",
                         "import importlib.metadata as m; print('yoyo-migrations', m.version('yoyo-migrations'))"]
                if peers.yoyo else None,
                "sqitch": [str(peers.sqitch), "--version"] if peers.sqitch else None}
    print("peers: " + "; ".join(peer_version(argv) for argv in versions.values() if argv))
    for note in peers.notes:
        print(f"note: {note}")
    print(f"{args.migrations} trivial migrations, fresh database each, tools interleaved, median of {args.runs} rounds:")
    floor = median(times["psql -1"]) if "psql -1" in times else None
    same_work = median(times["psql per file"]) if "psql per file" in times else None
    print(f"  {'tool':<14} {'wall':>8} {'client cpu':>11} {'x psql -1':>10} {'x psql per file':>16}")
    for name, values in sorted(times.items(), key=lambda item: median(item[1])):
        wall = median(values)
        ratio_floor = f"{wall / floor:.2f}" if floor else "-"
        ratio_same = f"{wall / same_work:.2f}" if same_work else "-"
        print(f"  {name:<14} {wall:7.3f}s {median(values, 1):10.3f}s {ratio_floor:>10} {ratio_same:>16}")
    for label, key in (("dbrun --version", "version"), (f"dbrun up with the {args.migrations} applied (nothing to do)",
                                                           "noop"),
                       (f"dbrun status with {args.status_migrations} migrations applied", "status")):
        print(f"{label}: {median(commands[key]) * 1000:.0f} ms (median of {len(commands[key])}; client cpu "
              f"{median(commands[key], 1) * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
