"""Usage events and rollups on the cluster (citus/after/30_usage_rollups.sql): the gateway's ingest as
app_ingest, the validation the shards' row trigger does (same SQLSTATEs as plain PostgreSQL), the dirty
marks it keeps next to the events, and the Citus form of usage.refresh_rollups(), whose rollups must
equal the sums over the raw events row for row."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg import errors

from tests.helpers.analytics import (
    INGEST,
    KEY_A,
    KEY_B,
    MODEL,
    cost_of,
    daily_mismatches,
    hourly_mismatches,
    monthly_mismatches,
    trailing_year_mismatches,
)
from tests.helpers.citus import tenant_session, violated_constraint
from tests.helpers.runner import query
from tests.helpers.schema import ORG_A, ORG_B, service_session

# An hour of the seeded partitions (seeds/35_usage_partitions.sql) inside the trailing year, with no seeded event.
HOUR = datetime(2026, 11, 25, 3, tzinfo=UTC)
PREFIX = "citus-usage-test-"


def _batch(org: str, key: str, count: int, tag: str) -> list[list[object]]:
    """A batch as INGEST's column arrays: `count` events of `org` in HOUR."""
    rows = [(org, f"{PREFIX}{tag}-{i}", HOUR + timedelta(minutes=i), MODEL, key, "success" if i % 3 else "timeout",
             100 + i, 10 * i, 50 + i, cost_of(100 + i, 10 * i)) for i in range(count)]
    return [list(column) for column in zip(*rows, strict=True)]


def _refresh(url: str) -> tuple[int, int, int]:
    rows = query(url, "SELECT buckets, hourly_rows, daily_rows FROM usage.refresh_rollups()")
    return rows[0]


def _mismatches(url: str) -> dict[str, list[object]]:
    with psycopg.connect(url, autocommit=True) as conn:
        found = {"hourly": hourly_mismatches(conn), "daily": daily_mismatches(conn),
                 "monthly": monthly_mismatches(conn), "trailing year": trailing_year_mismatches(conn)}
    return {name: rows for name, rows in found.items() if rows}


@pytest.fixture
def refreshed(citus_url: str) -> Iterator[str]:
    """The seeded cluster with every mark refreshed; the test's events (PREFIX) removed and refreshed after it."""
    _refresh(citus_url)
    yield citus_url
    with psycopg.connect(citus_url, autocommit=True) as conn:
        conn.execute("DELETE FROM usage.events WHERE request_id LIKE %s", (PREFIX + "%",))
    _refresh(citus_url)


def test_the_seeded_rollups_equal_the_raw_events(refreshed: str) -> None:
    assert query(refreshed, "SELECT count(*) FROM usage.events") > [(1000,)]
    assert _mismatches(refreshed) == {}


def test_a_refresh_leaves_no_mark(refreshed: str) -> None:
    assert query(refreshed, "SELECT count(*) FROM usage.rollup_bucket_marks") == [(0,)]
    assert query(refreshed, "SELECT count(*) FROM usage.rollup_marks") == [(0,)]


def test_the_tenant_reads_hourly_rollups_equal_to_its_own_events(refreshed: str) -> None:
    with tenant_session(refreshed, "app_ro", ORG_B) as conn:
        raw = conn.execute("""SELECT date_trunc('hour', occurred_at, 'UTC'), model_id, count(*), sum(cost)
                              FROM usage.events WHERE organization_id = %s GROUP BY 1, 2 ORDER BY 1, 2""",
                           (ORG_B,)).fetchall()
        rollups = conn.execute("""SELECT hour_start, model_id, requests, cost FROM usage.hourly_rollups
                                  WHERE organization_id = %s ORDER BY 1, 2""", (ORG_B,)).fetchall()
        others = conn.execute("SELECT count(*) FROM usage.hourly_rollups WHERE organization_id <> %s", (ORG_B,)).fetchone()
    assert len(raw) > 100 and rollups == raw
    assert others == (0,)


def test_ingest_as_app_ingest_is_rolled_up_after_a_refresh(refreshed: str) -> None:
    with service_session(refreshed, "app_ingest") as conn:
        conn.execute(INGEST, _batch(ORG_A, KEY_A, 7, "a"))
        conn.execute(INGEST, _batch(ORG_B, KEY_B, 4, "b"))
        conn.commit()
    assert query(refreshed, """SELECT organization_id::text, count(*) FROM usage.rollup_bucket_marks
                               WHERE hour_start = %s GROUP BY 1 ORDER BY 1""", HOUR) == [(ORG_A, 1), (ORG_B, 1)]
    assert _refresh(refreshed)[0] == 2
    assert query(refreshed, """SELECT organization_id::text, sum(requests) FROM usage.hourly_rollups
                               WHERE hour_start = %s GROUP BY 1 ORDER BY 1""", HOUR) == [(ORG_A, 7), (ORG_B, 4)]
    assert _mismatches(refreshed) == {}


