"""Shared fixtures: one PostgreSQL cluster per session, started by dbrun's own launcher.

pytest-postgresql builds a template database once per session (`postgresql_noproc(load=...)`) and
clones a fresh database from it for each test. The product template is built by `dbrun up` itself,
so the tests exercise the same apply path as users.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from pytest_postgresql import factories
from typer.testing import CliRunner

from dbrun import api
from dbrun.cli import app
from dbrun.config import Settings, load_settings
from dbrun.local import LocalCluster
from tests.helpers.schema import Conn, load_seeds

REPO_ROOT = Path(__file__).resolve().parent.parent
FAST_SERVER = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off", "max_connections": "200"}


@dataclass
class ServerInfo:
    """What pytest-postgresql's `depends_on` needs from a process fixture."""

    host: str
    port: int
    user: str
    password: str | None
    options: str
    maintenance_dbname: str
    template_dbname: str | None
    bindir: Path
    cluster: LocalCluster


@pytest.fixture(scope="session")
def dbrun_server() -> Iterator[ServerInfo]:
    base = Path(tempfile.mkdtemp(prefix="dbrun-tests-"))
    base.chmod(0o755)  # when root, the server's unprivileged user must reach its data under here
    cluster = LocalCluster(base / "cluster", dbname=None, server_settings=FAST_SERVER, port=None)
    state = cluster.start()
    try:
        yield ServerInfo(host=state.socket_dir, port=state.port, user="postgres", password=None, options="",
                         maintenance_dbname="postgres", template_dbname=None, bindir=Path(state.bindir),
                         cluster=cluster)
    finally:
        cluster.destroy()
        shutil.rmtree(base, ignore_errors=True)


def url_of(host: str, port: int, user: str, dbname: str) -> str:
    return f"postgresql://{user}@/{quote(dbname)}?host={quote(str(host), safe='/')}&port={port}"


def _apply_product(host: str, port: int, user: str, dbname: str, **_: Any) -> None:
    """Template loader: the whole repository applied by dbrun's own `up`."""
    settings = load_settings(REPO_ROOT, url_of(host, port, user, dbname))
    api.up(settings)


postgresql_empty = factories.postgresql_noproc(depends_on="dbrun_server", dbname="runner")
postgresql = factories.postgresql("postgresql_empty")
postgresql_product = factories.postgresql_noproc(depends_on="dbrun_server", dbname="product",
                                                 load=[_apply_product])
product_db = factories.postgresql("postgresql_product")


def _url_of_conn(conn: psycopg.Connection[Any]) -> str:
    info = conn.info
    return url_of(info.host, info.port, info.user, info.dbname)


@pytest.fixture
def db_url(postgresql: psycopg.Connection[Any]) -> str:
    """URL of the fresh empty database of this test."""
    return _url_of_conn(postgresql)


@pytest.fixture
def product_url(product_db: psycopg.Connection[Any]) -> str:
    """URL of this test's fresh copy of the fully migrated product database."""
    return _url_of_conn(product_db)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Write a small repository: {relative path: content}; returns its root."""

    def make(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        root = root or tmp_path / "repo"
        (root / "sql" / "up").mkdir(parents=True, exist_ok=True)
        (root / "sql" / "down").mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    def make(root: Path, url: str, **overrides: Any) -> Settings:
        return load_settings(root, url, overrides)

    return make


@pytest.fixture
def pg_dump_schema(dbrun_server: ServerInfo) -> Callable[[str], str]:
    """`pg_dump --schema-only` of a database, from the same binaries as the server."""

    def dump(url: str) -> str:
        result = subprocess.run([str(dbrun_server.bindir / "pg_dump"), "--schema-only", "--no-owner",
                                 "--restrict-key=dbrun", "-d", url],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0 and "restrict-key" in result.stderr:
            result = subprocess.run([str(dbrun_server.bindir / "pg_dump"), "--schema-only", "--no-owner", "-d", url],
                                    capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    return dump


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def dbrun_cli() -> Callable[..., CliResult]:
    """Run the CLI in-process through typer's CliRunner against a database and repository."""

    def run(*args: str, url: str | None = None, root: Path | None = None,
            env: dict[str, str] | None = None) -> CliResult:
        prefix: list[str] = []
        if url:
            prefix += ["--database-url", url]
        prefix += ["--root", str(root or REPO_ROOT)]
        result = CliRunner().invoke(app, prefix + list(args), env={"COLUMNS": "200", **(env or {})})
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def db(product_db: Conn) -> Conn:
    """The product database, not seeded."""
    return product_db


@pytest.fixture
def seeded(product_db: Conn) -> Conn:
    """The product database with the development seeds loaded (uncommitted)."""
    load_seeds(product_db)
    return product_db


os.environ.setdefault("DBRUN_LOCK_WAIT", "10")
