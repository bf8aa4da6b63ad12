"""The gateway's ingest path (issue 19): a login granted app_ingest inserts batches of events of any
organization, every batch validated, a retried batch stored once, and it reads nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg import errors

from tests.helpers.analytics import (
    INGEST,
    KEY_A,
    KEY_B,
    MODEL,
    cost_of,
    monthly_mismatches,
    raw_totals,
    rollup_totals,
)
from tests.helpers.schema import ORG_A, ORG_B, Conn, expect_error, service_session


def _batch(rows: list[tuple[str, str | None, str]], cost: Any = None) -> list[list[Any]]:
    """Column arrays for rows of (organization, API key, request id), all a few minutes old."""
    at = datetime.now(UTC) - timedelta(minutes=3)
    events = [(org, request, at, MODEL, key, "success", 100, 20, 250, cost_of(100, 20) if cost is None else cost)
              for org, key, request in rows]
    return [list(column) for column in zip(*events, strict=True)]


TWO_TENANTS = [(ORG_A, KEY_A, "gw-1"), (ORG_B, KEY_B, "gw-2"), (ORG_A, None, "gw-3")]


def test_ingest_role_writes_a_batch_of_several_organizations(seeded: Conn, product_url: str) -> None:
    seeded.commit()
    with service_session(product_url, "app_ingest") as gateway:
        assert gateway.execute(INGEST, _batch(TWO_TENANTS)).rowcount == 3
        gateway.commit()
    assert seeded.execute("SELECT organization_id::text, request_id FROM usage.events WHERE request_id LIKE 'gw-%' "
                          "ORDER BY 2").fetchall() == [(ORG_A, "gw-1"), (ORG_B, "gw-2"), (ORG_A, "gw-3")]


def test_a_retried_ingest_batch_is_stored_and_rolled_up_once(seeded: Conn, product_url: str) -> None:
    seeded.commit()
    batch = _batch(TWO_TENANTS)
    with service_session(product_url, "app_ingest") as gateway:
        assert gateway.execute(INGEST, batch).rowcount == 3
        gateway.commit()
        for _ in range(2):  # the gateway did not see the commit and sends the batch again
            assert gateway.execute(INGEST, batch).rowcount == 0
            gateway.commit()
    seeded.execute("SELECT usage.refresh_rollups()")
    assert seeded.execute("SELECT count(*) FROM usage.events WHERE request_id LIKE 'gw-%'").fetchone()[0] == 3
    assert rollup_totals(seeded) == raw_totals(seeded)
    assert monthly_mismatches(seeded) == []


def test_ingest_role_reads_no_tenant_data(seeded: Conn, product_url: str) -> None:
    seeded.commit()
    with service_session(product_url, "app_ingest", org=ORG_A) as gateway:
        for statement in ("SELECT count(*) FROM usage.events", "SELECT count(*) FROM usage.daily_rollups",
                          "SELECT count(*) FROM core.organizations", "SELECT count(*) FROM core.api_keys",
                          "UPDATE usage.events SET cost = 0", "DELETE FROM usage.events",
                          "SELECT * FROM usage.top_organizations_by_cost(current_date - 30, current_date)"):
            exc = expect_error(gateway, statement)
            assert isinstance(exc, errors.InsufficientPrivilege), statement


def test_ingest_role_cannot_copy_around_row_level_security(seeded: Conn, product_url: str) -> None:
    seeded.commit()
    with service_session(product_url, "app_ingest") as gateway:
        exc = expect_error(gateway, "COPY usage.events (organization_id, request_id, occurred_at, model_id) FROM STDIN")
        assert isinstance(exc, errors.FeatureNotSupported)


def test_ingest_role_cannot_name_the_conflict_arbiter(seeded: Conn, product_url: str) -> None:
    """Naming pk_events needs SELECT on its columns: the key columns are not readable either."""
    seeded.commit()
    with service_session(product_url, "app_ingest") as gateway:
        exc = expect_error(gateway, INGEST.replace("DO NOTHING", "ON CONSTRAINT pk_events DO NOTHING"),
                           _batch(TWO_TENANTS))
        assert isinstance(exc, errors.InsufficientPrivilege)


def test_ingest_batches_are_validated_across_organizations(seeded: Conn, product_url: str) -> None:
    seeded.commit()
    unknown = "33333333-3333-4333-8333-333333333333"
    with service_session(product_url, "app_ingest") as gateway:
        exc = expect_error(gateway, INGEST, _batch([(ORG_A, KEY_A, "ok-1"), (unknown, None, "bad-org")]))
        assert isinstance(exc, errors.ForeignKeyViolation) and unknown in exc.diag.message_primary
        exc = expect_error(gateway, INGEST, _batch([(ORG_B, KEY_B, "ok-2"), (ORG_A, KEY_B, "foreign-key")]))
        assert isinstance(exc, errors.ForeignKeyViolation) and KEY_B in exc.diag.message_primary
        exc = expect_error(gateway, INGEST, _batch([(ORG_B, KEY_B, "bad-cost")], cost=cost_of(100, 20) + 1))
        assert isinstance(exc, errors.CheckViolation)
        # The opt-out the validation uses is its own: the caller's setting is untouched after it.
        gateway.execute(INGEST, _batch([(ORG_B, KEY_B, "after")]))
        assert gateway.execute("SELECT current_setting('app.all_tenants', true)").fetchone()[0] in (None, "")


def test_a_tenant_service_cannot_write_a_batch_of_other_organizations(seeded: Conn, product_url: str) -> None:
    """app_rw keeps its tenant policy: a batch naming another organization is refused (42501)."""
    seeded.commit()
    with service_session(product_url, "app_rw", org=ORG_A) as service:
        exc = expect_error(service, INGEST, _batch(TWO_TENANTS))
        assert isinstance(exc, errors.InsufficientPrivilege)
    with psycopg.connect(product_url) as owner:
        assert owner.execute("SELECT count(*) FROM usage.events WHERE request_id LIKE 'gw-%'").fetchone()[0] == 0
