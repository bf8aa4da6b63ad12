"""`dbrun diff`: a live database compared with the snapshot, object by object, read-only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import api

Generate = Callable[[Path], api.ReferenceOutcome]


@pytest.fixture
def snapshot_path(repo_copy: Path, generate: Generate) -> Path:
    """A snapshot of this test's product database, taken before the test changes anything."""
    generate(repo_copy)
    return repo_copy / "schema" / "schema.sql"


def _execute(url: str, statement: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def _diff(dbrun_cli: Callable[..., Any], url: str, snapshot: Path) -> tuple[int, dict[str, Any]]:
    result = dbrun_cli("diff", "--json", "--snapshot", str(snapshot), url=url)
    return result.exit_code, json.loads(result.stdout)


def test_database_built_by_the_repository_has_no_drift(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert (code, report["drift"], report["added"], report["missing"], report["changed"]) == (0, False, [], [], [])


def test_table_created_outside_the_repository_is_added(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    _execute(product_url, "CREATE TABLE core.shadow_copy (id bigint PRIMARY KEY)")
    code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert code == 1
    assert [(a["kind"], a["name"]) for a in report["added"]] == [("table", "core.shadow_copy")]
    assert (report["missing"], report["changed"]) == ([], [])


def test_dropped_index_is_missing(dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    _execute(product_url, "DROP INDEX core.idx_api_keys_organization_id_user_id")
    code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert code == 1
    assert [(m["kind"], m["name"]) for m in report["missing"]] == [("index", "core.idx_api_keys_organization_id_user_id")]


def test_changed_column_default_and_policy_are_changed(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    _execute(product_url, "ALTER TABLE core.users ALTER COLUMN role SET DEFAULT 'viewer'")
    _execute(product_url, "ALTER POLICY users_select_tenant ON core.users TO app_rw")
    code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert code == 1
    changed = {(c["kind"], c["name"]): c["diff"] for c in report["changed"]}
    assert set(changed) == {("table", "core.users"), ("policy", "core.users.users_select_tenant")}
    assert "-    role text DEFAULT 'member'::text NOT NULL," in changed[("table", "core.users")]
    assert "+    role text DEFAULT 'viewer'::text NOT NULL," in changed[("table", "core.users")]


def test_grant_outside_the_repository_is_a_change(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    _execute(product_url, "GRANT SELECT ON core.api_keys TO app_ro")
    code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert code == 1
    assert [(c["kind"], c["name"]) for c in report["changed"]] == [("table", "core.api_keys")]


def test_partitions_created_at_run_time_are_not_drift(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    _execute(product_url, "SELECT usage.create_event_partitions(12)")
    code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert (code, report["drift"]) == (0, False)


def test_missing_snapshot_is_a_usage_error(dbrun_cli: Callable[..., Any], product_url: str, tmp_path: Path) -> None:
    result = dbrun_cli("diff", "--snapshot", str(tmp_path / "nothing.sql"), url=product_url)
    assert result.exit_code == 2
    assert "no schema snapshot" in result.stderr


def test_snapshot_version_differing_from_the_database_is_noted(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    text = snapshot_path.read_text()
    assert text.startswith("-- Schema version: 2")
    applied = text[len("-- Schema version: "):][:12]
    snapshot_path.write_text(text.replace(applied, "209901010000", 1))
    _code, report = _diff(dbrun_cli, product_url, snapshot_path)
    assert report["notes"] == [f"the database is at schema version {applied}, the snapshot at 209901010000"]


def test_read_only_login_can_diff_without_reading_the_bookkeeping(
        dbrun_cli: Callable[..., Any], product_url: str, snapshot_path: Path) -> None:
    role = "docs_diff_reader"
    _execute(product_url, f"CREATE ROLE {role} LOGIN IN ROLE app_ro")
    try:
        code, report = _diff(dbrun_cli, product_url.replace("postgres@", f"{role}@"), snapshot_path)
    finally:
        _execute(product_url, f"DROP ROLE {role}")
    assert (code, report["drift"]) == (0, False)
    assert report["notes"] == ["cannot read dbrun.migrations as this role, so not the database's schema version"]
