"""A non-transactional migration whose every table was created earlier in the same run (a fresh
database's chain indexes CONCURRENTLY a table an earlier migration created) runs inside the dry-run's
transaction, CONCURRENTLY dropped: no other session can see those tables. One touching a table that
existed before the run is still not executed (tests/review/test_dry_run.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from dbrun import api, review
from tests.helpers.runner import migration_pair, query

Make = Callable[..., Path]
TABLE = ("CREATE TABLE notes (id bigint CONSTRAINT pk_notes PRIMARY KEY, author text);\n"
         "COMMENT ON TABLE notes IS 'Notes.';\n")
INDEX = ("-- dbrun: transactional=false\n"
         "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_notes_author ON notes (author);\n"
         "COMMENT ON INDEX idx_notes_author IS 'Notes by author.';\n")
UNINDEX = "-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY IF EXISTS idx_notes_author;\n"
USES_INDEX = "ALTER TABLE notes CLUSTER ON idx_notes_author;\n"


def _repo(make_repo: Make) -> Path:
    return make_repo(migration_pair("202601010000", "notes", TABLE, "DROP TABLE notes;\n")
                     | migration_pair("202601020000", "notes_author", INDEX, UNINDEX)
                     | migration_pair("202601030000", "cluster", USES_INDEX, "ALTER TABLE notes SET WITHOUT CLUSTER;\n"))


def test_an_index_built_concurrently_on_a_table_new_in_the_run_is_simulated_and_its_dependents_run(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str) -> None:
    result = review.dry_run_up(settings_for(_repo(make_repo), db_url))
    assert [m.status for m in result.migrations] == ["executed"] * 3
    index = result.migrations[1]
    assert not index.transactional and index.note is not None and "created by this run" in index.note
    assert index.statements[0].sql.startswith("CREATE INDEX IF NOT EXISTS idx_notes_author")
    assert result.stopped_at is None and result.failure is None
    assert ("created", "index", "public.idx_notes_author") in {(c.action, c.kind, c.name) for c in result.changes}
    assert query(db_url, "SELECT to_regclass('public.notes')") == [(None,)]


def test_the_same_index_on_a_table_that_existed_before_the_run_is_not_executed(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str) -> None:
    settings = settings_for(_repo(make_repo), db_url)
    api.up(settings, to="202601010000")
    result = review.dry_run_up(settings)
    assert [m.status for m in result.migrations] == ["not executed", "skipped"]
    assert query(db_url, "SELECT to_regclass('public.idx_notes_author')") == [(None,)]
