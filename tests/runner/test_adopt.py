"""Adopting dbrun on a live database: baseline, importing yoyo/dbmate/Flyway history, `dbrun history`,
irreversible migrations, and the bookkeeping layout upgrade."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbrun import api
from dbrun.errors import ProblemsFound, UsageProblems
from dbrun.source import load_repository
from tests.helpers.runner import execute, query

Make = Callable[..., Path]
Cli = Callable[..., Any]

A_UP = ("-- Migration: create_accounts\nCREATE TABLE accounts (id bigint CONSTRAINT pk_accounts PRIMARY KEY, "
        "name text);\nCREATE INDEX idx_accounts_name ON accounts (name);\n")
B_UP = ("-- Migration: add_email\nALTER TABLE accounts ADD COLUMN email text;\n"
        "CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT count(*) FROM accounts $$;\n")
C_UP = "-- Migration: create_notes\nCREATE TABLE notes (id bigint CONSTRAINT pk_notes PRIMARY KEY);\n"
FILES = {
    "sql/up/202601010000_create_accounts.sql": A_UP,
    "sql/down/202601010000_create_accounts.sql": "DROP TABLE accounts;\n",
    "sql/up/202601020000_add_email.sql": B_UP,
    "sql/down/202601020000_add_email.sql": "DROP FUNCTION account_count();\nALTER TABLE accounts DROP COLUMN email;\n",
    "sql/up/202601030000_create_notes.sql": C_UP,
    "sql/down/202601030000_create_notes.sql": "DROP TABLE notes;\n",
}
# The same schema as the first two migrations, made by hand (or by another tool).
EXISTING_SCHEMA = A_UP + B_UP


def applied(url: str) -> list[tuple[str, str]]:
    return query(url, "SELECT version, status FROM dbrun.migrations ORDER BY version")


def test_baseline_records_migrations_up_to_version_with_their_checksums(make_repo: Make, db_url: str,
                                                                        settings_for: Any) -> None:
    root = make_repo(FILES)
    execute(db_url, EXISTING_SCHEMA)
    outcome = api.baseline(settings_for(root, db_url), "202601020000")
    assert outcome.marked == ["202601010000_create_accounts", "202601020000_add_email"]
    migrations = load_repository(root).migrations
    assert query(db_url, "SELECT version, checksum FROM dbrun.migrations ORDER BY 1") == [
        (m.version, m.checksum) for m in migrations[:2]]
    assert query(db_url, "SELECT operation, status FROM dbrun.log ORDER BY id") == [("baseline", "marked")] * 2


def test_up_after_baseline_applies_only_later_migrations(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(FILES), db_url)
    execute(db_url, EXISTING_SCHEMA)
    api.baseline(settings, "202601020000")
    outcome = api.up(settings)
    assert [m.name for m in outcome.result.migrations] == ["202601030000_create_notes"]


@pytest.mark.parametrize(("dropped", "named"), [
    ("DROP INDEX idx_accounts_name", "relation idx_accounts_name"),
    ("ALTER TABLE accounts DROP COLUMN email", "column accounts.email"),
    ("DROP FUNCTION account_count()", "function account_count"),
])
def test_baseline_refuses_when_an_object_of_the_migrations_is_missing(
        make_repo: Make, db_url: str, settings_for: Any, dropped: str, named: str) -> None:
    settings = settings_for(make_repo(FILES), db_url)
    execute(db_url, EXISTING_SCHEMA + dropped + ";")
    with pytest.raises(ProblemsFound) as refused:
        api.baseline(settings, "202601020000")
    assert [(p.code, p.message.split(" (")[0]) for p in refused.value.problems] == [("ADOPT-MISSING", named)]
    assert query(db_url, "SELECT to_regclass('dbrun.migrations')") == [(None,)]


def test_baseline_without_check_records_even_missing_objects(make_repo: Make, db_url: str, settings_for: Any) -> None:
    api.baseline(settings_for(make_repo(FILES), db_url), "202601010000", check_objects=False)
    assert applied(db_url) == [("202601010000", "applied")]


def test_baseline_ignores_objects_a_later_migration_of_the_chain_dropped(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    files = {**FILES, "sql/up/202601040000_drop_notes.sql": "-- Migration: drop_notes\nDROP TABLE notes;\n",
             "sql/down/202601040000_drop_notes.sql": C_UP}
    execute(db_url, EXISTING_SCHEMA)
    api.baseline(settings_for(make_repo(files), db_url), "202601040000")
    assert len(applied(db_url)) == 4


def test_baseline_refuses_a_database_with_dbrun_history(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(FILES), db_url)
    api.up(settings, to="202601010000")
    with pytest.raises(ProblemsFound) as refused:
        api.baseline(settings, "202601020000")
    assert refused.value.problems[0].code == "ADOPT-HAS-HISTORY"


def test_baseline_of_an_unknown_version_is_a_usage_error(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    result = dbrun_cli("baseline", "209901010000", url=db_url, root=make_repo(FILES))
    assert result.exit_code == 2 and "no migration '209901010000'" in result.stderr


# -- importing other tools' history ------------------------------------------------------------

def test_import_yoyo_reads_yoyos_own_history(make_repo: Make, db_url: str, settings_for: Any, tmp_path: Path) -> None:
    from yoyo import get_backend, read_migrations

    yoyo_dir = tmp_path / "yoyo"
    yoyo_dir.mkdir()
    (yoyo_dir / "202601010000_create_accounts.sql").write_text(A_UP)
    (yoyo_dir / "202601020000_add_email.sql").write_text(B_UP)
    backend = get_backend(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with backend.lock():
        backend.apply_migrations(backend.to_apply(read_migrations(str(yoyo_dir))))
    backend.connection.close()
    outcome = api.import_history(settings_for(make_repo(FILES), db_url), "yoyo")
    assert outcome.source == "_yoyo_migration"
    assert applied(db_url) == [("202601010000", "applied"), ("202601020000", "applied")]
    assert query(db_url, "SELECT DISTINCT operation FROM dbrun.log") == [("import",)]


def test_import_dbmate_matches_fourteen_digit_versions(make_repo: Make, db_url: str, settings_for: Any) -> None:
    execute(db_url, EXISTING_SCHEMA + "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
            "INSERT INTO schema_migrations VALUES ('20260101000000'), ('202601020000');")
    api.import_history(settings_for(make_repo(FILES), db_url), "dbmate")
    assert applied(db_url) == [("202601010000", "applied"), ("202601020000", "applied")]


FLYWAY_TABLE = """CREATE TABLE flyway_schema_history (
    installed_rank integer PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL,
    type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL,
    installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL);
