"""A real Citus cluster for the tests marked `citus`: a coordinator and workers on local ports.

The cluster is made by the shared `cluster.sh` (../shared/citus, or $DBRUN_CITUS_DIR), which needs
Citus built into the local PostgreSQL by its `build.sh` (the Citus CI job, `.ci/citus`, runs it). As
root, the servers run as the `postgres` OS user, so the cluster lives in a temporary folder that user
can reach (never under /root).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from dbrun import catalog
from dbrun.execute import apply_seeds, seed_files
from dbrun.plan import seed_plan
from tests.helpers.schema import SERVICE_LOGINS, ensure_service_logins, url_as

Conn = psycopg.Connection[Any]

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_CITUS_DIRS = (REPO_ROOT.parent / "shared" / "citus", Path("/work/shared/citus"))


class CitusUnavailable(RuntimeError):
    """Citus cannot be started here: the message says what to install or set."""


def citus_dir() -> Path:
    """The folder with cluster.sh and build.sh: $DBRUN_CITUS_DIR, else <repo>/../shared/citus, else
    /work/shared/citus."""
    override = os.environ.get("DBRUN_CITUS_DIR")
    candidates = (Path(override),) if override else SHARED_CITUS_DIRS
    for candidate in candidates:
        if (candidate / "cluster.sh").is_file():
            return candidate
    raise CitusUnavailable(f"no cluster.sh in {', '.join(str(c) for c in candidates)}: "
                           "set DBRUN_CITUS_DIR to the folder holding Citus's build.sh and cluster.sh")


def citus_installed() -> bool:
    """Whether Citus is built into the PostgreSQL that pg_config names (build.sh installs it there)."""
    pkglibdir = subprocess.run(["pg_config", "--pkglibdir"], capture_output=True, text=True, check=True).stdout.strip()
    return (Path(pkglibdir) / "citus.so").is_file()


@dataclass
class CitusCluster:
    """A coordinator and `workers` workers in `directory`; `url` is the coordinator's `postgres` database."""

    directory: Path
    url: str
    workers: int

    @classmethod
    def start(cls, workers: int = 2) -> CitusCluster:
        if not citus_installed():
            raise CitusUnavailable("Citus is not installed into this PostgreSQL: run "
                                   f"`bash {citus_dir() / 'build.sh'}` first (as root; about 3 minutes)")
        directory = Path(tempfile.mkdtemp(prefix="dbrun-citus-", dir="/tmp"))
        directory.chmod(0o755)  # the postgres OS user runs the servers when we are root
        try:
            url = _cluster_sh("start", directory, str(workers)).strip().splitlines()[-1]
        except BaseException:
            _stop(directory)
            raise
        return cls(directory, url, workers)

    def stop(self) -> None:
        _stop(self.directory)

    def node_urls(self) -> list[str]:
        """Every node's `postgres` database: the coordinator first, then the workers."""
        names = ["coordinator"] + [f"worker{i}" for i in range(1, self.workers + 1)]
        return [f"postgresql://postgres@127.0.0.1:{(self.directory / f'{n}.port').read_text().strip()}/postgres"
                for n in names]


def _cluster_sh(*args: str | Path) -> str:
    script = citus_dir() / "cluster.sh"
    done = subprocess.run(["bash", str(script), *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise CitusUnavailable(f"{script} {' '.join(map(str, args))} failed ({done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")
    return done.stdout


def _stop(directory: Path) -> None:
    try:
        _cluster_sh("stop", directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# -- the product on the cluster ----------------------------------------------------------------

def load_citus_seeds(url: str) -> list[str]:
    """Apply every development seed (seeds/*.sql, in order) the way `dbrun seed` applies them on Citus:
    each file in its own transaction, with Citus's session settings. Returns the files applied."""
    with psycopg.connect(url, autocommit=True) as conn:
        plan = seed_plan(catalog.engine(conn).facts())
        assert plan is not None, "not a Citus coordinator"
        applied = apply_seeds(conn, REPO_ROOT, seed_files(REPO_ROOT), plan)
    return applied.files


@contextmanager
def tenant_session(url: str, group: str, org: str | None, user: str | None = None) -> Iterator[Conn]:
    """A transaction logged in as the service login of `group` (app_rw or app_ro), with the tenant set
    the Citus way: `SET LOCAL app.org_id` (propagated to the workers: the database sets
    citus.propagate_set_commands = 'local'). Rolled back when the block ends."""
    ensure_service_logins(url)
    with psycopg.connect(url_as(url, SERVICE_LOGINS[group])) as conn:
        who = conn.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
        assert who == (SERVICE_LOGINS[group], False), who
        for setting, value in (("app.org_id", org), ("app.user_id", user)):
            if value is not None:
                conn.execute(sql.SQL("SET LOCAL {} = {}").format(sql.Identifier(*setting.split(".")), sql.Literal(value)))
        try:
            yield conn
        finally:
            conn.rollback()


def violated_constraint(error: psycopg.Error) -> str | None:
    """The constraint an error names, as the schema declares it. Two Citus differences services matching
    names must allow for: an error raised on a worker reaches the client without its constraint_name
    field (the name is in the message only), and a shard's constraint carries its shard id
    (`fk_api_keys_user_id_103009`)."""
    name = error.diag.constraint_name
    if name is None:
        found = re.search(r'constraint "([^"]+)"', error.diag.message_primary or "")
        name = found.group(1) if found else None
    return re.sub(r"_\d+$", "", name) if name else None
