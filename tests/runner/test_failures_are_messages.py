"""Every failure the database or the server can produce ends in a clear message and a documented exit
code, never a traceback; the statement shown is the one that failed (issue 12)."""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import api, history
from dbrun.config import load_settings
from dbrun.errors import ConnectionLost, MigrationFailed, ProblemsFound
from dbrun.execute import Event
from tests.helpers.runner import migration_pair, query, subprocess_env, terminate_runner, wait_for_query

pair = functools.partial(migration_pair, header=False)

Make = Callable[..., Path]
Cli = Callable[..., Any]

T_UP = "-- Migration: create_t\nCREATE TABLE t (a int);\n"
T_DOWN = "DROP TABLE t;\n"







def test_migration_dropping_the_dbrun_schema_fails_cleanly_and_commits_nothing(make_repo: Make, db_url: str,
                                                                                dbrun_cli: Cli) -> None:
    root = make_repo({**pair("202601010000", "create_t", T_UP, T_DOWN),
                      **pair("202601010100", "drop_bookkeeping", "-- Migration: x\nCREATE TABLE u (a int);\n"
                             "DROP SCHEMA dbrun CASCADE;\n", "DROP TABLE u;\n")})
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 3, result.stderr
    assert "could not record it" in result.stderr and "Traceback" not in result.stderr
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]
    assert query(db_url, "SELECT to_regclass('public.u')") == [(None,)]


def test_backend_terminated_inside_a_migration_is_a_message(make_repo: Make, db_url: str,
                                                            dbrun_cli: Cli) -> None:
    # The migration ends its own backend, as pg_terminate_backend from an administrator would; the
    # runner's error handler then finds the connection gone too.
    root = make_repo(pair("202601010000", "terminated", "-- Migration: x\nCREATE TABLE t (a int);\n"
                          "SELECT pg_terminate_backend(pg_backend_pid());\n", T_DOWN))
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 3, result.stderr
    assert "57P01" in result.stderr and "Traceback" not in result.stdout + result.stderr
    assert query(db_url, "SELECT to_regclass('public.t'), to_regclass('dbrun.migrations') IS NOT NULL") == [
        (None, True)]
    assert dbrun_cli("up", url=db_url, root=make_repo(pair("202601010000", "terminated", T_UP, T_DOWN))).exit_code == 0


def test_backend_terminated_between_migrations_is_connection_lost(make_repo: Make, db_url: str) -> None:
    root = make_repo({**pair("202601010000", "create_t", T_UP, T_DOWN),
                      **pair("202601010100", "create_u", "-- Migration: u\nCREATE TABLE u (a int);\n",
                             "DROP TABLE u;\n")})

    def listener(event: Event) -> None:
        if event.event == "migration" and event.status == "ok":
            terminate_runner(db_url)  # after the first commit, before the second migration starts

    with pytest.raises(ConnectionLost) as caught:
        api.up(load_settings(root, db_url), listener=listener)
    assert "202601010000_create_t" in caught.value.message and caught.value.exit_code == 3
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]


