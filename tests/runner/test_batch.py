"""Batch files (`-- dbrun: batch size=N pause=D`): one statement run until it affects no row, each batch
its own transaction with its progress row; resumable after a failure or a kill; throttled; dry-run
runs one batch in the rolled-back transaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbrun import api, execute
from dbrun.errors import MigrationFailed
from dbrun.execute import Event
from dbrun.history import MigrationState
from tests.helpers.runner import execute as run_sql
from tests.helpers.runner import query

Make = Callable[..., Path]

ITEMS_UP = """-- Migration: create_items
CREATE TABLE items (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_items PRIMARY KEY,
    v integer NOT NULL,
    doubled integer,
    touched integer NOT NULL DEFAULT 0
);
INSERT INTO items (v) SELECT g FROM generate_series(1, 2500) g;
"""
ITEMS = {"sql/up/202601010000_create_items.sql": ITEMS_UP,
         "sql/down/202601010000_create_items.sql": "DROP TABLE items;\n"}
KEYSET = """-- Migration: backfill_doubled
-- dbrun: batch size=1000
UPDATE items SET doubled = 2 * v / (v - {poison}), touched = touched + 1
WHERE id IN (SELECT id FROM items WHERE id > coalesce(:last, 0) ORDER BY id LIMIT :size)
RETURNING id;
"""
CTID = """-- Migration: backfill_doubled
-- dbrun: batch size=1000 pause=1ms
UPDATE items SET doubled = 2 * v, touched = touched + 1
WHERE ctid = ANY (ARRAY(SELECT ctid FROM items WHERE doubled IS NULL LIMIT :size));
"""
DOWN = "-- dbrun: irreversible the doubled values are computed, not restored\n"


def with_backfill(up: str) -> dict[str, str | bytes]:
    return {**ITEMS, "sql/up/202601010100_backfill_doubled.sql": up,
            "sql/down/202601010100_backfill_doubled.sql": DOWN}


def test_ctid_batches_update_every_row_once_in_batches_of_size(make_repo: Make, db_url: str,
                                                               settings_for: Any) -> None:
    outcome = api.up(settings_for(make_repo(with_backfill(CTID)), db_url))
    backfill = outcome.result.migrations[-1]
    assert (backfill.statements, backfill.rows) == (3, 2500)  # 1000 + 1000 + 500, then a batch of none
    assert query(db_url, "SELECT count(*) FILTER (WHERE doubled = 2 * v AND touched = 1) FROM items") == [(2500,)]
    assert query(db_url, "SELECT status, transactional FROM dbrun.migrations WHERE version = '202601010100'") == [
        ("applied", False)]
    assert query(db_url, "SELECT count(*) FROM dbrun.batches") == [(0,)]
    assert query(db_url, "SELECT rows_affected, statements FROM dbrun.log WHERE version = '202601010100'") == [
        (2500, 3)]


def test_keyset_batches_continue_from_the_returned_key(make_repo: Make, db_url: str, settings_for: Any) -> None:
    events: list[Event] = []
    api.up(settings_for(make_repo(with_backfill(KEYSET.format(poison=0))), db_url), listener=events.append)
    progress = [(e.batches, e.rows) for e in events if e.event == "batch"]
    assert progress == [(1, 1000), (2, 2000), (3, 2500)]
    assert all(e.rows_per_s is not None and e.rows_per_s > 0 for e in events if e.event == "batch")
    assert query(db_url, "SELECT count(*) FROM items WHERE touched <> 1") == [(0,)]


def test_failed_batch_keeps_committed_batches_and_marks_the_migration_partial(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(with_backfill(KEYSET.format(poison=1500))), db_url)
    with pytest.raises(MigrationFailed) as failed:
        api.up(settings)
    assert failed.value.error.sqlstate == "22012"  # division_by_zero, in the second batch
    assert failed.value.partially_applied
    assert failed.value.error.path.name == "202601010100_backfill_doubled.sql" and failed.value.error.line == 3
    assert query(db_url, "SELECT batches, rows_affected, last_key FROM dbrun.batches") == [(1, 1000, "1000")]
    assert query(db_url, "SELECT status FROM dbrun.migrations WHERE version = '202601010100'") == [("partial",)]
    assert query(db_url, "SELECT count(*) FROM items WHERE touched = 1") == [(1000,)]
    assert api.status(settings).migrations[-1].state is MigrationState.PARTIAL


def test_up_after_a_failed_batch_resumes_after_the_last_committed_key(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(with_backfill(KEYSET.format(poison=1500))), db_url)
    with pytest.raises(MigrationFailed):
        api.up(settings)
    run_sql(db_url, "UPDATE items SET v = 0 WHERE id = 1500")  # the data the batch tripped on is fixed
    outcome = api.up(settings)
    assert outcome.result.migrations[0].rows == 1500  # only the rows after key 1000
    assert query(db_url, "SELECT touched, count(*) FROM items GROUP BY touched") == [(1, 2500)]
    assert query(db_url, "SELECT status FROM dbrun.migrations WHERE version = '202601010100'") == [("applied",)]
    assert query(db_url, "SELECT count(*) FROM dbrun.batches") == [(0,)]


SLOW_KEYSET = """-- Migration: backfill_doubled
-- dbrun: batch size=100 pause=100ms
UPDATE items SET doubled = 2 * v, touched = touched + 1
WHERE id IN (SELECT id FROM items WHERE id > coalesce(:last, 0) ORDER BY id LIMIT :size)
RETURNING id;
"""


def test_a_killed_batch_run_resumes_where_it_stopped(make_repo: Make, db_url: str, settings_for: Any) -> None:
    root = make_repo(with_backfill(SLOW_KEYSET))
    command = [sys.executable, "-m", "dbrun", "--root", str(root), "--database-url", db_url,
               "--log-format", "json", "up"]
    runner = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                              env={**os.environ, "COLUMNS": "200"})
    assert runner.stderr is not None
    for line in runner.stderr:  # wait for the third committed batch, then kill without warning
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "batch" and event["batches"] >= 3:
            runner.send_signal(signal.SIGKILL)
            break
    runner.wait()
    assert runner.returncode == -signal.SIGKILL
    batches, rows, last_key = query(db_url, "SELECT batches, rows_affected, last_key FROM dbrun.batches")[0]
    assert batches >= 3 and rows == 100 * batches and last_key == str(rows)
    assert query(db_url, "SELECT status FROM dbrun.migrations WHERE version = '202601010100'") == [("partial",)]

    outcome = api.up(settings_for(root, db_url))
    assert outcome.result.migrations[0].rows == 2500 - rows
    assert query(db_url, "SELECT touched, count(*) FROM items GROUP BY touched") == [(1, 2500)]


def test_pause_sleeps_after_every_batch_that_did_work(make_repo: Make, db_url: str, settings_for: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    monkeypatch.setattr(execute.time, "sleep", sleeps.append)
    api.up(settings_for(make_repo(with_backfill(CTID)), db_url))
    assert sleeps == [0.001, 0.001, 0.001]


def test_max_rate_waits_long_enough_to_stay_under_it(make_repo: Make, db_url: str, settings_for: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": 0.0}
    monkeypatch.setattr(execute.time, "sleep", lambda s: clock.__setitem__("now", clock["now"] + s))
    monkeypatch.setattr(execute.time, "monotonic", lambda: clock["now"])
    api.up(settings_for(make_repo(with_backfill(CTID)), db_url, max_rate=1000))
    # 2500 rows at 1000 rows/s: the run's own clock reaches 2.5 s however fast the batches ran.
    assert clock["now"] == pytest.approx(2.5)


def test_dry_run_runs_one_batch_and_reports_its_plan_and_locks(make_repo: Make, db_url: str, settings_for: Any) -> None:
    from dbrun import review

    root = make_repo(with_backfill(CTID))
    settings = settings_for(root, db_url)
    api.up(settings, to="202601010000")
    result = review.dry_run_up(settings)
    batch = result.migrations[0]
    assert batch.name == "202601010100_backfill_doubled" and batch.status == "executed"
    assert batch.rows == 1000
    assert any(line.lstrip().startswith("Update on items") for line in batch.query_plan)
    assert {(lock.relation, lock.mode) for lock in batch.statements[0].locks} >= {("public.items", "RowExclusiveLock")}
    assert query(db_url, "SELECT count(*) FROM items WHERE doubled IS NOT NULL") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(1,)]


def test_max_duration_stops_batches_between_two_and_says_what_remains(
        make_repo: Make, db_url: str, settings_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    later = {**with_backfill(SLOW_KEYSET), "sql/up/202601010200_later.sql": "-- Migration: later\nSELECT 1;\n",
             "sql/down/202601010200_later.sql": "SELECT 1;\n"}
    settings = settings_for(make_repo(later), db_url, max_duration="2050ms")
    clock = {"now": 0.0}
    monkeypatch.setattr(execute.time, "sleep", lambda s: clock.__setitem__("now", clock["now"] + s))
    monkeypatch.setattr(execute.time, "monotonic", lambda: clock["now"])
    # Each batch pauses 100 ms on the run's clock: the 22nd batch ends at 2.1 s, past the deadline.
    outcome = api.up(settings)
    assert outcome.result.deadline_reached
    assert outcome.result.remaining == ["202601010100_backfill_doubled", "202601010200_later"]
    assert query(db_url, "SELECT batches FROM dbrun.batches") == [(22,)]
    assert query(db_url, "SELECT version, status FROM dbrun.migrations ORDER BY 1") == [
        ("202601010000", "applied"), ("202601010100", "partial")]
