"""A dry-run that never lies: what one transaction cannot simulate is said plainly, and what it
cannot roll back (sequence advances) is reported (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from dbrun import api, review
from dbrun.config import load_settings
from tests.helpers.runner import migration_pair as pair

Make = Callable[..., Path]
Cli = Callable[..., Any]



ENUM_TYPE = pair("202601010000", "create_status", "CREATE TYPE task_status AS ENUM ('new');\n",
                 "DROP TYPE task_status;\n")
ADD_DONE = pair("202601010100", "add_done", "ALTER TYPE task_status ADD VALUE 'done';\n", "SELECT 1;\n")
USE_DONE = pair("202601010200", "create_tasks",
                "CREATE TABLE tasks (status task_status NOT NULL DEFAULT 'done');\n", "DROP TABLE tasks;\n")


def test_enum_value_added_then_used_by_a_later_migration_is_not_simulated_and_exits_0(
        make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = make_repo({**ENUM_TYPE, **ADD_DONE, **USE_DONE})
    settings = load_settings(root, db_url)
    api.up(settings, to="202601010000")  # the type exists before the run, as in production
    dry = review.dry_run_up(settings)
    assert dry.failure is None and dry.exit_code == 0
    assert [(m.name, m.status) for m in dry.migrations] == [
        ("202601010100_add_done", "executed"), ("202601010200_create_tasks", "not simulated")]
    assert any("could not simulate 202601010200_create_tasks" in note and "202601010100_add_done" in note
               for note in dry.notes)
    text = dbrun_cli("up", "--dry-run", url=db_url, root=root)
    assert text.exit_code == 0 and "would FAIL" not in text.stdout and "cannot simulate" in text.stdout
    outcome = api.up(settings)
    assert outcome.result is not None and len(outcome.result.migrations) == 2


def test_enum_value_used_in_the_migration_that_adds_it_still_fails(make_repo: Make, db_url: str) -> None:
    root = make_repo({**ENUM_TYPE, **pair("202601010100", "add_and_use", "ALTER TYPE task_status ADD VALUE 'done';\n"
                                          "SELECT 'done'::task_status;\n", "SELECT 1;\n")})
    settings = load_settings(root, db_url)
    api.up(settings, to="202601010000")
    dry = review.dry_run_up(settings)
    assert dry.failure is not None and dry.failure.sqlstate == "55P04" and dry.exit_code == 3


def test_dry_run_reports_the_sequences_it_advanced(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = make_repo({**pair("202601010000", "create_items", "CREATE TABLE items (\n"
                             "    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_items PRIMARY KEY,\n"
                             "    name text NOT NULL\n);\n", "DROP TABLE items;\n"),
                      **pair("202601010100", "seed_items", "INSERT INTO items (name) VALUES ('a'), ('b'), ('c');\n",
                             "DELETE FROM items;\n")})
    settings = load_settings(root, db_url)
    api.up(settings, to="202601010000")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("INSERT INTO items (name) VALUES ('existing')")
    dry = review.dry_run_up(settings)
    assert dry.sequences_advanced == {"public.items_id_seq": 3}
    result = dbrun_cli("up", "--dry-run", url=db_url, root=root)
    assert result.exit_code == 0
    assert "except 1 sequence advance" in result.stdout and "public.items_id_seq by 3" in result.stdout
    as_json = json.loads(dbrun_cli("--json", "up", "--dry-run", url=db_url, root=root).stdout)
    assert as_json["sequences_advanced"] == {"public.items_id_seq": 3}


def test_dry_run_without_sequence_use_still_says_nothing_was_written(make_repo: Make, db_url: str,
                                                                     dbrun_cli: Cli) -> None:
    root = make_repo(pair("202601010000", "create_t", "CREATE TABLE t (a int);\n", "DROP TABLE t;\n"))
    result = dbrun_cli("up", "--dry-run", url=db_url, root=root)
    assert result.exit_code == 0 and "nothing was written" in result.stdout and "except" not in result.stdout
