"""Who seals the audit hash chain (202611301400): the platform scheduler, logged in as a role granted
app_migrator (never a superuser); the app roles cannot. Sealers wait for one another."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from psycopg import errors

from tests.helpers.schema import SERVICE_LOGINS, Conn, ensure_service_logins, expect_error, service_session, url_as

INSUFFICIENT_PRIVILEGE = errors.InsufficientPrivilege.sqlstate
SEALER = "app_migrator"


@pytest.fixture
def committed(seeded: Conn, product_url: str) -> str:
    """The seeded product database with the seeds committed (events waiting for a seal); its URL."""
    seeded.commit()
    return product_url


def test_a_login_granted_app_migrator_seals_the_audit_events(committed: str) -> None:
    with service_session(committed, SEALER) as conn:
        sealed = conn.execute("SELECT audit.seal_events()").fetchone()
        broken = conn.execute("SELECT * FROM audit.verify_chain()").fetchall()
    assert sealed is not None and sealed[0] > 0
    assert broken == []


@pytest.mark.parametrize("group", ["app_rw", "app_ro"])
def test_app_roles_cannot_seal_the_audit_events(committed: str, group: str) -> None:
    with service_session(committed, group) as conn:
        exc = expect_error(conn, "SELECT audit.seal_events()")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_a_second_sealer_waits_and_links_each_event_once(committed: str) -> None:
    ensure_service_logins(committed)
    with psycopg.connect(url_as(committed, SERVICE_LOGINS[SEALER])) as first, ThreadPoolExecutor(1) as pool:
        linked_first = first.execute("SELECT audit.seal_events()").fetchone()
        second = pool.submit(seal_in_own_session, committed)
        while not first.execute("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone():
            if second.done():
                break
            time.sleep(0.05)
        first.commit()
        linked_second = second.result()
    assert linked_first is not None and linked_first[0] > 0
    assert linked_second == 0  # it waited for the first seal's commit, then found nothing left to link


def seal_in_own_session(url: str) -> int:
    with psycopg.connect(url_as(url, SERVICE_LOGINS[SEALER]), autocommit=True) as conn:
        row = conn.execute("SELECT audit.seal_events()").fetchone()
    assert row is not None
    return int(row[0])
