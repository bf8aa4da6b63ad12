"""A failed migration has a lifecycle: recorded and shown as failed, rolled back with its down file when
partial, then held until the user says retry; a broken working-tree file blocks `up` only (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbrun import api, history
from dbrun.config import load_settings
from dbrun.errors import MigrationFailed, ProblemsFound
from dbrun.history import MigrationState
from tests.helpers.runner import execute, query

Make = Callable[..., Path]
Cli = Callable[..., Any]

T = {"sql/up/202601010000_create_t.sql": "-- Migration: create_t\nCREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (1);\n",
     "sql/down/202601010000_create_t.sql": "DROP TABLE t;\n"}
# Fails part-way: the unique index cannot be built over the duplicate rows, after the first index was.
PARTIAL_UP = ("-- dbrun: transactional=false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_a ON t (a);\n"
              "DROP INDEX CONCURRENTLY IF EXISTS uq_t_a;\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_t_a ON t (a);\n")
PARTIAL_DOWN = ("-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY IF EXISTS uq_t_a;\n"
                "DROP INDEX CONCURRENTLY IF EXISTS ix_t_a;\n")
PARTIAL = {"sql/up/202601010100_index_t.sql": PARTIAL_UP, "sql/down/202601010100_index_t.sql": PARTIAL_DOWN}




def test_transactional_failure_is_shown_as_failed_until_fixed(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = make_repo({**T, "sql/up/202601010100_bad.sql": "-- Migration: bad\nSELECT 1 / 0;\n",
                      "sql/down/202601010100_bad.sql": "SELECT 1;\n"})
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 3
    status = json.loads(dbrun_cli("--json", "status", url=db_url, root=root).stdout)
    failed = [m for m in status["migrations"] if m["state"] == "failed"]
    assert [m["version"] for m in failed] == ["202601010100"] and "22012" in failed[0]["error"]
    health = dbrun_cli("--json", "health", url=db_url, root=root)
    assert health.exit_code == 1
    assert json.loads(health.stdout)["state"] == "failed" and json.loads(health.stdout)["failed"] == 1
    (root / "sql/up/202601010100_bad.sql").write_text("-- Migration: bad\nSELECT 1;\n", encoding="utf-8")
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    assert dbrun_cli("health", url=db_url, root=root).exit_code == 0


def test_partial_migration_rolls_back_with_its_down_file_and_is_then_held(make_repo: Make, db_url: str,
                                                                          dbrun_cli: Cli) -> None:
    root = make_repo({**T, **PARTIAL})
    settings = load_settings(root, db_url)
    with pytest.raises(MigrationFailed):
        api.up(settings)
    assert api.status(settings).count(MigrationState.PARTIAL) == 1
    down = dbrun_cli("down", "--steps", "1", "--yes", url=db_url, root=root)
    assert down.exit_code == 0, down.stderr
    assert "dbrun repair 202601010100 --retry" in down.stdout + down.stderr
    assert query(db_url, "SELECT count(*) FROM pg_indexes WHERE tablename = 't'") == [(0,)]
    report = api.status(settings)
    assert [m.state for m in report.migrations] == [MigrationState.APPLIED, MigrationState.HELD]
    assert report.health == "failed"
    with pytest.raises(ProblemsFound) as caught:
        api.up(settings)
    assert [p.code for p in caught.value.problems] == ["HIST-HELD"]
    assert "dbrun repair 202601010100 --retry" in (caught.value.problems[0].hint or "")


def test_repair_retry_releases_a_held_migration(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = make_repo({**T, **PARTIAL})
    settings = load_settings(root, db_url)
    with pytest.raises(MigrationFailed):
        api.up(settings)
    api.down(settings, steps=1)
    execute(db_url, "DELETE FROM t WHERE ctid <> (SELECT min(ctid) FROM t)")  # the fix: no more duplicates
    retry = dbrun_cli("repair", "202601010100", "--retry", url=db_url, root=root)
    assert retry.exit_code == 0 and "released" in retry.stdout
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    assert api.status(settings).health == "ok"


def test_repair_retry_of_a_migration_not_held_is_a_usage_error(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = make_repo(T)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    assert dbrun_cli("repair", "202601010000", "--retry", url=db_url, root=root).exit_code == 2


@pytest.mark.parametrize("broken", [
    {"sql/up/202601010100_no_down.sql": "-- Migration: no_down\nSELECT 1;\n"},
    {"sql/up/202601010100_begins.sql": "-- Migration: begins\nBEGIN;\nSELECT 1;\nCOMMIT;\n",
     "sql/down/202601010100_begins.sql": "SELECT 1;\n"},
    {"views/public.v.sql.j2": "CREATE OR REPLACE VIEW v AS SELECT {{ undefined_variable }};\n"},
])
def test_one_broken_working_tree_file_blocks_only_up(make_repo: Make, db_url: str, dbrun_cli: Cli,
                                                     broken: dict[str, str]) -> None:
    root = make_repo(T)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    root = make_repo({**T, **broken}, root)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 1
    status = dbrun_cli("--json", "status", url=db_url, root=root)
    assert status.exit_code == 0 and json.loads(status.stdout)["warnings"]
    assert "block `dbrun up` only" in dbrun_cli("status", url=db_url, root=root).stdout
    assert dbrun_cli("verify", url=db_url, root=root).exit_code == 0
    down = dbrun_cli("down", "--steps", "1", "--yes", url=db_url, root=root)
    assert down.exit_code == 0, down.stderr
    assert query(db_url, "SELECT to_regclass('public.t')") == [(None,)]


def test_broken_down_file_of_the_migration_to_roll_back_refuses_the_rollback(make_repo: Make, db_url: str,
                                                                              dbrun_cli: Cli) -> None:
    root = make_repo(T)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    (root / "sql/down/202601010000_create_t.sql").write_text("BEGIN;\nDROP TABLE t;\nCOMMIT;\n", encoding="utf-8")
    down = dbrun_cli("down", "--steps", "1", "--yes", url=db_url, root=root)
    assert down.exit_code == 1 and "SRC-TXCONTROL" in down.stderr
    assert query(db_url, "SELECT to_regclass('public.t') IS NOT NULL") == [(True,)]


def test_health_last_migration_time_includes_rollbacks(make_repo: Make, db_url: str) -> None:
    root = make_repo({**T, "sql/up/202601010100_u.sql": "-- Migration: u\nCREATE TABLE u (a int);\n",
                      "sql/down/202601010100_u.sql": "DROP TABLE u;\n"})
    settings = load_settings(root, db_url)
    api.up(settings)
    applied_at = api.status(settings).last_migration_at
    api.down(settings, steps=1)
    rolled_back_at = api.status(settings).last_migration_at
    assert applied_at is not None and rolled_back_at is not None and rolled_back_at > applied_at


def test_bookkeeping_of_layout_1_is_upgraded_in_place(make_repo: Make, db_url: str) -> None:
    root = make_repo(T)
    settings = load_settings(root, db_url)
    api.up(settings)
    execute(db_url, "DROP TABLE dbrun.held; DELETE FROM dbrun.bookkeeping_version WHERE version >= 2")
    assert api.status(settings).health == "ok"  # reading a layout-1 history works
    api.down(settings, steps=1)  # writing upgrades it first
    assert query(db_url, "SELECT max(version) FROM dbrun.bookkeeping_version") == [(history.BOOKKEEPING_VERSION,)]
