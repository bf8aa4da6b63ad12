"""The embedded cluster: created once, reused, stopped; as root it runs as an unprivileged user."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pytest

from dbrun import local
from dbrun.errors import LocalClusterError
from dbrun.local import LocalCluster


def test_lifecycle_create_reuse_stop(tmp_path: Path) -> None:
    # tmp_path is private to root (0700): as root the server's user cannot reach it, so the data
    # must move to a place it can reach, with a note saying where.
    cluster = LocalCluster(tmp_path / "private" / ".dbrun", port=55499)
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
        again = LocalCluster(tmp_path / "private" / ".dbrun", port=55499)
        again.start()
        assert not any(note.startswith("created") for note in again.notes)  # reused, not re-created
        assert again.status().data_dir == status.data_dir
    finally:
        cluster.destroy()
    assert not cluster.status().initialized


def test_no_server_binaries_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBRUN_PG_BINDIR", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(local, "_pgserver_bindir", lambda: None)
    with pytest.raises(LocalClusterError) as caught:
        local.find_binaries()
    assert "pip install 'dbrun[local]'" in (caught.value.hint or "")


def test_explicit_bindir_without_server_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBRUN_PG_BINDIR", str(tmp_path))
    with pytest.raises(LocalClusterError, match="DBRUN_PG_BINDIR"):
        local.find_binaries()
