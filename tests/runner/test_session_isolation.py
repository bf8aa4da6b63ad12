"""A clean session for every file: nothing a migration SETs leaks into the next one or into dbrun's
own settings and bookkeeping, so N migrations in one run give what N runs of one give (issue 12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from dbrun import api, review
from dbrun.config import load_settings
from tests.helpers.runner import migration_pair as pair
from tests.helpers.runner import query, without_bookkeeping

Make = Callable[..., Path]





@pytest.fixture
def twin_url(postgresql: psycopg.Connection[Any], db_url: str) -> Iterator[str]:
    """A second empty database beside this test's, for comparing two ways of applying the same files."""
    name = f"{postgresql.info.dbname}_twin"
    with psycopg.connect(db_url.replace(f"/{postgresql.info.dbname}?", "/postgres?"), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield db_url.replace(f"/{postgresql.info.dbname}?", f"/{name}?")
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def owner_role(postgresql: psycopg.Connection[Any], db_url: str) -> Iterator[str]:
    """A NOLOGIN owner role (cluster-wide, so named after this test's database) that may create in public."""
    role = f"owner_{postgresql.info.dbname}"[:63]
    admin_url = db_url.replace(f"/{postgresql.info.dbname}?", "/postgres?")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
    try:
        yield role
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            for (dbname,) in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                           (f"{postgresql.info.dbname}%",)).fetchall():
                with psycopg.connect(admin_url.replace("/postgres?", f"/{dbname}?"), autocommit=True) as db:
                    db.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def grant_public_create(url: str, role: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT CREATE, USAGE ON SCHEMA public TO {}").format(sql.Identifier(role)))


def leaky_files(role: str) -> dict[str, str | bytes]:
    """Each migration changes its session in one way; the one after it must not notice."""
    return {
        **pair("202601010000", "set_search_path", "CREATE SCHEMA app;\nSET search_path = app;\n"
               "CREATE TABLE in_app (a int);\n", "DROP TABLE app.in_app;\nDROP SCHEMA app;\n"),
        **pair("202601010100", "after_search_path", "CREATE TABLE after_path (a int);\n", "DROP TABLE after_path;\n"),
        **pair("202601010200", "set_role", f'SET ROLE "{role}";\nCREATE TABLE owned_by_role (a int);\n',
               "DROP TABLE owned_by_role;\n"),
        **pair("202601010300", "after_role", "CREATE TABLE after_role (a int);\n", "DROP TABLE after_role;\n"),
        **pair("202601010400", "set_local_role", f'SET LOCAL ROLE "{role}";\nCREATE TABLE local_role (a int);\n',
               "DROP TABLE local_role;\n"),
        **pair("202601010500", "reset_all", "RESET ALL;\nCREATE TABLE after_reset (a int);\n",
               "DROP TABLE after_reset;\n"),
        **pair("202601010600", "sees_runner_settings",
               "CREATE TABLE seen_settings AS\n"
               "    SELECT current_setting('client_connection_check_interval') AS check_interval;\n",
               "DROP TABLE seen_settings;\n"),
        **pair("202601010700", "set_config", "SELECT set_config('search_path', 'app', false);\n",
               "SELECT 1;\n"),
        **pair("202601010800", "after_set_config", "CREATE TABLE after_set_config (a int);\n",
               "DROP TABLE after_set_config;\n"),
    }


def test_a_search_path_set_by_one_migration_does_not_move_the_next_ones_tables(
        make_repo: Make, db_url: str) -> None:
    root = make_repo({**pair("202601010000", "set_search_path", "CREATE SCHEMA app;\nSET search_path = app;\n",
                             "DROP SCHEMA app;\n"),
                      **pair("202601010100", "after", "CREATE TABLE after_path (a int);\n", "DROP TABLE after_path;\n")})
    api.up(load_settings(root, db_url))
    assert query(db_url, "SELECT to_regclass('public.after_path') IS NOT NULL, to_regclass('app.after_path')") == [
        (True, None)]


def test_set_role_in_a_migration_does_not_change_who_writes_the_bookkeeping(
        make_repo: Make, db_url: str, owner_role: str) -> None:
    grant_public_create(db_url, owner_role)
    root = make_repo({**pair("202601010000", "as_owner", f'SET ROLE "{owner_role}";\nCREATE TABLE owned (a int);\n',
                             "DROP TABLE owned;\n"),
                      **pair("202601010100", "after", "CREATE TABLE after_role (a int);\n", "DROP TABLE after_role;\n")})
    outcome = api.up(load_settings(root, db_url))
    assert outcome.result is not None and len(outcome.result.migrations) == 2
    owners = dict(query(db_url, "SELECT tablename::text, tableowner::text FROM pg_tables WHERE schemaname = 'public'"))
    assert owners == {"owned": owner_role, "after_role": "postgres"}
    assert {row[0] for row in query(db_url, "SELECT applied_by FROM dbrun.migrations")} == {"postgres"}
    assert {row[0] for row in query(db_url, "SELECT db_user FROM dbrun.log")} == {"postgres"}


def test_set_local_role_in_a_non_transactional_file_records_progress_as_the_runner(
        make_repo: Make, db_url: str, owner_role: str) -> None:
    grant_public_create(db_url, owner_role)
    root = make_repo({**pair("202601010000", "as_owner", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n"),
                      **pair("202601010100", "index_as_owner",
                             f'-- dbrun: transactional=false\nSET ROLE "{owner_role}";\n'
                             "CREATE TABLE owned (a int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix_owned ON owned (a);\n",
                             "DROP TABLE owned;\n")})
    api.up(load_settings(root, db_url))
    assert query(db_url, "SELECT tableowner::text FROM pg_tables WHERE tablename = 'owned'") == [(owner_role,)]
    assert query(db_url, "SELECT status, applied_by FROM dbrun.migrations ORDER BY version") == [
        ("applied", "postgres"), ("applied", "postgres")]


def test_reset_all_in_a_migration_keeps_dbruns_own_session_settings(make_repo: Make, db_url: str) -> None:
    root = make_repo({**pair("202601010000", "reset_all", "RESET ALL;\nSELECT 1;\n", "SELECT 1;\n"),
                      **pair("202601010100", "sees", "CREATE TABLE seen AS\n"
                             "    SELECT current_setting('client_connection_check_interval') AS v;\n",
                             "DROP TABLE seen;\n")})
    api.up(load_settings(root, db_url))
    assert query(db_url, "SELECT v FROM seen") == [("1s",)]


def test_runner_session_settings_survive_a_reset_all_inside_a_migration(make_repo: Make, db_url: str) -> None:
    root = make_repo(pair("202601010000", "reset_then_look", "RESET ALL;\nCREATE TABLE seen AS\n"
                          "    SELECT current_setting('client_connection_check_interval') AS v;\n", "DROP TABLE seen;\n"))
    api.up(load_settings(root, db_url))
    assert query(db_url, "SELECT v FROM seen") == [("1s",)]


def test_n_migrations_in_one_run_equal_one_at_a_time_for_leaky_fixtures(
        make_repo: Make, db_url: str, twin_url: str, owner_role: str,
        pg_dump_schema: Callable[[str], str]) -> None:
    for url in (db_url, twin_url):
        grant_public_create(url, owner_role)
    root = make_repo(leaky_files(owner_role))
    api.up(load_settings(root, db_url))
    repository = api.load(load_settings(root, twin_url))
    for migration in repository.migrations:
        api.up(load_settings(root, twin_url), to=migration.version)
    assert without_bookkeeping(pg_dump_schema(db_url)) == without_bookkeeping(pg_dump_schema(twin_url))
    assert query(db_url, "SELECT check_interval FROM seen_settings") == [("1s",)]


def test_n_migrations_in_one_run_equal_one_at_a_time_for_the_product_chain(
        repo_root: Path, db_url: str, twin_url: str, pg_dump_schema: Callable[[str], str]) -> None:
    api.up(load_settings(repo_root, db_url))
    for migration in api.load(load_settings(repo_root, twin_url)).migrations:
        api.up(load_settings(repo_root, twin_url), to=migration.version)
    api.up(load_settings(repo_root, twin_url))  # the repeatables, applied once nothing is pending
    assert without_bookkeeping(pg_dump_schema(db_url)) == without_bookkeeping(pg_dump_schema(twin_url))


def test_dry_run_of_set_role_gives_the_real_runs_verdict(make_repo: Make, db_url: str, owner_role: str) -> None:
    # The owner role may create tables in public but not schemas: only a leaked role would fail the second file.
    grant_public_create(db_url, owner_role)
    root = make_repo({**pair("202601010000", "as_owner", f'SET ROLE "{owner_role}";\nCREATE TABLE owned (a int);\n',
                             "DROP TABLE owned;\n"),
                      **pair("202601010100", "schema", "CREATE SCHEMA reporting;\n", "DROP SCHEMA reporting;\n")})
    settings = load_settings(root, db_url)
    dry = review.dry_run_up(settings)
    assert dry.failure is None and dry.exit_code == 0
    outcome = api.up(settings)
    assert outcome.result is not None and len(outcome.result.migrations) == 2
