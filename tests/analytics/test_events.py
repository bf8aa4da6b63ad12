"""usage.events: idempotent ingest, bulk validation, monthly partitions created ahead with the lock
they need and no more, refusal outside every partition, and retention by whole partitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import errors

from tests.helpers.analytics import KEY_A, KEY_B, MODEL, UNREGISTERED_MODEL, cost_of
from tests.helpers.schema import ORG_A, ORG_B, Conn, acting, expect_error, rolled_back

INSERT = """INSERT INTO usage.events (organization_id, request_id, occurred_at, model_id, api_key_id, status,
                                      tokens_in, tokens_out, latency_ms, cost)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"""


def _event(org: str = ORG_A, request: str = "req-1", at: datetime | None = None, model: str = MODEL,
           key: str | None = KEY_A, status: str = "success", tin: int = 100, tout: int = 20, latency: int = 300,
           cost: object = None) -> tuple[object, ...]:
    at = at or datetime.now(UTC) - timedelta(minutes=5)
    return (org, request, at, model, key, status, tin, tout, latency, cost_of(tin, tout) if cost is None else cost)


def test_retried_request_is_not_counted_twice(seeded: Conn) -> None:
    event = _event(request="retry-me")
    with acting(seeded, "app_rw", ORG_A):
        for _ in range(3):  # the service's ingest statement, retried
            seeded.execute(INSERT + " ON CONFLICT ON CONSTRAINT pk_events DO NOTHING", event)
        # Without ON CONFLICT a retry is refused by the idempotency key, never stored twice.
        exc = expect_error(seeded, INSERT, event)
        assert isinstance(exc, errors.UniqueViolation) and exc.diag.constraint_name.startswith("pk_events_y")
        # Same request id at another time is another request (the key includes occurred_at).
        seeded.execute(INSERT, _event(request="retry-me", at=event[2] - timedelta(seconds=1)))
        assert seeded.execute("SELECT count(*) FROM usage.events WHERE request_id = 'retry-me'").fetchone()[0] == 2
    seeded.execute("SELECT usage.refresh_rollups()")
    hour = seeded.execute("SELECT date_trunc('hour', %s::timestamptz, 'UTC')", (event[2],)).fetchone()[0]
    raw = seeded.execute("""SELECT count(*) FROM usage.events WHERE organization_id = %s
                            AND date_trunc('hour', occurred_at, 'UTC') = %s""", (ORG_A, hour)).fetchone()[0]
    rolled = seeded.execute("SELECT sum(requests) FROM usage.hourly_rollups WHERE organization_id = %s AND hour_start = %s",
                            (ORG_A, hour)).fetchone()[0]
    assert rolled == raw


def test_batches_are_validated_in_bulk(seeded: Conn) -> None:
    with acting(seeded, None):
        exc = expect_error(seeded, INSERT, _event(org="33333333-3333-4333-8333-333333333333", key=None))
        assert isinstance(exc, errors.ForeignKeyViolation) and "unknown organization" in exc.diag.message_primary
        exc = expect_error(seeded, INSERT, _event(org=ORG_A, key=KEY_B))
        assert isinstance(exc, errors.ForeignKeyViolation) and "is not a key of organization" in exc.diag.message_primary
        exc = expect_error(seeded, INSERT, _event(cost=cost_of(100, 20) + 1))
        assert isinstance(exc, errors.CheckViolation) and "does not match the model's prices" in exc.diag.message_primary
        for column, value in (("tokens_in", -1), ("tokens_out", -1), ("latency_ms", -1), ("cost", -1), ("status", "ok")):
            row = list(_event())
            row[{"tokens_in": 6, "tokens_out": 7, "latency_ms": 8, "cost": 9, "status": 5}[column]] = value
            exc = expect_error(seeded, INSERT, tuple(row))
            assert isinstance(exc, errors.CheckViolation), column
        # A model missing from the registry has no known price: its cost is taken as reported.
        seeded.execute(INSERT, _event(request="self-hosted", model=UNREGISTERED_MODEL, cost=12.5))
    # A correction is validated like an insert.
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, "UPDATE usage.events SET cost = cost + 1 WHERE request_id = 'seed-acme-301-0'")
        assert isinstance(exc, errors.CheckViolation)


def _months(conn: Conn) -> list[datetime]:
    return [r[0] for r in conn.execute("SELECT range_start FROM usage.partitions_of('usage.events')").fetchall()]


def test_partitions_exist_for_the_current_month_and_three_ahead(db: Conn) -> None:
    this_month = db.execute("SELECT date_trunc('month', now(), 'UTC')").fetchone()[0]
    expected = [db.execute("SELECT %s::timestamptz + make_interval(months => %s)", (this_month, i)).fetchone()[0]
                for i in range(4)]
    assert set(expected) <= set(_months(db))
    again = db.execute("SELECT bool_or(created) FROM usage.create_event_partitions()").fetchone()[0]
    assert again is False  # idempotent
    assert db.execute("SELECT count(*) FROM pg_partitioned_table WHERE partdefid <> 0").fetchone()[0] == 0


def test_creating_partitions_takes_share_update_exclusive_not_access_exclusive(db: Conn) -> None:
    db.commit()  # start from a transaction holding no lock on usage.events
    rows = db.execute("SELECT partition_name, created FROM usage.create_event_partitions(6)").fetchall()
    assert [r for r in rows if r[1]], "expected new partitions 4 to 6 months ahead"
    modes = {r[0] for r in db.execute(
        """SELECT mode FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
           AND relation = 'usage.events'::regclass""").fetchall()}
    assert "ShareUpdateExclusiveLock" in modes
    assert "AccessExclusiveLock" not in modes
    # The new partitions are policed like the others and classified like the parent.
    check = (REPO_CHECK).read_text()
    assert db.execute(check).fetchall() == []
    for name, created in rows:
        if created:
            count = db.execute("""SELECT count(*) FROM governance.column_classifications
                                  WHERE schema_name = 'usage' AND table_name = split_part(%s, '.', 2)""",
                               (name,)).fetchone()[0]
            assert count == 11


def test_an_event_outside_every_partition_is_refused(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, INSERT, _event(at=datetime(2100, 1, 1, tzinfo=UTC)))
    assert isinstance(exc, errors.CheckViolation)
    # PostgreSQL's own refusal; it leaves the key out of the detail because the table has RLS.
    assert exc.diag.message_primary == 'no partition of relation "events" found for row'
    assert db_has_no_default(seeded)


def db_has_no_default(conn: Conn) -> bool:
    return conn.execute("SELECT partdefid = 0 FROM pg_partitioned_table WHERE partrelid = 'usage.events'::regclass"
                        ).fetchone()[0]


def test_app_roles_cannot_query_a_partition_directly(seeded: Conn) -> None:
    partitions = [r[0] for r in seeded.execute("SELECT partition_name::text FROM usage.partitions_of('usage.events')")]
    assert len(partitions) >= 5
    for name in partitions:
        for role in ("app_rw", "app_ro"):
            for statement in (f"SELECT count(*) FROM {name}", f"DELETE FROM {name}",
                              f"UPDATE {name} SET status = status",
                              f"INSERT INTO {name} SELECT * FROM {name} LIMIT 0"):
                with acting(seeded, role, ORG_A):
                    exc = expect_error(seeded, statement)
                assert isinstance(exc, errors.InsufficientPrivilege), (role, statement)
        # Even a grant added by mistake exposes nothing: the parent's policies are on every partition.
        with rolled_back(seeded):
            seeded.execute(f"GRANT SELECT ON {name} TO app_ro")
            with acting(seeded, "app_ro", None):
                assert seeded.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 0
            with acting(seeded, "app_ro", ORG_B):
                assert seeded.execute(f"SELECT count(*) FROM {name} WHERE organization_id <> %s",
                                      (ORG_B,)).fetchone()[0] == 0
        # FORCEd on the partition too: the owner sees nothing without a tenant.
        with acting(seeded, "app_owner", None):
            assert seeded.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == 0


from pathlib import Path  # noqa: E402

REPO_CHECK = Path(__file__).resolve().parents[2] / "sql" / "checks" / "post" / "partitions_policed.sql"


def test_post_check_finds_unpoliced_partitions(db: Conn) -> None:
    check = REPO_CHECK.read_text()
    assert db.execute(check).fetchall() == []
    some = db.execute("SELECT partition_name::text FROM usage.partitions_of('usage.events') LIMIT 1").fetchone()[0]
    cases = {
        "holds SELECT": f"GRANT SELECT ON {some} TO app_rw",
        "holds UPDATE": f"GRANT UPDATE (status) ON {some} TO app_ro",
        "row level security not forced": f"ALTER TABLE {some} NO FORCE ROW LEVEL SECURITY",
        "missing or different policy events_select_tenant": f"DROP POLICY events_select_tenant ON {some}",
        "default partition": "CREATE TABLE usage.events_default PARTITION OF usage.events DEFAULT",
        "row level security not enabled":
            "CREATE TABLE usage.bad (LIKE usage.events INCLUDING CONSTRAINTS); ALTER TABLE usage.events "
            "ATTACH PARTITION usage.bad FOR VALUES FROM ('2100-01-01') TO ('2100-02-01')",
    }
    for problem, setup in cases.items():
        with rolled_back(db):
            db.execute(setup)
            found = [r[1] for r in db.execute(check).fetchall()]
        assert any(problem in f for f in found), (problem, found)


def test_retention_drops_only_expired_partitions(seeded: Conn) -> None:
    # Old months (2024-01 .. 2024-04) with events, a rollup of them, and a dirty marker in January.
    seeded.execute("SELECT count(*) FROM usage.create_event_partitions(3, '2024-01-10')")
    for month in (1, 2, 3, 4):
        seeded.execute(INSERT, _event(request=f"old-{month}", at=datetime(2024, month, 15, 12, tzinfo=UTC)))
    seeded.execute("SELECT usage.refresh_rollups()")
    seeded.execute(INSERT, _event(request="old-late", at=datetime(2024, 1, 20, 12, tzinfo=UTC)))
    before = {r[0] for r in seeded.execute("SELECT partition_name::text FROM usage.partitions_of('usage.events')")}
    # Retention is 13 months: on 2025-04-15 the cut-off is 2024-03-15; January and February have ended by then.
    removed = seeded.execute(
        """SELECT partition_name, range_start, range_end, estimated_rows, total_bytes
           FROM usage.drop_expired_event_partitions('2025-04-15 00:00+00')""").fetchall()
    assert [r[0] for r in removed] == ["usage.events_y2024m01", "usage.events_y2024m02"]
    assert all(r[4] > 0 for r in removed)
    after = {r[0] for r in seeded.execute("SELECT partition_name::text FROM usage.partitions_of('usage.events')")}
    assert before - after == {"usage.events_y2024m01", "usage.events_y2024m02"}
    assert seeded.execute("SELECT to_regclass('usage.events_y2024m01')").fetchone()[0] is None
    assert seeded.execute("SELECT count(*) FROM usage.events WHERE request_id LIKE 'old-%'").fetchone()[0] == 2
    # Rollups stay; the dirty marker of the dropped month is gone, so no refresh wipes its rollup.
    assert seeded.execute("SELECT count(*) FROM usage.rollup_marks WHERE hour_start < '2024-03-01'").fetchone()[0] == 0
    seeded.execute("SELECT usage.refresh_rollups()")
    assert seeded.execute("SELECT sum(requests) FROM usage.daily_rollups WHERE day < '2024-05-01'").fetchone()[0] == 4
    # Classification rows of the dropped partitions went with them; the post-checks stay clean.
    assert seeded.execute("""SELECT count(*) FROM governance.column_classifications
                             WHERE table_name IN ('events_y2024m01', 'events_y2024m02')""").fetchone()[0] == 0
    for name in ("columns_classified", "tables_and_columns_commented", "partitions_policed"):
        check = (REPO_CHECK.parent / f"{name}.sql").read_text()
        assert seeded.execute(check).fetchall() == [], name
    # Nothing else is expired: a second run removes nothing.
    again = seeded.execute("SELECT count(*) FROM usage.drop_expired_event_partitions('2025-04-15 00:00+00')")
    assert again.fetchone()[0] == 0


def test_maintenance_functions_are_not_for_app_roles(db: Conn) -> None:
    for call in ("SELECT usage.create_event_partitions()", "SELECT usage.drop_expired_event_partitions()",
                 "SELECT usage.police_partitions('usage.events')"):
        for role in ("app_rw", "app_ro"):
            with acting(db, role, ORG_A):
                exc = expect_error(db, call)
            assert isinstance(exc, psycopg.errors.InsufficientPrivilege), (role, call)
