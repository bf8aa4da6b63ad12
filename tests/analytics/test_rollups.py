"""Rollups: late and corrected events reconcile with no duplicates (a seeded random property test
over event batches and refresh orders), the refresh is idempotent, and concurrent refreshers and
writers give the same totals as the raw events."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from tests.helpers.analytics import (
    INGEST,
    KEY_A,
    KEY_B,
    MODEL,
    UNREGISTERED_MODEL,
    cost_of,
    daily_mismatches,
    hourly_mismatches,
    monthly_mismatches,
    raw_top_organizations,
    raw_totals,
    rollup_totals,
    trailing_year,
    trailing_year_mismatches,
)
from tests.helpers.schema import ORG_A, ORG_B, Conn, acting, expect_error, rolled_back

SEEDS = [1, 2, 3, 5, 8, 13, 21, 34]  # fixed: a failure is reproducible by its seed
BASE = datetime(2026, 11, 20, tzinfo=UTC)
STATUSES = ["success", "success", "success", "client_error", "server_error", "timeout", "rate_limited"]
COPY = ("COPY usage.events (organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, "
        "tokens_out, latency_ms, cost) FROM STDIN")
INSERT = ("INSERT INTO usage.events (organization_id, request_id, occurred_at, model_id, api_key_id, status, tokens_in, "
          "tokens_out, latency_ms, cost) SELECT * FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::uuid[], "
          "%s::uuid[], %s::text[], %s::int[], %s::int[], %s::int[], %s::numeric[]) "
          "ON CONFLICT ON CONSTRAINT pk_events DO NOTHING")


def _random_events(rng: random.Random, count: int, ids: list[tuple[str, str, datetime]]) -> list[tuple[Any, ...]]:
    rows = []
    for _ in range(count):
        if ids and rng.random() < 0.15:  # a retry of an earlier request: same key, must not count twice
            org, request, at = rng.choice(ids)
        else:
            org = rng.choice([ORG_A, ORG_B])
            request = f"r{rng.randrange(10**9)}"
            # Mostly recent, some late (days back), across hour and UTC-day boundaries.
            at = BASE + timedelta(minutes=rng.randrange(-3 * 24 * 60, 24 * 60), seconds=rng.randrange(60))
            ids.append((org, request, at))
        model = rng.choice([MODEL, MODEL, UNREGISTERED_MODEL])
        tin, tout = rng.randrange(0, 5000), rng.randrange(0, 2000)
        rows.append((org, request, at, model, rng.choice([KEY_A if org == ORG_A else KEY_B, None]),
                     rng.choice(STATUSES), tin, tout, rng.randrange(0, 30000), cost_of(tin, tout)))
    return rows


def _insert(conn: Conn, rng: random.Random, rows: list[tuple[Any, ...]]) -> None:
    if rng.random() < 0.5:
        columns = list(zip(*rows, strict=False))
        conn.execute(INSERT, [list(c) for c in columns])
    else:  # COPY: a retry inside one COPY would be a unique violation, so drop keys already stored
        unique = {}
        for row in rows:
            unique.setdefault((row[0], row[1], row[2]), row)
        stored = set(conn.execute("SELECT organization_id::text, request_id, occurred_at FROM usage.events").fetchall())
        fresh = [r for k, r in unique.items() if k not in stored]
        with conn.cursor().copy(COPY) as copy:
            for row in fresh:
                copy.write_row(row)


def _correct(conn: Conn, rng: random.Random) -> None:
    """A correction: re-reported figures for some events, possibly of an hour already rolled up."""
    conn.execute("""UPDATE usage.events SET status = 'server_error', tokens_out = 0, latency_ms = latency_ms + 1,
                           cost = CASE WHEN model_id = %s THEN round(tokens_in * 0.00015 / 1000, 6) ELSE cost END
                    WHERE request_id IN (SELECT request_id FROM usage.events ORDER BY request_id
                                         LIMIT %s OFFSET %s)""",
                 (MODEL, rng.randrange(1, 6), rng.randrange(0, 20)))


def _delete(conn: Conn, rng: random.Random) -> None:
    """A deletion (only the owner could: e.g. a bad batch removed by hand) must reconcile too."""
    conn.execute("DELETE FROM usage.events WHERE request_id IN (SELECT request_id FROM usage.events "
                 "ORDER BY request_id DESC LIMIT %s)", (rng.randrange(1, 4),))


def test_late_and_corrected_events_reconcile_for_random_batches_and_refresh_orders(seeded: Conn) -> None:
    for seed in SEEDS:
        rng = random.Random(seed)
        with rolled_back(seeded):
            ids: list[tuple[str, str, datetime]] = []
            for _ in range(rng.randrange(6, 12)):
                action = rng.random()
                if action < 0.55:
                    _insert(seeded, rng, _random_events(rng, rng.randrange(1, 60), ids))
                elif action < 0.7:
                    _correct(seeded, rng)
                elif action < 0.75:
                    _delete(seeded, rng)
                else:
                    limit = rng.choice([None, 1, 3, 10, 50])
                    seeded.execute("SELECT usage.refresh_rollups(%s)", (limit,))
                    # Always: every bucket not queued as dirty equals its raw events.
                    assert hourly_mismatches(seeded, clean_only=True) == [], f"seed {seed}"
            while seeded.execute("SELECT buckets FROM usage.refresh_rollups(%s)", (rng.choice([None, 2, 7]),)).fetchone()[0]:
                pass
            assert seeded.execute("SELECT count(*) FROM usage.rollup_marks").fetchone()[0] == 0
            assert hourly_mismatches(seeded) == [], f"seed {seed}"
            assert daily_mismatches(seeded) == [], f"seed {seed}"
            assert monthly_mismatches(seeded) == [], f"seed {seed}"
            daily = rollup_totals(seeded, "usage.daily_rollups")
            assert rollup_totals(seeded) == raw_totals(seeded) == daily, f"seed {seed}"


def _rollups(conn: Conn) -> list[Any]:
    return conn.execute("""SELECT organization_id, hour_start, model_id, requests, errors, tokens_in, tokens_out,
                                  latency_ms_sum, latency_ms_max, cost
                           FROM usage.hourly_rollups ORDER BY 1, 2, 3""").fetchall()


def test_refresh_is_idempotent(seeded: Conn) -> None:
    seeded.execute("SELECT usage.refresh_rollups()")
    first = _rollups(seeded)
    daily = seeded.execute("SELECT * FROM usage.daily_rollups ORDER BY 1, 2, 3").fetchall()
    assert seeded.execute("SELECT buckets, hourly_rows, daily_rows FROM usage.refresh_rollups()").fetchone() == (0, 0, 0)
    # Every bucket marked dirty again and recomputed: the same figures, no duplicates.
    marked = seeded.execute("SELECT usage.mark_rollups_dirty('-infinity', 'infinity')").fetchone()[0]
    buckets = seeded.execute("SELECT buckets FROM usage.refresh_rollups()").fetchone()[0]
    assert buckets == marked
    assert buckets > 500
    assert _rollups(seeded) == first
    assert [r[:10] for r in seeded.execute("SELECT * FROM usage.daily_rollups ORDER BY 1, 2, 3")] == [r[:10] for r in daily]
    assert rollup_totals(seeded) == raw_totals(seeded)


def test_concurrent_refreshers_and_writers_agree_with_raw_events(seeded: Conn, product_url: str) -> None:
    seeded.execute("SELECT usage.mark_rollups_dirty('-infinity', 'infinity')")
    seeded.commit()  # this test's database is a private clone: the other sessions must see the data
    errors: list[BaseException] = []
    claimed: list[int] = []

    def refresher() -> None:
        try:
            with psycopg.connect(product_url, autocommit=True) as conn:
                while True:
                    n = conn.execute("SELECT buckets FROM usage.refresh_rollups(40)").fetchone()[0]
                    claimed.append(n)
                    if n == 0:
                        return
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with psycopg.connect(product_url, autocommit=True) as conn:
                for i in range(30):
                    tin, tout = rng.randrange(1, 900), rng.randrange(1, 300)
                    at = datetime(2026, 10, 26, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 28 * 24 * 60))
                    org, key = rng.choice([(ORG_A, KEY_A), (ORG_B, KEY_B)])
                    with conn.transaction():
                        conn.execute("SELECT set_config('app.org_id', %s, true)", (org,))
                        conn.execute("SET LOCAL ROLE app_rw")
                        conn.execute(
                            """INSERT INTO usage.events (organization_id, request_id, occurred_at, model_id, api_key_id,
                                   status, tokens_in, tokens_out, latency_ms, cost)
                               VALUES (%s, %s, %s, %s, %s, 'success', %s, %s, 10, %s)
                               ON CONFLICT ON CONSTRAINT pk_events DO NOTHING""",
                            (org, f"late-{seed}-{i}", at, MODEL, key, tin, tout, cost_of(tin, tout)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=refresher) for _ in range(3)] + [threading.Thread(target=writer, args=(s,))
                                                                        for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(claimed) >= 600  # the work was shared out, nothing claimed twice is detectable below
    with psycopg.connect(product_url, autocommit=True) as conn:
        conn.execute("SELECT usage.refresh_rollups()")  # what the writers marked after the last claim
        assert conn.execute("SELECT count(*) FROM usage.rollup_marks").fetchone()[0] == 0
        assert hourly_mismatches(conn) == []
        assert daily_mismatches(conn) == []
        assert monthly_mismatches(conn) == []
        assert rollup_totals(conn) == raw_totals(conn) == rollup_totals(conn, "usage.daily_rollups")
        assert conn.execute("SELECT count(*) FROM usage.events WHERE request_id LIKE 'late-%'").fetchone()[0] == 60


def test_a_write_into_a_bucket_being_refreshed_is_not_lost_and_does_not_wait(seeded: Conn, product_url: str) -> None:
    """The race that loses events: a refresher has claimed bucket B and computes it without an event
    written concurrently. The writer's mark is a row of its own transaction, invisible to the claim,
    so B is recomputed by the next refresh; and the writer never waits for the refresher."""
    at = datetime(2026, 11, 3, 10, 30, tzinfo=UTC)
    hour = at.replace(minute=0)
    seeded.execute("SELECT usage.mark_rollups_dirty(%s, %s)", (hour, hour + timedelta(hours=1)))
    seeded.commit()
    with psycopg.connect(product_url) as refresher, psycopg.connect(product_url, autocommit=True) as writer:
        claimed = refresher.execute("SELECT buckets FROM usage.refresh_rollups()").fetchone()[0]  # uncommitted
        assert claimed > 0
        writer.execute("SET lock_timeout = '5s'")  # a writer that waited for the refresher would fail here
        writer.execute("""INSERT INTO usage.events (organization_id, request_id, occurred_at, model_id, api_key_id,
                              status, tokens_in, tokens_out, latency_ms, cost)
                          VALUES (%s, 'racing', %s, %s, NULL, 'success', 10, 10, 5, %s)""",
                       (ORG_A, at, MODEL, cost_of(10, 10)))
        refresher.commit()
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM usage.rollup_dirty_buckets WHERE organization_id = %s AND hour_start = %s",
                            (ORG_A, hour)).fetchone()[0] == 1
        assert hourly_mismatches(conn) != []  # the racing event is not in the rollups yet...
        conn.execute("SELECT usage.refresh_rollups()")
        assert hourly_mismatches(conn) == [] and daily_mismatches(conn) == []  # ...and is after the next refresh


def test_refresh_refuses_snapshot_isolation(db: Conn) -> None:
    """Under REPEATABLE READ a refresher could not see what another one committed for the same day."""
    db.rollback()
    db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    exc = expect_error(db, "SELECT usage.refresh_rollups()")
    assert isinstance(exc, psycopg.errors.InvalidTransactionState) and "READ COMMITTED" in exc.diag.message_primary


def test_marking_a_range_recomputes_it_and_rejects_an_empty_range(seeded: Conn) -> None:
    seeded.execute("SELECT usage.refresh_rollups()")
    # A fix of raw data by hand that bypasses the triggers (as a DBA might, with triggers disabled).
    seeded.execute("SET LOCAL session_replication_role = replica")
    seeded.execute("UPDATE usage.events SET tokens_in = tokens_in + 1 WHERE occurred_at >= '2026-11-01' "
                   "AND occurred_at < '2026-11-02'")
    seeded.execute("SET LOCAL session_replication_role = origin")
    assert hourly_mismatches(seeded) != []
    marked = seeded.execute("SELECT usage.mark_rollups_dirty('2026-11-01', '2026-11-02')").fetchone()[0]
    assert marked == seeded.execute("""SELECT count(DISTINCT (organization_id, date_trunc('hour', occurred_at, 'UTC')))
                                       FROM usage.events WHERE occurred_at >= '2026-11-01'
                                       AND occurred_at < '2026-11-02'""").fetchone()[0]
    seeded.execute("SELECT usage.refresh_rollups()")
    assert hourly_mismatches(seeded) == [] and daily_mismatches(seeded) == []
    exc = expect_error(seeded, "SELECT usage.mark_rollups_dirty('2026-11-02', '2026-11-01')")
    assert isinstance(exc, psycopg.errors.InvalidParameterValue)


def test_a_bounded_refresh_stops_at_its_bound_inside_one_hour(seeded: Conn) -> None:
    """refresh_rollups(n) stops after the mark that reaches n buckets, even when every queued bucket
    is of the same hour (a busy hour is the work a bounded refresh must split)."""
    seeded.execute("SELECT usage.refresh_rollups()")
    at = datetime.now(UTC) - timedelta(minutes=2)
    for org, key in ((ORG_A, KEY_A), (ORG_B, KEY_B)):  # two statements: two marks of one hour
        seeded.execute(INSERT, [[org], [f"bounded-{org}"], [at], [MODEL], [key], ["success"], [10], [5], [1],
                                [cost_of(10, 5)]])
    assert seeded.execute("SELECT count(*) FROM usage.rollup_dirty_buckets").fetchone()[0] == 2
    assert seeded.execute("SELECT buckets FROM usage.refresh_rollups(1)").fetchone()[0] == 1
    assert seeded.execute("SELECT organization_id::text FROM usage.rollup_dirty_buckets").fetchall() == [(ORG_B,)]
    assert seeded.execute("SELECT buckets FROM usage.refresh_rollups(1)").fetchone()[0] == 1
    assert hourly_mismatches(seeded) == [] and daily_mismatches(seeded) == [] and monthly_mismatches(seeded) == []


def test_a_bounded_refresh_refreshes_each_bucket_of_an_hour_once(seeded: Conn) -> None:
    """Marks name an organization once per event, so successive bounded calls used to refresh a
    bucket named by several marks once per call; the buckets beyond a call's bound are queued again
    as one mark per hour instead (202611301200), so each is refreshed once."""
    seeded.execute("SELECT usage.refresh_rollups()")
    at = datetime.now(UTC) - timedelta(minutes=2)
    for request, pairs in (("once-1", ((ORG_A, KEY_A),)), ("once-2", ((ORG_A, KEY_A), (ORG_B, KEY_B)))):
        seeded.execute(INSERT, [[o for o, _ in pairs], [f"{request}-{o}" for o, _ in pairs], [at] * len(pairs),
                                [MODEL] * len(pairs), [k for _, k in pairs], ["success"] * len(pairs),
                                [10] * len(pairs), [5] * len(pairs), [1] * len(pairs), [cost_of(10, 5)] * len(pairs)])
    assert seeded.execute("SELECT count(*) FROM usage.rollup_marks").fetchone()[0] == 2
    counts = []
    while buckets := seeded.execute("SELECT buckets FROM usage.refresh_rollups(1)").fetchone()[0]:
        counts.append(buckets)
    assert counts == [1, 1]
    assert hourly_mismatches(seeded) == [] and daily_mismatches(seeded) == [] and monthly_mismatches(seeded) == []


def _writes(conn: Conn, table: str) -> tuple[int, int, int]:
    """Rows this transaction inserted, updated and deleted in a table."""
    row = conn.execute("SELECT n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables WHERE relid = %s::regclass",
                       (table,)).fetchone()
    return (row[0], row[1], row[2])


def test_new_events_are_added_to_their_days_and_months_in_place(seeded: Conn) -> None:
    """The usual change, new events in days and months that have rows, updates those rows (no
    delete and re-insert: 202611301200) and stays exact."""
    seeded.execute("SELECT usage.refresh_rollups()")
    at = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)  # a day of the seed: its daily and monthly rows exist
    rows = [(org, f"in-place-{org}", at, MODEL, key, "success", 10, 5, 7, cost_of(10, 5))
            for org, key in ((ORG_A, KEY_A), (ORG_B, KEY_B))]
    seeded.execute(INSERT, [list(c) for c in zip(*rows, strict=True)])
    before = {t: _writes(seeded, t) for t in ("usage.daily_rollups", "usage.monthly_rollups")}
    seeded.execute("SELECT usage.refresh_rollups()")
    for table, (inserted, updated, deleted) in before.items():
        after = _writes(seeded, table)
        assert (after[1] - updated, after[2] - deleted) == (2, 0), table
        assert after[0] == inserted, table
    assert hourly_mismatches(seeded) == [] and daily_mismatches(seeded) == [] and monthly_mismatches(seeded) == []


def test_a_day_whose_largest_latency_falls_is_recomputed(seeded: Conn) -> None:
    """A change that adds requests, tokens, latency and cost but lowers the day's largest latency
    cannot be added in place (a maximum is not additive): the day is recomputed from its hours."""
    at = datetime(2026, 11, 21, 11, 30, tzinfo=UTC)
    first = (ORG_A, "max-first", at, MODEL, KEY_A, "success", 10, 5, 2_000_000, cost_of(10, 5))
    seeded.execute(INSERT, [[v] for v in first])
    seeded.execute("SELECT usage.refresh_rollups()")
    # The same refresh sees the first event's latency lowered and a second event, slightly slower
    # than the first was: every sum grows, the maximum falls from 2 000 000 to 1 999 995.
    seeded.execute("UPDATE usage.events SET latency_ms = 10 WHERE request_id = 'max-first'")
    second = (ORG_A, "max-second", at, MODEL, KEY_A, "success", 10, 5, 1_999_995, cost_of(10, 5))
    seeded.execute(INSERT, [[v] for v in second])
    seeded.execute("SELECT usage.refresh_rollups()")
    assert seeded.execute("""SELECT latency_ms_max FROM usage.daily_rollups
                             WHERE organization_id = %s AND day = '2026-11-21' AND model_id = %s""",
                          (ORG_A, MODEL)).fetchone()[0] == 1_999_995
    assert hourly_mismatches(seeded) == [] and daily_mismatches(seeded) == [] and monthly_mismatches(seeded) == []


def test_refreshers_split_the_work_by_utc_month(seeded: Conn, product_url: str) -> None:
    """A refresher leaves the marks of a month another refresher is working on (it never waits)."""
    seeded.execute("SELECT usage.refresh_rollups()")
    seeded.execute("SELECT usage.mark_rollups_dirty('2026-10-31', '2026-11-02')")
    seeded.commit()
    with psycopg.connect(product_url) as other:
        # The other refresher holds November (the lock refresh_rollups() tries for each month).
        other.execute("""SELECT pg_advisory_xact_lock(hashtext('usage.monthly_rollups'),
                                                      date '2026-11-01' - date '2000-01-01')""")
        seeded.execute("SELECT usage.refresh_rollups()")
        left = seeded.execute("SELECT DISTINCT date_trunc('month', hour_start AT TIME ZONE 'UTC')::date "
                              "FROM usage.rollup_dirty_buckets").fetchall()
        assert left == [(date(2026, 11, 1),)]
        other.rollback()
    seeded.execute("SELECT usage.refresh_rollups()")
    assert monthly_mismatches(seeded) == []


def _add_organizations(conn: Conn, rng: random.Random) -> list[str]:
    orgs = [f"44444444-0000-4000-8000-{n:012d}" for n in range(rng.randrange(3, 15))]
    for n, org in enumerate(orgs):
        conn.execute("INSERT INTO core.organizations (organization_id, slug, name) VALUES (%s, %s, %s)",
                     (org, f"prop-{n}", f"Property {n}"))
    return [*orgs, ORG_A, ORG_B]


def test_top_organizations_by_cost_equals_raw_sums_for_random_data_and_ranges(seeded: Conn) -> None:
    """Whole months from the monthly rollups, edge days from the daily rollups: always the raw sums."""
    seeded.execute("SELECT count(*) FROM usage.create_event_partitions(6, '2026-08-01')")
    seeded.execute("SELECT usage.refresh_rollups()")
    first_day = date(2026, 8, 1)
    for seed in SEEDS:
        rng = random.Random(seed)
        with rolled_back(seeded):
            orgs = _add_organizations(seeded, rng)
            for batch in range(rng.randrange(2, 6)):
                rows = []
                for i in range(rng.randrange(20, 120)):
                    at = datetime(2026, 8, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 150 * 24 * 60))
                    tin, tout = rng.randrange(0, 5000), rng.randrange(0, 2000)
                    rows.append((rng.choice(orgs), f"p{seed}-{batch}-{i}", at, MODEL, None, rng.choice(STATUSES),
                                 tin, tout, rng.randrange(0, 3000), cost_of(tin, tout)))
                with acting(seeded, "app_ingest"):
                    seeded.execute(INGEST, [list(c) for c in zip(*rows, strict=True)])
                if rng.random() < 0.5:
                    _correct(seeded, rng)
                seeded.execute("SELECT usage.refresh_rollups(%s)", (rng.choice([None, 1, 5, 40]),))
            while seeded.execute("SELECT buckets FROM usage.refresh_rollups(%s)", (rng.choice([None, 3]),)).fetchone()[0]:
                pass
            assert monthly_mismatches(seeded) == [], f"seed {seed}"
            assert trailing_year_mismatches(seeded) == [], f"seed {seed}"
            for attempt in range(7):
                start = first_day + timedelta(days=rng.randrange(0, 150))
                end = start + timedelta(days=rng.choice([0, 1, 29, 30, 31, 60, 120, 365]))
                if rng.random() < 0.4:  # three whole months
                    start = start.replace(day=1)
                    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
                if attempt == 0:  # the trailing year: read from usage.trailing_year_totals
                    start, end = trailing_year(seeded)
                limit = rng.choice([1, 3, 10, 20])
                with acting(seeded, "app_ro"):
                    top = seeded.execute("SELECT * FROM usage.top_organizations_by_cost(%s, %s, %s)",
                                         (start, end, limit)).fetchall()
                expected = raw_top_organizations(seeded, start, end, limit)
                assert [(str(r[0]), *r[1:]) for r in top] == [(str(r[0]), *r[1:]) for r in expected], \
                    f"seed {seed}: {start}..{end} limit {limit}"


def _write_and_refresh(conn: Conn, request: str) -> None:
    """One event of tenant A today through the ingest path, then a full refresh."""
    now = datetime.now(UTC)
    with acting(conn, "app_ingest"):
        conn.execute(INGEST, [[ORG_A], [request], [now], [MODEL], [None], ["success"], [100], [10], [5],
                              [cost_of(100, 10)]])
    conn.execute("SELECT usage.refresh_rollups()")


def test_totals_of_a_past_window_are_rebuilt_by_the_next_refresh(seeded: Conn) -> None:
    """The month has turned since the totals were written: the next refresh writes the new window whole."""
    seeded.execute("SELECT count(*) FROM usage.create_event_partitions(1, now())")
    seeded.execute("UPDATE usage.trailing_year_totals SET window_start = '2020-01-01', cost = cost + 1")
    _write_and_refresh(seeded, "rollover-1")
    windows = seeded.execute("SELECT DISTINCT window_start FROM usage.trailing_year_totals").fetchall()
    assert windows == [trailing_year(seeded)[:1]]
    assert trailing_year_mismatches(seeded) == []


def test_report_sums_the_months_while_the_totals_are_of_another_window(seeded: Conn) -> None:
    """Until a refresh has rebuilt them, totals of another window are not read: still the raw sums."""
    seeded.execute("SELECT count(*) FROM usage.create_event_partitions(1, now())")
    _write_and_refresh(seeded, "stale-1")
    seeded.execute("UPDATE usage.trailing_year_totals SET window_start = '2020-01-01', cost = cost + 1")
    first, last = trailing_year(seeded)
    with acting(seeded, "app_ro"):
        top = seeded.execute("SELECT * FROM usage.top_organizations_by_cost(%s, %s, 10)", (first, last)).fetchall()
    assert top == raw_top_organizations(seeded, first, last, 10)


def test_report_over_the_trailing_year_reads_the_totals(seeded: Conn) -> None:
    """The trailing year's ranking comes from usage.trailing_year_totals (a wrong total shows)."""
    seeded.execute("SELECT count(*) FROM usage.create_event_partitions(1, now())")
    _write_and_refresh(seeded, "totals-1")
    lowest = seeded.execute("SELECT organization_id::text FROM usage.trailing_year_totals ORDER BY cost, 1 LIMIT 1"
                            ).fetchone()[0]
    seeded.execute("UPDATE usage.trailing_year_totals SET cost = cost + 1000 WHERE organization_id = %s", (lowest,))
    first, last = trailing_year(seeded)
    with acting(seeded, "app_ro"):
        top = seeded.execute("SELECT organization_id::text, cost FROM usage.top_organizations_by_cost(%s, %s, 1)",
                             (first, last)).fetchall()
    assert top[0][0] == lowest and top[0][1] > 1000


def test_an_organization_whose_events_are_gone_leaves_the_totals(seeded: Conn) -> None:
    """Events deleted (by the owner: a fix by hand) make a total and its months shrink, to nothing: their rows go."""
    seeded.execute("SELECT count(*) FROM usage.create_event_partitions(1, now())")
    _write_and_refresh(seeded, "gone-1")
    assert seeded.execute("SELECT count(*) FROM usage.trailing_year_totals WHERE organization_id = %s",
                          (ORG_A,)).fetchone()[0] == 1
    seeded.execute("DELETE FROM usage.events WHERE organization_id = %s", (ORG_A,))
    seeded.execute("SELECT usage.refresh_rollups()")
    assert seeded.execute("SELECT count(*) FROM usage.trailing_year_totals WHERE organization_id = %s",
                          (ORG_A,)).fetchone()[0] == 0
    assert trailing_year_mismatches(seeded) == []
    assert monthly_mismatches(seeded) == []
