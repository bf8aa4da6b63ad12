"""Directives of issue 16 read from files: batch files, irreversible down files, the CONCURRENTLY wait."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dbrun.source import BatchSpec, bind_batch, load_repository, waits_for_old_snapshots
from tests.helpers.runner import problems_of

UP = "sql/up/202601010000_backfill.sql"
DOWN = "sql/down/202601010000_backfill.sql"
BATCH = ("-- Migration: backfill\n-- dbrun: batch size=500 pause=50ms\n"
         "UPDATE t SET b = a WHERE ctid = ANY (ARRAY(SELECT ctid FROM t WHERE b IS NULL LIMIT :size));\n")
REVERSIBLE_DOWN = "UPDATE t SET b = NULL;\n"

Make = Callable[[dict[str, str | bytes]], Path]


def test_batch_directive_gives_size_and_pause(make_repo: Make) -> None:
    migration = load_repository(make_repo({UP: BATCH, DOWN: REVERSIBLE_DOWN})).migrations[0]
    assert migration.up.directives.batch == BatchSpec(size=500, pause_ms=50)
    assert migration.up.directives.transactional is False


@pytest.mark.parametrize("body", [
    "UPDATE t SET b = a WHERE ctid = ANY (ARRAY(SELECT ctid FROM t LIMIT :size));\nSELECT 1;\n",  # two statements
    "UPDATE t SET b = a;\n",  # no :size: one unbounded batch
    "SELECT * FROM t LIMIT :size;\n",  # not a data change
    "UPDATE t SET b = WHERE :size;\n",  # does not parse
])
def test_batch_file_must_hold_one_bounded_data_change(make_repo: Make, body: str) -> None:
    text = "-- Migration: backfill\n-- dbrun: batch size=500\n" + body
    assert ("SRC-BATCH", UP, None) in problems_of(make_repo({UP: text, DOWN: REVERSIBLE_DOWN}))


@pytest.mark.parametrize("header", ["-- dbrun: batch size=0", "-- dbrun: batch size=many", "-- dbrun: batch",
                                    "-- dbrun: batch size=10 pause=soon",
                                    "-- dbrun: batch size=10\n-- dbrun: transactional=false",
                                    "-- dbrun: size=10"])
def test_bad_batch_directives_are_refused(make_repo: Make, header: str) -> None:
    text = ("-- Migration: backfill\n" + header +
            "\nUPDATE t SET b = a WHERE ctid = ANY (ARRAY(SELECT ctid FROM t LIMIT :size));\n")
    assert any(code == "SRC-DIRECTIVE" for code, _, _ in problems_of(make_repo({UP: text, DOWN: REVERSIBLE_DOWN})))


def test_bind_batch_replaces_parameters_only_outside_strings_comments_and_casts() -> None:
    text = "UPDATE t SET s = ':size', n = x::int -- :last\nWHERE id > coalesce(:last, 0) LIMIT :SIZE"
    assert bind_batch(text, 5, None) == ("UPDATE t SET s = ':size', n = x::int -- :last\n"
                                         "WHERE id > coalesce(NULL, 0) LIMIT 5")
    assert bind_batch("WHERE k > :last", 1, "it's") == "WHERE k > 'it''s'"


def test_irreversible_down_file_gives_its_reason(make_repo: Make) -> None:
    down = "-- dbrun: irreversible the old values of b are not kept\n"
    migration = load_repository(make_repo({UP: BATCH, DOWN: down})).migrations[0]
    assert migration.down is not None
    assert migration.down.directives.irreversible == "the old values of b are not kept"


def test_irreversible_reason_may_follow_on_the_next_comment_lines(make_repo: Make) -> None:
    down = "-- dbrun: irreversible\n-- the old values of b\n-- are not kept\n"
    migration = load_repository(make_repo({UP: BATCH, DOWN: down})).migrations[0]
    assert migration.down is not None
    assert migration.down.directives.irreversible == "the old values of b are not kept"


def test_empty_down_file_is_still_an_error(make_repo: Make) -> None:
    assert ("SRC-EMPTY", DOWN, None) in problems_of(make_repo({UP: BATCH, DOWN: "-- nothing to undo\n"}))


@pytest.mark.parametrize(("files", "where"), [
    ({UP: BATCH, DOWN: "-- dbrun: irreversible\n"}, DOWN),  # no reason
    ({UP: BATCH, DOWN: "-- dbrun: irreversible data is gone\nUPDATE t SET b = NULL;\n"}, DOWN),  # and SQL
    ({UP: "-- dbrun: irreversible oops\n" + BATCH, DOWN: REVERSIBLE_DOWN}, UP),  # in an up file
])
def test_misused_irreversible_is_refused(make_repo: Make, files: dict[str, str | bytes], where: str) -> None:
    assert ("SRC-IRREVERSIBLE", where, None) in problems_of(make_repo(files))


def test_concurrent_wait_directive_is_read(make_repo: Make) -> None:
    up = ("-- dbrun: transactional=false concurrent_wait=2h\n"
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_a ON t (a);\n")
    down = "-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY IF EXISTS ix_t_a;\n"
    migration = load_repository(make_repo({UP: up, DOWN: down})).migrations[0]
    assert migration.up.directives.concurrent_wait_ms == 2 * 3_600_000


@pytest.mark.parametrize(("sql", "waits"), [
    ("CREATE INDEX CONCURRENTLY ix ON t (a)", True), ("REINDEX INDEX CONCURRENTLY ix", True),
    ("DROP INDEX CONCURRENTLY ix", True), ("ALTER TABLE p DETACH PARTITION c CONCURRENTLY", True),
    ("CREATE INDEX ix ON t (a)", False), ("SELECT 'concurrently'", False),
])
def test_statements_that_wait_for_old_snapshots(sql: str, waits: bool) -> None:
    assert waits_for_old_snapshots(sql) is waits
