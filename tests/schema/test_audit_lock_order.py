"""Re-applying policies/audit.events.sql while autovacuum analyzes audit.events (every `dbrun up` fills it
with DDL and MIGRATION events, so autovacuum analyzes it during the up) must wait for the ANALYZE, not
deadlock with it. The deadlock seen under load: the file's REVOKE rewrote audit.events' pg_class row,
the ANALYZE (holding SHARE UPDATE EXCLUSIVE) then waited for the runner's transaction to record its
statistics in that row, and the runner's DROP POLICY waited for the ANALYZE. This session plays
autovacuum: it holds the ANALYZE's lock, lets the runner queue behind it, then analyzes."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg

from dbrun import api
from dbrun.config import Settings
from tests.helpers.runner import execute

WAITING_FOR_EVENTS = """SELECT 1 FROM pg_locks
                        WHERE NOT granted AND relation = 'audit.events'::regclass AND pid <> pg_backend_pid()"""


def wait_until_queued_on_events(conn: psycopg.Connection[Any], run: Future[Any]) -> None:
    """Until the runner waits for a lock on audit.events (or has finished: its result tells why)."""
    while not run.done() and not conn.execute(WAITING_FOR_EVENTS).fetchone():
        time.sleep(0.05)


def test_reapplying_the_audit_events_policies_during_an_analyze_does_not_deadlock(
        product_url: str, repo_root: Path, settings_for: Callable[..., Settings]) -> None:
    execute(product_url, "DELETE FROM dbrun.repeatables WHERE path = 'policies/audit.events.sql'")
    # No retry: a deadlock must fail the run rather than be retried away; a long lock_timeout for a busy machine.
    settings = settings_for(repo_root, product_url, lock_retries=0, lock_timeout="10min")
    with psycopg.connect(product_url, autocommit=True) as analyzer, ThreadPoolExecutor(1) as pool:
        analyzer.execute("SET deadlock_timeout = '10min'")  # the runner is the one to detect a deadlock
        analyzer.execute("BEGIN")
        analyzer.execute("LOCK TABLE audit.events IN SHARE UPDATE EXCLUSIVE MODE")  # what ANALYZE holds
        run = pool.submit(api.up, settings)
        wait_until_queued_on_events(analyzer, run)
        analyzer.execute("ANALYZE audit.events")
        analyzer.execute("COMMIT")
        outcome = run.result()
    assert outcome.result is not None
    assert [r.name for r in outcome.result.repeatables] == ["policies/audit.events.sql"]