def test_a_retried_batch_is_counted_once(refreshed: str) -> None:
    batch = _batch(ORG_A, KEY_A, 5, "retry")
    for _attempt in range(2):
        with service_session(refreshed, "app_ingest") as conn:
            conn.execute(INGEST, batch)
            conn.commit()
    _refresh(refreshed)
    assert query(refreshed, "SELECT count(*) FROM usage.events WHERE request_id LIKE %s", PREFIX + "retry-%") == [(5,)]
    assert query(refreshed, "SELECT requests FROM usage.hourly_rollups WHERE organization_id = %s AND hour_start = %s",
                 ORG_A, HOUR) == [(5,)]


def _ingest_error(url: str, batch: list[list[object]]) -> psycopg.Error:
    with service_session(url, "app_ingest") as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(INGEST, batch)
    return caught.value


def test_an_event_of_an_unknown_organization_is_refused(refreshed: str) -> None:
    error = _ingest_error(refreshed, _batch("99999999-9999-4999-8999-999999999999", KEY_A, 1, "unknown"))
    assert isinstance(error, errors.ForeignKeyViolation)
    assert (error.diag.message_primary or "").startswith("usage.events: unknown organization 99999999-")
    assert violated_constraint(error) is None


def test_an_api_key_of_another_organization_is_refused(refreshed: str) -> None:
    error = _ingest_error(refreshed, _batch(ORG_A, KEY_B, 2, "foreign-key"))
    assert isinstance(error, errors.ForeignKeyViolation)
    assert (error.diag.message_primary or "").startswith(f"usage.events: API key {KEY_B} is not a key of organization")


def test_a_cost_that_differs_from_the_model_prices_is_refused(refreshed: str) -> None:
    batch = _batch(ORG_A, KEY_A, 3, "cost")
    batch[9][2] = cost_of(1, 1) + 1  # the third event's cost
    error = _ingest_error(refreshed, batch)
    assert isinstance(error, errors.CheckViolation)
    assert (error.diag.message_primary or "").startswith("usage.events: cost ")


def test_a_correction_with_a_wrong_cost_is_refused(refreshed: str) -> None:
    with tenant_session(refreshed, "app_rw", ORG_A) as conn, pytest.raises(errors.CheckViolation):
        conn.execute("""UPDATE usage.events SET cost = cost + 1
                        WHERE organization_id = %s AND request_id = 'seed-acme-200-1'""", (ORG_A,))


def test_a_correction_by_app_rw_is_rolled_up(refreshed: str) -> None:
    with tenant_session(refreshed, "app_rw", ORG_A) as conn:
        assert conn.execute("""UPDATE usage.events SET latency_ms = latency_ms + 1
                               WHERE organization_id = %s AND request_id = 'seed-acme-300-0'""", (ORG_A,)).rowcount == 1
        conn.commit()
    assert _refresh(refreshed)[0] == 1
    assert _mismatches(refreshed) == {}
    with tenant_session(refreshed, "app_rw", ORG_A) as conn:
        conn.execute("""UPDATE usage.events SET latency_ms = latency_ms - 1
                        WHERE organization_id = %s AND request_id = 'seed-acme-300-0'""", (ORG_A,))
        conn.commit()


def test_a_bounded_refresh_claims_at_most_its_bound(refreshed: str) -> None:
    query(refreshed, "SELECT usage.mark_rollups_dirty(%s, %s)", HOUR - timedelta(days=5), HOUR)
    claimed = _refresh_bounded(refreshed, 3)
    assert claimed == 3
    assert query(refreshed, "SELECT count(*) > 0 FROM usage.rollup_bucket_marks WHERE NOT claimed") == [(True,)]
    assert _refresh(refreshed)[0] > 0
    assert _mismatches(refreshed) == {}


def _refresh_bounded(url: str, bound: int) -> int:
    return int(query(url, "SELECT buckets FROM usage.refresh_rollups(%s)", bound)[0][0])


def test_maintenance_marks_are_recomputed(refreshed: str) -> None:
    marked = query(refreshed, "SELECT usage.mark_rollups_dirty(%s, %s)", datetime(2026, 11, 1, tzinfo=UTC),
                   datetime(2026, 11, 2, tzinfo=UTC))[0][0]
    assert marked > 0
    assert _refresh(refreshed)[0] == marked
    assert _mismatches(refreshed) == {}


def test_the_app_roles_cannot_read_the_marks(refreshed: str) -> None:
    with tenant_session(refreshed, "app_rw", ORG_A) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("SELECT count(*) FROM usage.rollup_bucket_marks")


