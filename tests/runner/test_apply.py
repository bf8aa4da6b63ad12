"""Applying and rolling back against a real PostgreSQL: atomicity, history integrity, locks, timeouts."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import api
from dbrun.errors import LockNotAcquired, MigrationFailed, ProblemsFound
from dbrun.execute import Event
from tests.helpers.runner import A_DOWN, A_UP, B_UP, query, two_migrations, without_bookkeeping

Make = Callable[..., Path]


def test_apply_rollback_reapply_gives_the_same_schema(make_repo: Make, db_url: str, settings_for: Any,
                                                      pg_dump_schema: Callable[[str], str]) -> None:
    settings = settings_for(make_repo(two_migrations()), db_url)
    outcome = api.up(settings)
    assert [m.version for m in outcome.result.migrations] == ["202601010000", "202601020000"]
    assert outcome.result.migrations[0].statements == 3 and outcome.result.migrations[0].rows == 2
    assert "public.accounts" in outcome.result.migrations[1].relations
    first = pg_dump_schema(db_url)
    api.down(settings, everything=True)
    assert query(db_url, "SELECT to_regclass('public.accounts')") == [(None,)]
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(0,)]
    api.up(settings)
    assert without_bookkeeping(pg_dump_schema(db_url)) == without_bookkeeping(first)
    applied = query(db_url, "SELECT version, checksum, status FROM dbrun.migrations ORDER BY version")
    assert [(v, s) for v, _, s in applied] == [("202601010000", "applied"), ("202601020000", "applied")]
    log = query(db_url, "SELECT operation, version, status FROM dbrun.log ORDER BY id")
    assert [op for op, _, _ in log] == ["apply", "apply", "rollback", "rollback", "apply", "apply"]


def test_down_by_steps_and_to(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(two_migrations()), db_url)
    api.up(settings)
    api.down(settings, steps=1)
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]
    api.up(settings)
    api.down(settings, to="202601010000")
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]
    with pytest.raises(ProblemsFound):
        api.down(settings)


def test_up_to_a_version_stops_there(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(two_migrations()), db_url)
    api.up(settings, to="202601010000")
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]


def test_error_in_the_last_statement_leaves_nothing(make_repo: Make, db_url: str, settings_for: Any) -> None:
    broken = A_UP + "\n-- the mistake\nINSERT INTO accounts (name) VALUES ('');\n"
    root = make_repo({"sql/up/202601010000_create_accounts.sql": broken,
                      "sql/down/202601010000_create_accounts.sql": A_DOWN})
    with pytest.raises(MigrationFailed) as caught:
        api.up(settings_for(root, db_url))
    error = caught.value.error
    assert (str(error.path), error.line, error.sqlstate) == ("sql/up/202601010000_create_accounts.sql", 14, "23514")
    assert "ck_accounts_name_length" in error.message and not caught.value.partially_applied
    assert query(db_url, "SELECT to_regclass('public.accounts'), to_regprocedure('touch()')") == [(None, None)]
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(0,)]
    assert query(db_url, "SELECT status, sqlstate FROM dbrun.log") == [("failed", "23514")]


def test_a_deferred_constraint_failing_at_commit_fails_the_migration_and_leaves_nothing(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    # The records and the COMMIT go in one round trip: a COMMIT that fails is the file's error (its
    # deferred constraint), never "could not record it", and nothing of the migration stays.
    up = ("-- Migration: x\nCREATE TABLE parents (id bigint CONSTRAINT pk_parents PRIMARY KEY);\n"
          "CREATE TABLE children (id bigint CONSTRAINT pk_children PRIMARY KEY, parent_id bigint NOT NULL\n"
          "    CONSTRAINT fk_children_parent REFERENCES parents (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED);\n"
          "INSERT INTO children VALUES (1, 42);\n")
    root = make_repo({"sql/up/202601010000_x.sql": up,
                      "sql/down/202601010000_x.sql": "DROP TABLE children;\nDROP TABLE parents;\n"})
    with pytest.raises(MigrationFailed) as caught:
        api.up(settings_for(root, db_url))
    error = caught.value.error
    assert (error.sqlstate, error.line) == ("23503", 5) and "fk_children_parent" in error.message
    assert "could not record" not in error.message
    assert query(db_url, "SELECT to_regclass('public.parents')") == [(None,)]
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(0,)]
    assert query(db_url, "SELECT status, sqlstate FROM dbrun.log") == [("failed", "23503")]


def test_error_inside_a_do_block_points_at_the_body_line(make_repo: Make, db_url: str, settings_for: Any) -> None:
    root = make_repo({"sql/up/202601010000_x.sql": "SELECT 1;\nDO $$\nBEGIN\n  RAISE EXCEPTION 'no' "
                                                  "USING HINT = 'fix it';\nEND $$;\n",
                      "sql/down/202601010000_x.sql": "SELECT 1;\n"})
    with pytest.raises(MigrationFailed) as caught:
        api.up(settings_for(root, db_url))
    assert (caught.value.error.line, caught.value.error.sqlstate, caught.value.error.hint) == (4, "P0001", "fix it")


def test_edited_deleted_and_out_of_order_files_are_refused(make_repo: Make, db_url: str, settings_for: Any) -> None:
    root = make_repo(two_migrations())
    settings = settings_for(root, db_url)
    api.up(settings)
    (root / "sql/up/202601010000_create_accounts.sql").write_text(A_UP + "-- an innocent comment\n")
    (root / "sql/up/202601020000_add_email.sql").rename(root / "sql/up/202601050000_add_email.sql")
    (root / "sql/down/202601020000_add_email.sql").rename(root / "sql/down/202601050000_add_email.sql")
    make_repo({"sql/up/202601011500_late.sql": "SELECT 1;", "sql/down/202601011500_late.sql": "SELECT 1;"}, root)
    with pytest.raises(ProblemsFound) as caught:
        api.up(settings)
    found = {(p.code, str(p.path)) for p in caught.value.problems}
    assert found == {("HIST-EDITED", "sql/up/202601010000_create_accounts.sql"),
                     ("HIST-MISSING", "sql/up/202601020000_add_email.sql"),
                     ("HIST-OUT-OF-ORDER", "sql/up/202601011500_late.sql")}
    assert query(db_url, "SELECT count(*) FROM dbrun.log") == [(2,)]


def test_status_and_health_reflect_the_history(make_repo: Make, db_url: str, settings_for: Any) -> None:
    root = make_repo(two_migrations())
    settings = settings_for(root, db_url)
    report = api.status(settings)
    assert not report.bookkeeping and report.count("pending") == 2 and report.health == "pending"
    api.up(settings, to="202601010000")
    report = api.status(settings)
    assert [m.state for m in report.migrations] == ["applied", "pending"]
    assert report.schema_version == "202601010000" and report.last_migration_at is not None
    api.up(settings)
    assert api.status(settings).health == "ok"
    (root / "sql/up/202601020000_add_email.sql").write_text(B_UP + "\n")
    report = api.status(settings)
    assert [m.state for m in report.migrations] == ["applied", "changed"] and report.health == "inconsistent"


def test_status_does_not_create_bookkeeping(make_repo: Make, db_url: str, settings_for: Any) -> None:
    api.status(settings_for(make_repo(two_migrations()), db_url))
    assert query(db_url, "SELECT to_regnamespace('dbrun')") == [(None,)]


def test_two_concurrent_runners_apply_each_migration_once(make_repo: Make, db_url: str, settings_for: Any) -> None:
    files = two_migrations()
    files["sql/up/202601010000_create_accounts.sql"] = A_UP + "SELECT pg_sleep(0.5);\n"
    settings = settings_for(make_repo(files), db_url)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            api.up(settings)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert query(db_url, "SELECT version, count(*) FROM dbrun.log WHERE operation = 'apply' GROUP BY 1 ORDER BY 1") \
        == [("202601010000", 1), ("202601020000", 1)]


def test_lock_held_by_another_runner_exits_naming_the_holder(make_repo: Make, db_url: str, settings_for: Any,
                                                             dbrun_cli: Any) -> None:
    root = make_repo(two_migrations())
    with psycopg.connect(db_url, autocommit=True, application_name="other-deploy") as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", (0x6462726E, 1))
        pid = holder.info.backend_pid
        with pytest.raises(LockNotAcquired) as caught:
            api.up(settings_for(root, db_url, lock_wait=0.3))
        assert f"pid {pid}" in caught.value.message and "other-deploy" in caught.value.message
        result = dbrun_cli("--lock-wait", "0.3", "up", url=db_url, root=root)
        assert result.exit_code == 4 and f"pid {pid}" in result.stderr


def test_lock_timeout_retries_then_fails_cleanly(make_repo: Make, db_url: str, settings_for: Any) -> None:
    root = make_repo(two_migrations())
    settings = settings_for(root, db_url, lock_timeout="100ms", lock_retries=2, lock_retry_backoff="50ms")
    api.up(settings, to="202601010000")
    events: list[Event] = []
    with psycopg.connect(db_url) as blocker:
        blocker.execute("LOCK TABLE accounts IN ACCESS SHARE MODE")  # blocks ALTER TABLE's ACCESS EXCLUSIVE
        with pytest.raises(MigrationFailed) as caught:
            api.up(settings, listener=events.append)
        blocker.rollback()
    assert caught.value.error.sqlstate == "55P03"
    assert caught.value.error.line == 2
    assert [e.event for e in events].count("retry") == 2
    assert query(db_url, "SELECT version FROM dbrun.migrations") == [("202601010000",)]
    api.up(settings)  # the blocker is gone: the same run now succeeds
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(2,)]


CIC_UP = """-- Migration: unique_names
-- dbrun: transactional=false
DROP INDEX CONCURRENTLY IF EXISTS uq_accounts_name_invalid_leftover;
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS uq_accounts_name ON accounts (name);
"""
CIC_DOWN = "-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY IF EXISTS uq_accounts_name;\n"


def cic_files() -> dict[str, str | bytes]:
    return {"sql/up/202601010000_create_accounts.sql": A_UP, "sql/down/202601010000_create_accounts.sql": A_DOWN,
            "sql/up/202601030000_unique_names.sql": CIC_UP, "sql/down/202601030000_unique_names.sql": CIC_DOWN}


def test_create_index_concurrently_applies_and_rolls_back(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(cic_files()), db_url)
    outcome = api.up(settings)
    assert outcome.result.migrations[1].statements == 2
    assert query(db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'uq_accounts_name'::regclass") \
        == [(True,)]
    api.down(settings, steps=1)
    assert query(db_url, "SELECT to_regclass('uq_accounts_name')") == [(None,)]


def test_failed_cic_is_partial_its_invalid_index_is_never_accepted(make_repo: Make, db_url: str,
                                                                  settings_for: Any) -> None:
    root = make_repo(cic_files())
    settings = settings_for(root, db_url)
    api.up(settings, to="202601010000")
    query(db_url, "INSERT INTO accounts (name) VALUES ('a') RETURNING id")  # a duplicate name
    with pytest.raises(MigrationFailed) as caught:
        api.up(settings)
    assert (caught.value.error.sqlstate, caught.value.error.line) == ("23505", 4)
    assert "INVALID" in (caught.value.hint or "") and "public.uq_accounts_name" in (caught.value.hint or "")
    assert api.status(settings).health == "failed"
    # Re-running unchanged: IF NOT EXISTS skips the INVALID index, and dbrun refuses to accept that.
    with pytest.raises(MigrationFailed, match="INVALID"):
        api.up(settings)
    with pytest.raises(ProblemsFound) as refused:
        api.repair(settings, "202601030000")
    assert refused.value.problems[0].code == "REPAIR-INVALID-INDEX"
    # The fix: clean the data and make the file drop the leftover first; the re-run resumes.
    query(db_url, "DELETE FROM accounts WHERE id > 2 RETURNING id")
    (root / "sql/up/202601030000_unique_names.sql").write_text(
        CIC_UP.replace("uq_accounts_name_invalid_leftover", "uq_accounts_name"))
    outcome = api.up(settings)
    assert outcome.result.migrations[0].skipped_statements == 0
    assert query(db_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'uq_accounts_name'::regclass") \
        == [(True,)]
    assert api.status(settings).health == "ok"


def test_non_transactional_rerun_resumes_after_completed_statements(make_repo: Make, db_url: str,
                                                                   settings_for: Any) -> None:
    up = ("-- dbrun: transactional=false\nCREATE TABLE log_a (id int);\nINSERT INTO log_a VALUES (1);\n"
          "INSERT INTO missing_table VALUES (1);\n")
    root = make_repo({"sql/up/202601010000_steps.sql": up,
                      "sql/down/202601010000_steps.sql": "-- dbrun: transactional=false\nDROP TABLE IF EXISTS log_a;\n"})
    settings = settings_for(root, db_url)
    with pytest.raises(MigrationFailed) as caught:
        api.up(settings)
    assert caught.value.error.line == 4 and "resume at statement 3" in (caught.value.hint or "")
    assert caught.value.partially_applied
    assert query(db_url, "SELECT status FROM dbrun.migrations") == [("partial",)]
    (root / "sql/up/202601010000_steps.sql").write_text(up.replace("missing_table", "log_a"))
    outcome = api.up(settings)
    assert outcome.result.migrations[0].skipped_statements == 2
    assert query(db_url, "SELECT count(*) FROM log_a") == [(2,)]  # statement 2 was not run twice


def test_repair_marks_a_partial_migration_after_a_manual_fix(make_repo: Make, db_url: str, settings_for: Any) -> None:
    up = "-- dbrun: transactional=false\nCREATE TABLE r (id int);\nSELECT 1/0;\n"
    root = make_repo({"sql/up/202601010000_r.sql": up, "sql/down/202601010000_r.sql": "DROP TABLE r;\n"})
    settings = settings_for(root, db_url)
    with pytest.raises(MigrationFailed):
        api.up(settings)
    assert api.repair(settings, "202601010000").action == "marked"
    assert api.status(settings).health == "ok"
    assert query(db_url, "SELECT status FROM dbrun.log WHERE operation = 'repair'") == [("marked",)]


REPEATABLE = "-- view of accounts\nCREATE OR REPLACE VIEW account_names AS SELECT name FROM accounts;\n"


def test_repeatables_are_applied_only_when_changed_and_after_a_down(make_repo: Make, db_url: str,
                                                                    settings_for: Any) -> None:
    files = two_migrations()
    files["views/10_account_names.sql.j2"] = "{% from '_macros.sql.j2' import note %}{{ note() }}\n" + REPEATABLE
    files["views/_macros.sql.j2"] = "{% macro note() %}-- rendered by dbrun{% endmacro %}"
    root = make_repo(files)
    settings = settings_for(root, db_url)
    assert [r.name for r in api.up(settings).result.repeatables] == ["views/10_account_names.sql.j2"]
    assert api.up(settings).result.repeatables == []
    (root / "views/10_account_names.sql.j2").write_text(REPEATABLE.replace("SELECT name", "SELECT name, id"))
    assert len(api.up(settings).result.repeatables) == 1
    assert query(db_url, "SELECT count(*) FROM account_names") == [(2,)]
    (root / "views/10_account_names.sql.j2").write_text(
        REPEATABLE.replace("CREATE OR REPLACE VIEW", "DROP VIEW IF EXISTS account_names;\nCREATE VIEW"))
    api.up(settings)
    api.down(settings, steps=1)
    assert query(db_url, "SELECT count(*) FROM dbrun.repeatables") == [(0,)]
    assert len(api.up(settings).result.repeatables) == 1


def test_failing_repeatable_reports_its_file_and_line(make_repo: Make, db_url: str, settings_for: Any) -> None:
    files = two_migrations()
    files["policies/public.accounts.sql"] = "-- grants\nGRANT SELECT ON accounts TO no_such_role;\n"
    settings = settings_for(make_repo(files), db_url)
    with pytest.raises(MigrationFailed) as caught:
        api.up(settings)
    error = caught.value.error
    assert (str(error.path), error.line, error.sqlstate) == ("policies/public.accounts.sql", 2, "42704")
    assert query(db_url, "SELECT count(*) FROM dbrun.repeatables") == [(0,)]
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(2,)]


def test_pre_and_post_checks(make_repo: Make, db_url: str, settings_for: Any) -> None:
    files = two_migrations()
    files["sql/checks/post/accounts_have_email.sql"] = "SELECT id, name FROM accounts WHERE email IS NULL;\n"
    root = make_repo(files)
    settings = settings_for(root, db_url)
    outcome = api.up(settings)
    failing = [c for c in outcome.post_checks if not c.passed]
    assert [(c.name, c.columns, len(c.rows)) for c in failing] == [("accounts_have_email", ["id", "name"], 2)]
    make_repo({"sql/checks/pre/refuse.sql": "SELECT 'always' AS reason;\n",
               "sql/up/202601040000_c.sql": "SELECT 1;", "sql/down/202601040000_c.sql": "SELECT 1;"}, root)
    outcome = api.up(settings)
    assert outcome.result is None and outcome.checks_failed
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(2,)]


def test_a_check_requiring_a_missing_relation_is_skipped_not_failed(make_repo: Make, db_url: str,
                                                                     settings_for: Any) -> None:
    files = two_migrations()
    files["sql/checks/post/later.sql"] = ("-- dbrun: requires=public.not_yet,public.accounts\n"
                                          "SELECT * FROM not_yet;\n")
    files["sql/checks/post/now.sql"] = "-- dbrun: requires=public.accounts\nSELECT name FROM accounts WHERE false;\n"
    outcome = api.up(settings_for(make_repo(files), db_url))
    by_name = {c.name: c for c in outcome.post_checks}
    assert by_name["later"].passed and by_name["later"].skipped == "skipped: public.not_yet does not exist yet"
    assert by_name["now"].passed and by_name["now"].skipped is None and by_name["now"].columns == ["name"]


def test_a_check_requiring_a_missing_function_is_skipped_not_failed(make_repo: Make, db_url: str,
                                                                     settings_for: Any) -> None:
    files = two_migrations()
    files["sql/checks/post/later.sql"] = "-- dbrun: requires=public.not_yet()\nSELECT public.not_yet();\n"
    files["sql/checks/post/now.sql"] = "-- dbrun: requires=pg_catalog.now()\nSELECT now() WHERE false;\n"
    outcome = api.up(settings_for(make_repo(files), db_url))
    by_name = {c.name: c for c in outcome.post_checks}
    assert by_name["later"].passed and by_name["later"].skipped == "skipped: public.not_yet() does not exist yet"
    assert by_name["now"].passed and by_name["now"].skipped is None


def test_a_warning_check_reports_its_rows_without_failing(make_repo: Make, db_url: str, settings_for: Any) -> None:
    files = two_migrations()
    files["sql/checks/post/advice.sql"] = "-- dbrun: severity=warning\nSELECT 'consider this' AS problem;\n"
    files["sql/checks/post/rule.sql"] = "SELECT 'broken' AS problem;\n"
    outcome = api.up(settings_for(make_repo(files), db_url))
    by_name = {c.name: c for c in outcome.post_checks}
    assert by_name["advice"].passed and by_name["advice"].warned and by_name["advice"].rows == [("consider this",)]
    assert not by_name["rule"].passed and not by_name["rule"].warned
