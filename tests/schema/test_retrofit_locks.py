"""The tenancy retrofit measured on a populated database (issue 18): before applying each retrofit
migration to 20,000 legacy messages (docs/benchmarks.md times the same walk on 200,000), its dry-run
(JSON report) must show no table rewrite and no ACCESS EXCLUSIVE lock held while rows are read or
written: ACCESS EXCLUSIVE appears only in files whose every statement is a catalog change; VALIDATE
and index builds take at most SHARE UPDATE EXCLUSIVE; a backfill batch takes ROW EXCLUSIVE and
touches at most one batch of rows.

One test walks the whole retrofit (building the population costs more than the checks), collecting
every problem so a failure names all the migrations at fault."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import psycopg

from dbrun.locks import ACCESS_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE, strength
from tests.helpers.conversational import BEFORE_RETROFIT, POPULATED_MESSAGES, RETROFIT, SCHEMA, populate

BATCH_SIZE = 5000
# Statements that read every row of the table they name (a scan, a batch, an index build).
READS_ROWS = re.compile(r"^\s*(UPDATE\b|CREATE\s+(UNIQUE\s+)?INDEX\b)|\bVALIDATE\s+CONSTRAINT\b", re.IGNORECASE)


def _dry_run(dbrun_cli: Callable[..., Any], url: str, version: str) -> dict[str, Any]:
    result = dbrun_cli("up", "--dry-run", "--to", version, "--format", "json", url=url)
    report = json.loads(result.stdout)
    [migration] = [m for m in report["migrations"] if m["version"] == version]
    assert report["failed_migration"] is None, (version, report["failure"])
    return migration


def _problems(migration: dict[str, Any]) -> list[str]:
    name = migration["name"]
    problems = []
    statements = migration["statements"]
    for statement in statements:
        if statement["rewritten"] or statement["rewrite_estimate"]:
            problems.append(f"{name}: rewrites {statement['rewritten'] or statement['rewrite_estimate']}")
    locks = [(s, lock) for s in statements for lock in s["locks"] if lock["relation"].startswith(f"{SCHEMA}.")]
    exclusive = [lock["relation"] for _s, lock in locks if lock["mode"] == ACCESS_EXCLUSIVE]
    if exclusive:
        reading = [s["excerpt"] for s in statements if READS_ROWS.search(s["sql"])]
        if reading:
            problems.append(f"{name}: ACCESS EXCLUSIVE on {sorted(set(exclusive))} while reading rows: {reading}")
    for statement, lock in locks:
        sql = statement["sql"].upper()
        if READS_ROWS.search(sql) and strength(lock["mode"]) > strength(SHARE_UPDATE_EXCLUSIVE):
            problems.append(f"{name}: {lock['mode']} on {lock['relation']} for {statement['excerpt']}")
        if sql.lstrip().startswith("UPDATE") and (statement["rows"] or 0) > BATCH_SIZE:
            problems.append(f"{name}: one transaction updates {statement['rows']} rows")
    return problems


def test_each_retrofit_step_on_populated_messages_takes_no_long_exclusive_lock_and_rewrites_nothing(
        db_url: str, dbrun_cli: Callable[..., Any]) -> None:
    before = dbrun_cli("up", "--to", BEFORE_RETROFIT, url=db_url)
    assert before.exit_code == 0, before.stdout + before.stderr
    populate(db_url, POPULATED_MESSAGES)
    with psycopg.connect(db_url) as conn:
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.messages").fetchone()[0] == POPULATED_MESSAGES
        relfilenodes = dict(conn.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'",
            (SCHEMA,)).fetchall())
    problems: list[str] = []
    seen_modes: dict[str, set[str]] = {}
    for version in RETROFIT:
        migration = _dry_run(dbrun_cli, db_url, version)
        problems += _problems(migration)
        seen_modes[migration["name"]] = {lock["mode"] for s in migration["statements"] for lock in s["locks"]}
        applied = dbrun_cli("up", "--to", version, url=db_url)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert not problems, "\n".join(problems)
    # The walk saw each kind of step: catalog changes, batches, validations and concurrent builds.
    assert ACCESS_EXCLUSIVE in seen_modes["202611291610_tenancy_add_organization_id"]
    assert seen_modes["202611291620_tenancy_backfill_messages"] <= {"RowExclusiveLock", "AccessShareLock",
                                                                    "RowShareLock"}
    assert SHARE_UPDATE_EXCLUSIVE in seen_modes["202611291622_tenancy_validate_organization_id"]
    assert seen_modes["202611291623_tenancy_composite_indexes"] == {SHARE_UPDATE_EXCLUSIVE}
    with psycopg.connect(db_url) as conn:
        after = dict(conn.execute(
            "SELECT relname, relfilenode FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r'",
            (SCHEMA,)).fetchall())
        missing = conn.execute(f"SELECT count(*) FROM {SCHEMA}.messages WHERE organization_id IS NULL").fetchone()[0]
    assert {t: after[t] for t in relfilenodes} == relfilenodes  # no table was rewritten by the real run either
    assert missing == 0
