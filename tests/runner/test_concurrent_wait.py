"""CREATE INDEX CONCURRENTLY waits for older transactions; that wait has its own budget
(`concurrent_wait`), so a short lock_timeout no longer cuts it short and leaves an INVALID index."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import api
from dbrun.errors import MigrationFailed
from tests.helpers.runner import query

Make = Callable[..., Path]

FILES = {
    "sql/up/202601010000_create_t.sql": "-- Migration: create_t\nCREATE TABLE t (a int);\n",
    "sql/down/202601010000_create_t.sql": "DROP TABLE t;\n",
    "sql/up/202601010100_index_t.sql": ("-- dbrun: transactional=false\n"
                                        "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_a ON t (a);\n"),
    "sql/down/202601010100_index_t.sql": "-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY IF EXISTS ix_t_a;\n",
}


def old_snapshot(url: str) -> psycopg.Connection[Any]:
    """A session holding a snapshot older than the index build, as a long report query would."""
    conn = psycopg.connect(url)
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    conn.execute("SELECT 1")
    return conn


def wait_until_the_build_waits_for_it(url: str) -> None:
    for _ in range(3000):  # polls until seen; a broken build fails the thread instead
        waiting = query(url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'virtualxid' "
                             "AND query LIKE 'CREATE INDEX CONCURRENTLY%'")
        if waiting == [(1,)]:
            return
        time.sleep(0.05)
    raise AssertionError("the index build never waited for the old snapshot")


def test_concurrent_index_waits_past_lock_timeout_within_its_own_budget(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(FILES), db_url, lock_timeout="100ms", lock_retries=0, concurrent_wait="10min")
    api.up(settings, to="202601010000")
    blocker = old_snapshot(db_url)
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            api.up(settings)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    runner = threading.Thread(target=apply)
    runner.start()
    wait_until_the_build_waits_for_it(db_url)
    time.sleep(0.5)  # well past the 100 ms lock_timeout: the build must still be waiting
    assert query(db_url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'virtualxid'") == [(1,)]
    blocker.rollback()
    runner.join()
    blocker.close()
    assert errors == []
    assert query(db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_t_a'::regclass") == [(True,)]


def test_a_short_concurrent_wait_fails_with_lock_not_available(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(FILES), db_url, lock_timeout="10min", lock_retries=0, concurrent_wait="100ms")
    api.up(settings, to="202601010000")
    blocker = old_snapshot(db_url)
    try:
        with pytest.raises(MigrationFailed) as failed:
            api.up(settings)
    finally:
        blocker.close()
    assert failed.value.error.sqlstate == "55P03"
    # Cut short, the build leaves an INVALID index: what the wait budget exists to prevent.
    assert query(db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'ix_t_a'::regclass") == [(False,)]