"""


def test_import_flyway_honours_baseline_and_failed_rows(make_repo: Make, db_url: str, settings_for: Any) -> None:
    execute(db_url, EXISTING_SCHEMA + FLYWAY_TABLE + """INSERT INTO flyway_schema_history VALUES
        (1, '202601010000', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'me', now(), 0, true),
        (2, '202601020000', 'add email', 'SQL', 'V202601020000__add_email.sql', 1, 'me', now(), 5, true),
        (3, '202601030000', 'create notes', 'SQL', 'V202601030000__create_notes.sql', 2, 'me', now(), 5, false);""")
    api.import_history(settings_for(make_repo(FILES), db_url), "flyway")
    assert applied(db_url) == [("202601010000", "applied"), ("202601020000", "applied")]


def test_import_refuses_versions_without_a_file(make_repo: Make, db_url: str, settings_for: Any) -> None:
    execute(db_url, "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
            "INSERT INTO schema_migrations VALUES ('20250101000000');")
    with pytest.raises(ProblemsFound) as refused:
        api.import_history(settings_for(make_repo(FILES), db_url), "dbmate", check_objects=False)
    assert [p.code for p in refused.value.problems] == ["IMPORT-UNKNOWN"]
    assert "20250101000000" in refused.value.problems[0].message


def test_import_without_the_tools_table_says_so(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    result = dbrun_cli("--json", "import", "flyway", url=db_url, root=make_repo(FILES))
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"][0]["code"] == "IMPORT-NO-TABLE"


# -- history -----------------------------------------------------------------------------------

def test_history_lists_the_newest_entries_first(make_repo: Make, db_url: str, settings_for: Any,
                                                dbrun_cli: Cli) -> None:
    root = make_repo(FILES)
    settings = settings_for(root, db_url)
    api.up(settings)
    api.down(settings, steps=1)
    result = dbrun_cli("history", "--limit", "2", "--json", url=db_url, root=root)
    assert result.exit_code == 0
    entries = json.loads(result.stdout)["entries"]
    assert [(e["operation"], e["name"], e["status"]) for e in entries] == [
        ("rollback", "202601030000_create_notes", "ok"), ("apply", "202601030000_create_notes", "ok")]
    assert all(e["db_user"] and e["duration_ms"] is not None for e in entries)


def test_history_text_shows_failures_with_their_sqlstate(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    files = {**FILES, "sql/up/202601030000_create_notes.sql": "-- Migration: create_notes\nSELECT 1 / 0;\n"}
    root = make_repo(files)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 3
    result = dbrun_cli("history", url=db_url, root=root)
    assert result.exit_code == 0 and "22012" in result.stdout and "failed" in result.stdout


def test_history_of_a_database_never_migrated_is_empty(make_repo: Make, db_url: str, settings_for: Any) -> None:
    assert api.history_log(settings_for(make_repo(FILES), db_url)) == []


def test_history_limit_below_one_is_a_usage_error(make_repo: Make, db_url: str, settings_for: Any) -> None:
    with pytest.raises(UsageProblems):
        api.history_log(settings_for(make_repo(FILES), db_url), limit=0)


# -- irreversible migrations -------------------------------------------------------------------

IRREVERSIBLE = {**FILES, "sql/down/202601020000_add_email.sql":
                "-- dbrun: irreversible emails typed by users cannot be restored once dropped\n"}


def test_down_refuses_to_go_past_an_irreversible_migration_and_prints_why(
        make_repo: Make, db_url: str, settings_for: Any, dbrun_cli: Cli) -> None:
    root = make_repo(IRREVERSIBLE)
    api.up(settings_for(root, db_url))
    result = dbrun_cli("down", "--all", "--yes", url=db_url, root=root)
    assert result.exit_code == 1
    assert "PLAN-IRREVERSIBLE" in result.stderr and "cannot be restored" in result.stderr
    assert len(applied(db_url)) == 3  # nothing rolled back, not even the newer migration


def test_down_to_an_irreversible_migration_rolls_back_the_newer_ones(
        make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(IRREVERSIBLE), db_url)
    api.up(settings)
    api.down(settings, to="202601020000")
    assert [v for v, _ in applied(db_url)] == ["202601010000", "202601020000"]


def test_dry_run_of_down_refuses_an_irreversible_migration_too(make_repo: Make, db_url: str,
                                                               settings_for: Any) -> None:
    from dbrun import review

    settings = settings_for(make_repo(IRREVERSIBLE), db_url)
    api.up(settings)
    with pytest.raises(ProblemsFound) as refused:
        review.dry_run_down(settings, everything=True)
    assert refused.value.problems[0].code == "PLAN-IRREVERSIBLE"


# -- bookkeeping layout ------------------------------------------------------------------------

def test_up_upgrades_an_older_bookkeeping_layout_in_place(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(FILES), db_url)
    api.up(settings, to="202601010000")
    execute(db_url, """DROP TABLE dbrun.batches; DELETE FROM dbrun.bookkeeping_version WHERE version = 3;
        ALTER TABLE dbrun.log DROP CONSTRAINT ck_log_operation, ADD CONSTRAINT ck_log_operation
            CHECK (operation IN ('apply', 'rollback', 'repeatable', 'repair'));""")
    api.up(settings)
    assert query(db_url, "SELECT max(version) FROM dbrun.bookkeeping_version") == [(3,)]
    assert query(db_url, "SELECT to_regclass('dbrun.batches') IS NOT NULL") == [(True,)]
    assert len(applied(db_url)) == 3
