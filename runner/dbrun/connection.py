"""Opening the database connection a command works on, and finding which database that is."""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import psycopg

from dbrun import __version__
from dbrun.config import Settings
from dbrun.errors import ConnectionFailed, Problem, ProblemsFound
from dbrun.local import LocalCluster

MIN_SERVER_VERSION = 140000
# How often the server checks that our client is still there while a statement runs: if the runner
# is killed mid-migration, its transaction is rolled back and its advisory lock freed within this.
CLIENT_CHECK_INTERVAL = "1s"


@dataclass(frozen=True)
class Target:
    url: str
    embedded: bool
    notes: tuple[str, ...] = field(default=())


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable database URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def resolve_target(settings: Settings) -> Target:
    """The database URL given, or the embedded local cluster (started on demand)."""
    if settings.database_url:
        return Target(settings.database_url, embedded=False)
    cluster = LocalCluster(settings.cluster_dir)
    url = cluster.url()
    return Target(url, embedded=True, notes=tuple(cluster.notes))


def application_name() -> str:
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    return f"dbrun/{__version__} {who}"[:63]


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection (dbrun opens every transaction itself), version-checked."""
    try:
        conn = psycopg.connect(url, autocommit=True, application_name=application_name(), connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(
            f"cannot connect to {redact(url)}: {str(exc).strip()}",
            hint="check --database-url / DATABASE_URL, or omit both to use the embedded local cluster",
        ) from exc
    except psycopg.ProgrammingError as exc:
        raise ConnectionFailed(f"invalid database URL {redact(url)}: {exc}",
                               hint="use postgresql://user:password@host:port/dbname") from exc
    version = conn.info.server_version
    if version < MIN_SERVER_VERSION:
        conn.close()
        raise ProblemsFound("the server is too old", [Problem(
            "PRE-VERSION", f"PostgreSQL {version // 10000}.{version % 10000} is not supported",
            hint="dbrun needs PostgreSQL 14 or newer")])
    conn.execute(f"SET client_connection_check_interval = '{CLIENT_CHECK_INTERVAL}'")
    return conn
