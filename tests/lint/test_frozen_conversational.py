"""The freeze of the conversational platform's ten tables (issue 18), through `dbrun lint` on a copy of
this repository: a rename, a drop and a type change of each frozen table are refused (DF01); the
additive changes the freeze allows pass."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.conversational import FROZEN_TABLES, SCHEMA
from tests.helpers.lint import REPOSITORY

# A column of each frozen table and a type it must not be changed to.
COLUMN_OF = {"conversations": "intent", "users": "role", "businesses": "name", "channel_integrations": "channel",
             "messages": "channel", "leads": "status", "knowledge_entries": "intent",
             "conversation_memory": "last_intent", "analytics_events": "event_type", "ad_assets": "title"}
VERSION = "202612010000"


def _copy_repository(root: Path) -> Path:
    for name in ("pyproject.toml", ".sqlfluff", ".squawk.toml"):
        shutil.copy(REPOSITORY / name, root / name)
    for folder in ("sql", "policies"):
        shutil.copytree(REPOSITORY / folder, root / folder)
    return root


def _lint(dbrun_cli: Callable[..., Any], root: Path, up: str) -> tuple[int, list[dict[str, Any]]]:
    name = f"{VERSION}_change_frozen.sql"
    (root / "sql" / "up" / name).write_text(f"-- Migration: change_frozen\n-- A change to frozen tables.\n"
                                            f"-- Locks: the frozen tables\n\n{up}", encoding="utf-8")
    (root / "sql" / "down" / name).write_text("-- Migration: change_frozen\n-- Nothing to undo here.\n\n"
                                              "SELECT 1;\n", encoding="utf-8")
    result = dbrun_cli("lint", "--no-cache", "--format", "json", f"sql/up/{name}", root=root)
    return result.exit_code, json.loads(result.stdout)["findings"]


@pytest.mark.parametrize("change", ["rename", "drop", "type"])
def test_lint_refuses_breaking_changes_of_every_frozen_table(
        change: str, tmp_path: Path, dbrun_cli: Callable[..., Any]) -> None:
    statements = {
        "rename": "ALTER TABLE {s}.{t} RENAME COLUMN {c} TO {c}_renamed;",
        "drop": "ALTER TABLE {s}.{t} DROP COLUMN {c};",
        "type": "ALTER TABLE {s}.{t} ALTER COLUMN {c} TYPE varchar(20);",
    }[change]
    up = "\n".join(statements.format(s=SCHEMA, t=t, c=COLUMN_OF[t]) for t in FROZEN_TABLES) + "\n"
    code, findings = _lint(dbrun_cli, _copy_repository(tmp_path), up)
    refused = {f["line"]: f["message"] for f in findings if f["code"] == "DF01"}
    assert code == 1
    for line, table in enumerate(FROZEN_TABLES, start=5):
        assert f"on frozen table {SCHEMA}.{table}" in refused.get(line, ""), (table, findings)


def test_lint_refuses_renaming_or_dropping_a_frozen_table(tmp_path: Path, dbrun_cli: Callable[..., Any]) -> None:
    up = f"ALTER TABLE {SCHEMA}.leads RENAME TO prospects;\nDROP TABLE {SCHEMA}.ad_assets;\n"
    code, findings = _lint(dbrun_cli, _copy_repository(tmp_path), up)
    assert code == 1
    assert sorted(f["message"] for f in findings if f["code"] == "DF01") == [
        f"DROP TABLE on frozen table {SCHEMA}.ad_assets", f"RENAME on frozen table {SCHEMA}.leads"]


def test_lint_accepts_a_nullable_column_on_every_frozen_table(tmp_path: Path, dbrun_cli: Callable[..., Any]) -> None:
    up = "".join(f"ALTER TABLE {SCHEMA}.{t} ADD COLUMN note text;\n" for t in FROZEN_TABLES)
    _code, findings = _lint(dbrun_cli, _copy_repository(tmp_path), up)
    assert [f for f in findings if f["code"] == "DF01"] == []


def test_lint_refuses_a_required_column_without_default(tmp_path: Path, dbrun_cli: Callable[..., Any]) -> None:
    code, findings = _lint(dbrun_cli, _copy_repository(tmp_path),
                           f"ALTER TABLE {SCHEMA}.messages ADD COLUMN thread_id bigint NOT NULL;\n")
    assert code == 1
    assert [f["message"] for f in findings if f["code"] == "DF01"] == [
        f"a required column without a constant default (thread_id) on frozen table {SCHEMA}.messages"]


def test_the_repository_declares_the_ten_frozen_tables() -> None:
    import tomllib

    settings = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["dbrun"]
    assert sorted(settings["frozen_tables"]) == sorted(f"{SCHEMA}.{t}" for t in FROZEN_TABLES)
