"""The unification as it runs on a populated database: every phase-1 migration's dry-run (its JSON
report) shows no ACCESS EXCLUSIVE lock held past its own statement and no table rewrite; the phase-2
backfills fill every row and resume after a kill; phase 3 validates and the post-checks pass."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import psycopg

from dbrun import api
from dbrun.config import Settings
from dbrun.locks import ACCESS_EXCLUSIVE
from tests.helpers.agency import BACKFILL_OVERRIDES, LAST_BACKFILL, PHASE0_LAST, PHASE1, VALIDATE, populate_phase0_sql
from tests.helpers.runner import execute, query
from tests.helpers.schema import REPO_ROOT, SEEDS

CORE_SEEDS = [p for p in SEEDS if p.name in ("20_acme.sql", "30_globex.sql")]


def _phase0_database(db_url: str, settings_for: Callable[..., Settings], clients_per_agency: int) -> Settings:
    settings = settings_for(REPO_ROOT, db_url)
    api.up(settings, to=PHASE0_LAST)
    with psycopg.connect(db_url, autocommit=False) as conn:
        for path in CORE_SEEDS:  # the agencies and their users
            conn.execute(path.read_bytes())
        conn.execute(populate_phase0_sql(clients_per_agency).encode())
    return settings


def _held_past_statement(migration: dict[str, Any]) -> list[str]:
    """ACCESS EXCLUSIVE locks on existing relations that outlive their statement: in a transactional
    file every lock lasts until commit, so only the file's last statement may take one; in a
    non-transactional file each statement commits on its own."""
    found = []
    statements = migration["statements"]
    for position, statement in enumerate(statements):
        for lock in statement["locks"]:
            if lock["mode"] == ACCESS_EXCLUSIVE and migration["transactional"] and position < len(statements) - 1:
                found.append(f"{migration['name']} line {statement['line']}: {lock['relation']}")
    return found


def _rewrites(migration: dict[str, Any]) -> list[str]:
    return [f"{migration['name']} line {s['line']}: {s['rewritten'] or s['rewrite_estimate']}"
            for s in migration["statements"]
            if s["rewritten"] or (s["rewrite_estimate"] and any(lock["mode"] == ACCESS_EXCLUSIVE for lock in s["locks"]))]


def test_phase1_dry_runs_hold_access_exclusive_no_longer_than_a_statement_and_rewrite_nothing(
        db_url: str, settings_for: Callable[..., Settings], dbrun_cli: Any) -> None:
    settings = _phase0_database(db_url, settings_for, clients_per_agency=200)
    filenodes = ("SELECT relname, relfilenode FROM pg_class WHERE relnamespace = 'agency'::regnamespace "
                 "AND relkind = 'r' ORDER BY 1")
    before = query(db_url, filenodes)
    problems: list[str] = []
    access_exclusive_seen = []
    for version in [*PHASE1, VALIDATE]:
        result = dbrun_cli("up", "--dry-run", "--to", version, "--format", "json", url=db_url)
        report = json.loads(result.stdout)
        assert report["failure"] is None, report["failure"]
        migration = next(m for m in report["migrations"] if m["version"] == version)
        access_exclusive_seen += [lock["relation"] for s in migration["statements"] for lock in s["locks"]
                                  if lock["mode"] == ACCESS_EXCLUSIVE]
        problems += _held_past_statement(migration) + _rewrites(migration)
        api.up(settings, to=version)
        if version == PHASE1[-1]:
            api.up(settings, to=LAST_BACKFILL)  # the backfills run for real before the validation is reviewed
    assert not problems, "\n".join(problems)
    # Non-transactional files are estimated by the dry-run; applied, they rewrote no existing table either.
    after = dict(query(db_url, filenodes))
    assert [(name, after[name]) for name, _ in before] == before
    # The checker can fail: the extension's ALTER does take ACCESS EXCLUSIVE (in its own transaction).
    assert "agency.client_app_overrides" in access_exclusive_seen


def test_backfills_fill_every_row_and_phase3_validates(db_url: str, settings_for: Callable[..., Settings],
                                                        dbrun_cli: Any) -> None:
    settings = _phase0_database(db_url, settings_for, clients_per_agency=100)
    api.up(settings)
    counts = query(db_url, """
        SELECT (SELECT count(*) FROM agency.client_app_overrides WHERE activation_status IS NULL),
               (SELECT count(*) FROM agency.client_app_overrides
                  WHERE app_key = 'seo-toolkit' AND activation_status = 'active' AND installation_id IS NOT NULL),
               (SELECT count(*) FROM agency.client_app_overrides
                  WHERE app_key = 'shop-cart' AND activation_status = 'disabled'),
               (SELECT count(*) FROM agency.client_app_overrides WHERE app_key = 'legacy-widget'
                  AND activation_status = 'pending' AND marketplace_module_id IS NULL),
               (SELECT count(*) FROM agency.clients c WHERE NOT EXISTS (SELECT FROM agency.orchestration_workflows w
                  WHERE (w.organization_id, w.client_id) = (c.organization_id, c.client_id))),
               (SELECT count(*) FROM agency.handover_packages WHERE delivery_status = 'delivered'),
               (SELECT count(*) FROM agency.handover_package_installations),
               (SELECT count(*) FROM agency.integration_events),
               (SELECT count(*) FROM pg_constraint
                  WHERE NOT convalidated AND conrelid = 'agency.client_app_overrides'::regclass)""")
    # 200 clients, 40 active (completed deployments) with 2 live installations each; 400 installation events.
    assert counts == [(0, 200, 200, 200, 0, 40, 80, 40 + 400, 0)]
    verify = dbrun_cli("verify", url=db_url)
    assert verify.exit_code == 0, verify.stdout + verify.stderr


def test_backfill_down_removes_exactly_what_it_wrote(db_url: str, settings_for: Callable[..., Settings]) -> None:
    settings = _phase0_database(db_url, settings_for, clients_per_agency=20)
    api.up(settings, to=BACKFILL_OVERRIDES)
    execute(db_url, "UPDATE agency.client_app_overrides SET activation_status = 'failed', activation_metadata = '{}' "
                    "WHERE app_key = 'legacy-widget'")  # a service changed these rows since
    api.down(settings, steps=1)
    assert query(db_url, """SELECT activation_status, count(*) FROM agency.client_app_overrides
                            GROUP BY 1 ORDER BY 1 NULLS LAST""") == [("failed", 40), (None, 80)]


def test_a_killed_backfill_resumes_where_it_stopped(db_url: str, settings_for: Callable[..., Settings]) -> None:
    settings = _phase0_database(db_url, settings_for, clients_per_agency=2500)  # 15000 overrides: 8 batches
    api.up(settings, to=PHASE1[-1])
    command = [sys.executable, "-m", "dbrun", "--root", str(REPO_ROOT), "--database-url", db_url,
               "--log-format", "json", "up", "--to", BACKFILL_OVERRIDES]
    runner = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                              env={**os.environ, "COLUMNS": "200"})
    assert runner.stderr is not None
    for line in runner.stderr:  # wait for the second committed batch, then kill without warning
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "batch" and event["batches"] >= 2:
            runner.send_signal(signal.SIGKILL)
            break
    runner.wait()
    assert runner.returncode == -signal.SIGKILL
    (batches, rows), = query(db_url, "SELECT batches, rows_affected FROM dbrun.batches")
    assert batches >= 2 and rows == 2000 * batches < 15000
    filled = "SELECT count(*) FROM agency.client_app_overrides WHERE activation_status IS NOT NULL"
    assert query(db_url, filled) == [(rows,)]
    assert query(db_url, f"SELECT status FROM dbrun.migrations WHERE version = '{BACKFILL_OVERRIDES}'") == [("partial",)]

    outcome = api.up(settings, to=BACKFILL_OVERRIDES)
    assert outcome.result.migrations[0].rows == 15000 - rows
    assert query(db_url, "SELECT count(*) FILTER (WHERE activation_status IS NULL), count(*) "
                         "FROM agency.client_app_overrides") == [(0, 15000)]
    assert query(db_url, "SELECT count(*) FROM dbrun.batches") == [(0,)]
