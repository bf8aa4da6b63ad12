"""A migration chosen as a deadlock's victim (40P01) is rolled back whole by PostgreSQL: dbrun retries its
transaction like one that hit lock_timeout, and says why; with no retries left it fails with the SQLSTATE
and a hint. The other session (here: a superuser that waits long before checking for deadlocks, so that
the runner is the one to detect it) takes the same two tables in the opposite order."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import api
from dbrun.config import Settings
from dbrun.errors import MigrationFailed
from dbrun.execute import Event
from tests.helpers.runner import execute, migration_pair, query

Make = Callable[..., Path]
LOCK_BOTH = "LOCK TABLE first_table IN ACCESS EXCLUSIVE MODE;\nLOCK TABLE second_table IN ACCESS EXCLUSIVE MODE;\n"


def deadlocking_repo(make_repo: Make) -> Path:
    return make_repo(migration_pair("202601010000", "lock_both", LOCK_BOTH, "SELECT 1;\n"))


@contextmanager
def deadlocked_run(url: str, settings: Settings, events: list[Event]) -> Iterator[Future[Any]]:
    """`dbrun up` holding first_table and waiting for second_table, held by another session that then asks
    for first_table: a deadlock the runner detects. The other session commits when the block ends."""
    execute(url, "CREATE TABLE first_table (id int); CREATE TABLE second_table (id int)")
    with psycopg.connect(url, autocommit=True) as other, ThreadPoolExecutor(1) as pool:
        other.execute("BEGIN")
        other.execute("SET LOCAL deadlock_timeout = '10min'")
        other.execute("LOCK TABLE second_table IN ACCESS EXCLUSIVE MODE")
        run = pool.submit(api.up, settings, listener=events.append)
        while not run.done() and not other.execute(
                "SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'second_table'::regclass").fetchone():
            time.sleep(0.05)
        other.execute("LOCK TABLE first_table IN ACCESS EXCLUSIVE MODE")  # granted once the runner is the victim
        try:
            yield run
        finally:
            other.execute("COMMIT")


def test_a_migration_chosen_as_a_deadlock_victim_is_retried_and_applied(
        make_repo: Make, db_url: str, settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(deadlocking_repo(make_repo), db_url, lock_retries=1, lock_retry_backoff="10ms",
                            lock_timeout="10min")
    events: list[Event] = []
    with deadlocked_run(db_url, settings, events) as run:
        pass
    run.result()
    assert [e.message for e in events if e.event == "retry"] == [
        "deadlock with another session (PostgreSQL rolled this transaction back); retry 1 of 1 in 10 ms"]
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]


def test_a_deadlock_with_no_retries_left_fails_with_its_sqlstate_and_a_hint(
        make_repo: Make, db_url: str, settings_for: Callable[..., Settings]) -> None:
    settings = settings_for(deadlocking_repo(make_repo), db_url, lock_retries=0, lock_timeout="10min")
    with deadlocked_run(db_url, settings, []) as run, pytest.raises(MigrationFailed) as caught:
        run.result()
    assert caught.value.error.sqlstate == "40P01"
    assert caught.value.hint is not None and caught.value.hint.startswith("gave up after 0 retries: a deadlock")
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(0,)]
