"""On plain PostgreSQL the engine is named, and the dry-run carries no Citus annotation at all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from dbrun import api, review
from dbrun.cli import app
from dbrun.config import Settings
from tests.helpers.runner import migration_pair

Make = Callable[..., Path]
UP = "CREATE TABLE notes (id int CONSTRAINT pk_notes PRIMARY KEY, body text);\nCOMMENT ON TABLE notes IS 'Notes.';\n"


def test_status_on_plain_postgresql_names_the_engine_without_citus(
        db_url: str, make_repo: Make, settings_for: Callable[..., Settings]) -> None:
    engine = api.status(settings_for(make_repo(migration_pair("202601010000", "notes", UP, "DROP TABLE notes;\n")),
                                     db_url)).engine
    assert engine is not None and engine.citus is None
    assert engine.describe() == f"PostgreSQL {engine.postgres}" and engine.warnings() == []


def test_dry_run_on_plain_postgresql_has_no_citus_annotation(
        db_url: str, make_repo: Make, settings_for: Callable[..., Settings]) -> None:
    result = review.dry_run_up(settings_for(make_repo(migration_pair("202601010000", "notes", UP,
                                                                     "DROP TABLE notes;\n")), db_url))
    assert not result.on_citus
    assert [s.citus for m in result.migrations for s in m.statements] == [None, None]


def test_dry_run_json_on_plain_postgresql_has_no_engine_or_citus_keys(db_url: str, make_repo: Make) -> None:
    root = make_repo(migration_pair("202601010000", "notes", UP, "DROP TABLE notes;\n"))
    result = CliRunner().invoke(app, ["up", "--dry-run", "--json", "--root", str(root), "--database-url", db_url])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert "citus" not in data and "engine" not in data
    assert all("citus" not in s for m in data["migrations"] for s in m["statements"])
    text = CliRunner().invoke(app, ["up", "--dry-run", "--root", str(root), "--database-url", db_url])
    assert "Citus" not in text.stdout