@pytest.mark.slow
def test_backend_terminated_inside_a_non_transactional_file_leaves_it_partial_and_resumable(
        make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    up = ("-- dbrun: transactional=false\nCREATE TABLE IF NOT EXISTS t (a int);\n"
          "SELECT pg_sleep(CASE WHEN current_setting('test.sleep', true) = 'on' THEN 60 ELSE 0 END);\n"
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t ON t (a);\n")
    root = make_repo(pair("202601010000", "non_tx", up, "-- dbrun: transactional=false\nDROP TABLE t;\n"))
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["result"] = dbrun_cli("up", url=db_url.replace("?", "?options=-c%20test.sleep%3Don&"), root=root)

    runner = threading.Thread(target=run)
    runner.start()
    wait_for_query(db_url, "%pg_sleep(CASE%")
    terminate_runner(db_url)
    runner.join(60)
    result = outcome["result"]
    assert result.exit_code == 3 and "Traceback" not in result.stdout + result.stderr
    assert "57P01" in result.stderr and "committed" in result.stderr
    assert query(db_url, "SELECT status FROM dbrun.migrations") == [("partial",)]
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    assert query(db_url, "SELECT status FROM dbrun.migrations") == [("applied",)]


def test_error_shows_the_statement_at_the_servers_error_position(make_repo: Make, db_url: str) -> None:
    up = ("-- Migration: x\nCREATE TABLE t (a int);\n\nINSERT INTO t VALUES (1);\n\n"
          "-- a comment with a ; in it\nCREATE TABLE u (\n    b int,\n    c nosuchtype\n);\n")
    root = make_repo(pair("202601010000", "bad_type", up, T_DOWN))
    with pytest.raises(MigrationFailed) as caught:
        api.up(load_settings(root, db_url))
    error = caught.value.error
    assert (error.sqlstate, error.line) == ("42704", 9)
    assert error.excerpt.startswith("CREATE TABLE u")


def test_syntax_error_late_in_a_file_shows_that_statement(make_repo: Make, db_url: str) -> None:
    body = "".join(f"CREATE TABLE t{i} (a int);\n" for i in range(50)) + "CREATE TABLE broken (a int,);\n"
    root = make_repo(pair("202601010000", "late_error", "-- Migration: x\n" + body, "SELECT 1;\n"))
    with pytest.raises(MigrationFailed) as caught:
        api.up(load_settings(root, db_url))
    assert (caught.value.error.sqlstate, caught.value.error.line) == ("42601", 52)
    assert caught.value.error.excerpt == "CREATE TABLE broken (a int,);"


def test_lock_timeout_names_the_blocking_session(make_repo: Make, db_url: str) -> None:
    root = make_repo({**pair("202601010000", "create_t", T_UP, T_DOWN),
                      **pair("202601010100", "alter_t", "-- Migration: y\nALTER TABLE t ADD COLUMN b int;\n",
                             "ALTER TABLE t DROP COLUMN b;\n")})
    settings = load_settings(root, db_url, {"lock_timeout": "100ms", "lock_retries": 0})
    api.up(settings, to="202601010000")
    with psycopg.connect(db_url, application_name="report-job") as blocker:
        blocker.execute("SELECT count(*) FROM t")  # idle in transaction, holding ACCESS SHARE on t
        pid = blocker.info.backend_pid
        with pytest.raises(MigrationFailed) as caught:
            api.up(settings)
        blocker.rollback()
    hint = caught.value.hint or ""
    assert caught.value.error.sqlstate == "55P03"
    assert f"pid {pid}" in hint and "report-job" in hint and "idle in transaction" in hint
    assert "transaction open" in hint and "SELECT count(*) FROM t" in hint


def test_lock_wait_tries_once_more_when_the_holder_just_disconnected(make_repo: Make, db_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    holder = psycopg.connect(db_url, autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s, %s)", (history.LOCK_CLASS, history.LOCK_OBJECT))
    real_lock_holder = history.lock_holder

    def holder_leaves_at_the_deadline(conn: Any) -> Any:
        # The wait ran out while the holder was still there; it disconnects before we look it up.
        holder.close()
        while query(db_url, "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = %s",
                    history.LOCK_CLASS):
            time.sleep(0.02)
        return real_lock_holder(conn)

    monkeypatch.setattr(history, "lock_holder", holder_leaves_at_the_deadline)
    root = make_repo(pair("202601010000", "create_t", T_UP, T_DOWN))
    outcome = api.up(load_settings(root, db_url, {"lock_wait": 0}))
    assert outcome.result is not None and [m.version for m in outcome.result.migrations] == ["202601010000"]


@pytest.mark.slow
def test_ctrl_c_in_a_non_transactional_file_says_what_was_committed_and_how_to_go_on(
        make_repo: Make, db_url: str) -> None:
    up = ("-- dbrun: transactional=false\nCREATE TABLE IF NOT EXISTS t (a int);\n"
          "SELECT pg_sleep(CASE WHEN current_setting('test.sleep', true) = 'on' THEN 60 ELSE 0 END);\n"
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t ON t (a);\n")
    root = make_repo(pair("202601010000", "non_tx", up, "-- dbrun: transactional=false\nDROP TABLE t;\n"))
    runner = subprocess.Popen([sys.executable, "-m", "dbrun", "--root", str(root), "--database-url", db_url, "up"],
                              env=subprocess_env(PGOPTIONS="-c test.sleep=on", COLUMNS="200"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_query(db_url, "%pg_sleep(CASE%")
        runner.send_signal(signal.SIGINT)
        _, stderr = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 130, stderr
    assert "statements 1..1 are committed" in stderr and "partial" in stderr
    assert "dbrun up" in stderr and "dbrun repair 202601010000" in stderr and "Traceback" not in stderr
    assert query(db_url, "SELECT status FROM dbrun.migrations") == [("partial",)]


def test_renamed_applied_migration_is_refused_before_anything_runs(make_repo: Make, db_url: str) -> None:
    root = make_repo(pair("202601010000", "create_t", T_UP, T_DOWN))
    api.up(load_settings(root, db_url))
    for folder in ("up", "down"):
        (root / f"sql/{folder}/202601010000_create_t.sql").rename(root / f"sql/{folder}/202601010000_make_t.sql")
    root = make_repo(pair("202601010100", "create_u", "-- Migration: u\nCREATE TABLE u (a int);\n", "DROP TABLE u;\n"),
                     root)
    with pytest.raises(ProblemsFound) as caught:
        api.up(load_settings(root, db_url))
    [problem] = caught.value.problems
    assert problem.code == "HIST-RENAMED" and "202601010000_create_t" in (problem.hint or "")
    assert query(db_url, "SELECT to_regclass('public.u')") == [(None,)]


def test_invalid_index_found_on_rerun_does_not_claim_nothing_was_committed(make_repo: Make, db_url: str,
                                                                           dbrun_cli: Cli) -> None:
    up = ("-- dbrun: transactional=false\nCREATE TABLE IF NOT EXISTS t (a int);\nINSERT INTO t SELECT 1 FROM t "
          "HAVING count(*) = 0 UNION ALL SELECT 1 FROM t HAVING count(*) = 0;\n"
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_t_a ON t (a);\n")
    root = make_repo(pair("202601010000", "unique_a", up, "-- dbrun: transactional=false\nDROP TABLE t;\n"))
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 3  # the build fails and leaves it INVALID
    rerun = dbrun_cli("up", url=db_url, root=root)
    assert rerun.exit_code == 3 and "INVALID" in rerun.stderr
    assert "nothing of this migration was committed" not in rerun.stderr
    assert "were committed" in rerun.stderr


def test_damaged_bookkeeping_read_by_status_is_a_message(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = make_repo(pair("202601010000", "create_t", T_UP, T_DOWN))
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("DROP TABLE dbrun.log")
    result = dbrun_cli("status", url=db_url, root=root)
    assert result.exit_code == 3 and "42P01" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
