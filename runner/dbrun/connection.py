"""Opening the database connection a command works on, and finding which database that is."""

from __future__ import annotations

import getpass
import os
import re
import socket
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

from dbrun import __version__
from dbrun.config import Settings
from dbrun.errors import ConnectionFailed, UnsupportedServer
from dbrun.versions import MIN_MAJOR, major_of, require_supported

# How often the server checks that our client is still there while a statement runs: if the runner
# is killed mid-migration, its transaction is rolled back and its advisory lock freed within this.
CLIENT_CHECK_INTERVAL = "1s"


# Session settings dbrun itself relies on. Sent in the startup packet, they are the session's reset
# values: `RESET ALL` (by dbrun between files, or by a migration) comes back to them.
RUNNER_SESSION_SETTINGS = {"client_connection_check_interval": CLIENT_CHECK_INTERVAL}

# Run before every migration, repeatable, seed and check: each file starts from the state the session
# had when it connected (role, search_path, every setting, no temporary objects), whatever the file
# before it did. Valid inside a transaction too (the dry-run runs every file in one).
RESET_SESSION_SQL = "RESET ALL; RESET SESSION AUTHORIZATION; RESET ROLE; DISCARD TEMP; DISCARD SEQUENCES"


@dataclass(frozen=True)
class Target:
    url: str
    embedded: bool
    notes: tuple[str, ...] = field(default=())


_KV_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def redact(url: str) -> str:
    """The URL or `key=value` DSN without its password (user info or `password` parameter), for output."""
    if "://" not in url:
        return _KV_PASSWORD.sub(r"\1***", url)
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return "<unparsable database URL>"
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        netloc = f"{userinfo.split(':', 1)[0]}:***@{hostinfo}"
    if any(key.lower() == "password" for key, _ in query):
        query = [(key, "***" if key.lower() == "password" else value) for key, value in query]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="/*")))
    return urlunsplit(parts._replace(netloc=netloc))


def describe_connection(conn: psycopg.Connection[Any]) -> str:
    """Where a connection points, for `up`/`down` to print before changing anything: never a password."""
    info = conn.info
    host = info.host if not info.host.startswith("/") else f"socket {info.host}"
    return f"database {info.dbname} on {host} port {info.port} as {info.user}"


def reset_session_sql() -> str:
    """The SQL of `reset_session`, for callers that send it together with their own statements."""
    # The runner's settings are set again explicitly too: the startup packet's copy is what a file's
    # own RESET ALL comes back to, this one does not depend on it (a pooler may drop startup options).
    settings = "; ".join(f"SET {name} = '{value}'" for name, value in RUNNER_SESSION_SETTINGS.items())
    return f"{RESET_SESSION_SQL}; {settings}"


def reset_session(conn: psycopg.Connection[Any]) -> None:
    conn.execute(reset_session_sql())


def resolve_target(settings: Settings) -> Target:
    """The database URL given, or the embedded local cluster (started on demand)."""
    if settings.database_url:
        return Target(settings.database_url, embedded=False)
    from dbrun.local import LocalCluster  # a command given a URL never needs it

    cluster = LocalCluster(settings.cluster_dir)
    url = cluster.url()
    return Target(url, embedded=True, notes=tuple(cluster.notes))


def application_name() -> str:
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    return f"dbrun/{__version__} {who}"[:63]


def connect(url: str) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit connection (dbrun opens every transaction itself), version-checked."""
    try:
        conn = psycopg.connect(url, autocommit=True, application_name=application_name(), connect_timeout=10,
                               options=_options_with_runner_settings(url))
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(
            f"cannot connect to {redact(url)}: {str(exc).strip()}",
            hint="check --database-url / DATABASE_URL, or omit both to use the embedded local cluster",
        ) from exc
    except psycopg.ProgrammingError as exc:
        raise ConnectionFailed(f"invalid database URL {redact(url)}: {exc}",
                               hint="use postgresql://user:password@host:port/dbname") from exc
    try:
        require_supported(major_of(conn.info.server_version), conn.info.parameter_status("server_version") or "?",
                          f"the server at {redact(url)}",
                          fix=f"upgrade that server to PostgreSQL {MIN_MAJOR} or newer (pg_upgrade, or dump and "
                              "restore), or point --database-url / DATABASE_URL at one that is")
    except UnsupportedServer:
        conn.close()
        raise
    return conn


def _options_with_runner_settings(url: str) -> str:
    """The URL's own `options` (else PGOPTIONS, which an explicit value replaces), plus dbrun's session
    settings as `-c name=value`."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        existing = str(conninfo_to_dict(url).get("options") or os.environ.get("PGOPTIONS", ""))
    except psycopg.ProgrammingError:
        existing = ""  # connect() reports the unreadable URL itself
    ours = " ".join(f"-c {name}={value}" for name, value in RUNNER_SESSION_SETTINGS.items())
    return f"{existing} {ours}".strip()