def test_only_the_row_trigger_fires_on_the_events(citus_url: str) -> None:
    enabled = query(citus_url, """SELECT tgname FROM pg_trigger WHERE tgrelid = 'usage.events'::regclass
                                  AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY 1""")
    assert enabled == [("trg_events_check_and_mark",)]


def test_a_bucket_queued_in_the_reference_table_is_recomputed(refreshed: str) -> None:
    with psycopg.connect(refreshed, autocommit=True) as conn:
        conn.execute("INSERT INTO usage.rollup_marks (hour_start, organization_ids) VALUES (%s, ARRAY[%s, %s]::uuid[])",
                     (datetime(2026, 11, 3, 5, tzinfo=UTC), ORG_A, ORG_B))
    assert _refresh(refreshed)[0] == 2
    assert _marks_on_every_copy(refreshed, datetime(2026, 11, 3, 5, tzinfo=UTC)) == [0, 0, 0]
    assert _mismatches(refreshed) == {}


def test_a_second_refresher_returns_at_once_without_claiming(refreshed: str) -> None:
    query(refreshed, "SELECT usage.mark_rollups_dirty(%s, %s)", datetime(2026, 11, 10, tzinfo=UTC),
          datetime(2026, 11, 11, tzinfo=UTC))
    with psycopg.connect(refreshed) as first:
        assert first.execute("SELECT buckets FROM usage.refresh_rollups(1)").fetchone() == (1,)
        assert _refresh(refreshed) == (0, 0, 0)  # the first one holds the refresh until it commits
        first.commit()
    assert _refresh(refreshed)[0] > 0
    assert _mismatches(refreshed) == {}


def test_random_writes_corrections_deletes_and_bounded_refreshes_reconcile(refreshed: str) -> None:
    rng = random.Random(20)
    written: list[str] = []
    for step in range(5):
        hours = [HOUR + timedelta(hours=rng.randrange(-48, 48)) for _ in range(3)] + [datetime(2026, 10, 27, 4, tzinfo=UTC)]
        rows = []
        for i in range(rng.randrange(5, 25)):
            org, key = (ORG_A, KEY_A) if rng.random() < 0.6 else (ORG_B, KEY_B)
            tokens_in, tokens_out = rng.randrange(1, 900), rng.randrange(0, 300)
            rows.append((org, f"{PREFIX}random-{step}-{i}", rng.choice(hours) + timedelta(seconds=rng.randrange(3600)),
                         MODEL, key, rng.choice(["success", "timeout"]), tokens_in, tokens_out, rng.randrange(1, 500),
                         cost_of(tokens_in, tokens_out)))
        with service_session(refreshed, "app_ingest") as conn:
            conn.execute(INGEST, [list(column) for column in zip(*rows, strict=True)])
            conn.commit()
        written += [row[1] for row in rows if row[0] == ORG_A]
        with tenant_session(refreshed, "app_rw", ORG_A) as conn:
            conn.execute("UPDATE usage.events SET status = 'server_error', latency_ms = latency_ms + 7 "
                         "WHERE organization_id = %s AND request_id = ANY(%s)", (ORG_A, rng.sample(written, 3)))
            conn.commit()
        with psycopg.connect(refreshed, autocommit=True) as conn:
            conn.execute("DELETE FROM usage.events WHERE request_id = ANY(%s)", (rng.sample(written, 2),))
        query(refreshed, "SELECT buckets FROM usage.refresh_rollups(%s)", rng.choice([None, 1, 3]))
    while _refresh(refreshed)[0]:
        pass
    assert _mismatches(refreshed) == {}


def _marks_on_every_copy(url: str, hour: datetime) -> list[int]:
    """The marks of `hour` in each copy (placement) of usage.rollup_marks, a reference table."""
    command = f"SELECT count(*) FROM %s WHERE hour_start = '{hour.isoformat()}'"  # %s: the placement's shard
    rows = query(url, "SELECT result FROM run_command_on_placements('usage.rollup_marks', %s) ORDER BY nodeport",
                 command)
    return [int(result) for (result,) in rows]


def test_retention_removes_the_marks_of_dropped_hours_from_every_copy(refreshed: str) -> None:
    old_hour = datetime(2020, 1, 3, 5, tzinfo=UTC)
    query(refreshed, "SELECT count(*) FROM usage.create_event_partitions(0, %s)", old_hour)
    with psycopg.connect(refreshed, autocommit=True) as conn:
        conn.execute("INSERT INTO usage.rollup_marks (hour_start, organization_ids) VALUES (%s, ARRAY[%s]::uuid[])",
                     (old_hour, ORG_A))
    assert _marks_on_every_copy(refreshed, old_hour) == [1, 1, 1]
    dropped = query(refreshed, "SELECT partition_name FROM usage.drop_expired_event_partitions()")
    assert dropped == [("usage.events_y2020m01",)]
    assert _marks_on_every_copy(refreshed, old_hour) == [0, 0, 0]
