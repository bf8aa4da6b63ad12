"""venture.feedback_trends: marked by every write of raw feedback, refreshed only by
venture.refresh_feedback_trends(), and always equal to a recomputation from raw feedback (a seeded
random property test over inserts, re-analyses, moves in time, deletions and partial refreshes)."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import IsolationLevel, errors

from tests.helpers.schema import acting, expect_error
from tests.helpers.venture import (
    ORG_A,
    ORG_B,
    VENTURE_A,
    VENTURE_B,
    Conn,
    pending_marks,
    refresh_all,
    trend_differences,
)

SEEDS = [1, 2, 3, 5, 8, 13]  # fixed: a failure is reproducible by its seed
VENTURE_A2 = "a0a0a0a0-0000-4000-8000-0000000000a2"
CUSTOMERS = {ORG_A: [f"a0a0a0a0-0006-4000-8000-00000000000{n}" for n in (1, 2, 3)],
             ORG_B: [f"b0b0b0b0-0006-4000-8000-00000000000{n}" for n in (1, 2, 3)]}
VENTURES = [(ORG_A, VENTURE_A), (ORG_A, VENTURE_A2), (ORG_B, VENTURE_B)]
TAGS = ["pricing", "onboarding", "slow_support", "missing_integration", "bugs", "ux"]
EMOTIONS = [None, "joy", "anger", "sadness", "fear", "surprise", "trust"]
URGENCIES = [None, "low", "medium", "high", "critical"]
# Across a month boundary, ISO weeks and UTC days (and the seeded November feedback).
START = datetime(2026, 10, 20, tzinfo=UTC)
INSERT = """INSERT INTO venture.feedback_intelligence (
                organization_id, venture_id, customer_id, feedback_text, feedback_source, received_at, sentiment_score,
                emotion_primary, urgency_level, churn_risk_score, issue_tags)
            VALUES (%s, %s, %s, 'property test feedback', 'survey', %s, %s, %s, %s, %s, %s)"""


def _score(rng: random.Random, low: int) -> Decimal:
    return Decimal(rng.randint(low, 100)) / 100


def _random_figures(rng: random.Random) -> tuple[Any, ...]:
    return (_score(rng, -100), rng.choice(EMOTIONS), rng.choice(URGENCIES),
            None if rng.random() < 0.15 else _score(rng, 0), rng.sample(TAGS, rng.randint(0, 3)))


def _random_time(rng: random.Random) -> datetime:
    return START + timedelta(minutes=rng.randrange(0, 24 * 60 * 26))


def _insert(conn: Conn, rng: random.Random, count: int) -> None:
    for _ in range(count):
        org, venture = rng.choice(VENTURES)
        conn.execute(INSERT, (org, venture, rng.choice(CUSTOMERS[org]), _random_time(rng), *_random_figures(rng)))


def _some_feedback(conn: Conn, rng: random.Random, count: int) -> list[str]:
    ids = [r[0] for r in conn.execute("SELECT feedback_id::text FROM venture.feedback_intelligence ORDER BY 1")]
    return rng.sample(ids, min(count, len(ids)))


def _reanalyse(conn: Conn, rng: random.Random) -> None:
    """Re-analysed figures for a few rows in one statement (possibly of days already refreshed)."""
    for feedback_id in _some_feedback(conn, rng, rng.randint(1, 4)):
        sentiment, emotion, urgency, churn, tags = _random_figures(rng)
        conn.execute("""UPDATE venture.feedback_intelligence SET sentiment_score = %s, emotion_primary = %s,
                               urgency_level = %s, churn_risk_score = %s, issue_tags = %s WHERE feedback_id = %s""",
                     (sentiment, emotion, urgency, churn, tags, feedback_id))


def _move(conn: Conn, rng: random.Random) -> None:
    """A correction of when feedback was received: both the old and the new day change."""
    for feedback_id in _some_feedback(conn, rng, 2):
        conn.execute("UPDATE venture.feedback_intelligence SET received_at = %s, processed_at = NULL WHERE feedback_id = %s",
                     (_random_time(rng), feedback_id))


def _delete(conn: Conn, rng: random.Random) -> None:
    victims = _some_feedback(conn, rng, rng.randint(1, 3))  # measurements keep their row (feedback_id set NULL)
    conn.execute("DELETE FROM venture.feedback_intelligence WHERE feedback_id = ANY (%s::uuid[])", (victims,))


def _partial_refresh(conn: Conn, rng: random.Random) -> None:
    conn.execute("SELECT * FROM venture.refresh_feedback_trends(%s)", (rng.randint(1, 6),))


def test_trends_equal_a_recomputation_from_raw_feedback(seeded: Conn) -> None:
    seeded.execute("INSERT INTO venture.ventures (organization_id, venture_id, name) VALUES (%s, %s, 'Second venture')",
                   (ORG_A, VENTURE_A2))
    problems = []
    for seed in SEEDS:
        rng = random.Random(seed)
        with seeded.transaction(force_rollback=True):
            for _ in range(8):
                action = rng.choice([_insert, _insert, _reanalyse, _move, _delete, _partial_refresh])
                if action is _insert:
                    _insert(seeded, rng, rng.randint(1, 12))
                else:
                    action(seeded, rng)
            refresh_all(seeded)
            assert pending_marks(seeded) == 0
            problems += [f"seed {seed}: {p}" for p in trend_differences(seeded)]
    assert not problems, "\n".join(problems[:20])


def test_seeded_trends_equal_a_recomputation_once_refreshed(seeded: Conn) -> None:
    assert pending_marks(seeded) > 0  # the seed leaves a re-analysis for the next refresh
    marks, periods, rows = refresh_all(seeded)
    assert marks > 0 and periods > 0 and rows > 0
    assert trend_differences(seeded) == []
    # Refreshing again with nothing marked changes nothing.
    assert refresh_all(seeded) == (0, 0, 0)
    # The comparison sees a hand-written figure.
    seeded.execute("UPDATE venture.feedback_trends SET high_churn_risk_count = high_churn_risk_count + 1 "
                   "WHERE period_type = 'monthly' AND high_churn_risk_count < total_feedback_count")
    assert trend_differences(seeded) != []


def test_every_write_of_feedback_marks_its_venture_days(seeded: Conn) -> None:
    refresh_all(seeded)
    at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    seeded.execute(INSERT, (ORG_A, VENTURE_A, CUSTOMERS[ORG_A][0], at, Decimal("0.5"), None, None, None, []))
    seeded.execute("UPDATE venture.feedback_intelligence SET received_at = received_at + interval '1 hour' "
                   "WHERE received_at = %s", (at,))
    marks = seeded.execute("SELECT organization_id::text, venture_id::text, day::text FROM venture.feedback_trend_marks "
                           "ORDER BY mark_id").fetchall()
    # The insert marks its UTC day; the move marks the old day and the new one (the next year).
    assert marks == [(ORG_A, VENTURE_A, "2026-12-31"), (ORG_A, VENTURE_A, "2027-01-01"),
                     (ORG_A, VENTURE_A, "2026-12-31")]


def test_a_period_left_without_feedback_loses_its_row(seeded: Conn) -> None:
    refresh_all(seeded)
    day = "2026-11-03"
    seeded.execute("DELETE FROM venture.feedback_intelligence WHERE (received_at AT TIME ZONE 'UTC')::date = %s", (day,))
    refresh_all(seeded)
    left = seeded.execute("SELECT count(*) FROM venture.feedback_trends WHERE period_type = 'daily' "
                          "AND period_start = %s::date::timestamp AT TIME ZONE 'UTC'", (day,)).fetchone()[0]
    assert left == 0
    assert trend_differences(seeded) == []


def test_trends_are_never_written_by_the_app_roles(seeded: Conn) -> None:
    for role in ("app_rw", "app_ro"):
        for statement in (
            "UPDATE venture.feedback_trends SET total_feedback_count = 0",
            "DELETE FROM venture.feedback_trends",
            "INSERT INTO venture.feedback_trends SELECT * FROM venture.feedback_trends LIMIT 1",
            "SELECT count(*) FROM venture.feedback_trend_marks",
        ):
            with acting(seeded, role, ORG_A):
                exc = expect_error(seeded, statement)
            assert isinstance(exc, errors.InsufficientPrivilege), (role, statement, exc)


def test_a_service_refreshes_and_sees_only_its_tenant(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        marks, _, _ = seeded.execute("SELECT * FROM venture.refresh_feedback_trends()").fetchone()
        tenants = seeded.execute("SELECT DISTINCT organization_id::text FROM venture.feedback_trends").fetchall()
    assert marks > 0 and tenants == [(ORG_A,)]
    # The refresh covered every tenant's marks, not only the caller's.
    assert seeded.execute("SELECT count(*) FROM venture.feedback_trend_marks").fetchone()[0] == 0
    with acting(seeded, "app_ro", ORG_A):
        exc = expect_error(seeded, "SELECT * FROM venture.refresh_feedback_trends()")
    assert isinstance(exc, errors.InsufficientPrivilege)


def test_refresh_refuses_a_bad_limit(db: Conn) -> None:
    exc = expect_error(db, "SELECT * FROM venture.refresh_feedback_trends(0)")
    assert exc.sqlstate == "22023"


def test_refresh_refuses_to_run_under_a_snapshot(db: Conn) -> None:
    db.rollback()
    db.isolation_level = IsolationLevel.REPEATABLE_READ
    exc = expect_error(db, "SELECT * FROM venture.refresh_feedback_trends()")
    assert exc.sqlstate == "25000"


def test_sentiment_trend_view_shows_the_current_tenant_by_period(seeded: Conn) -> None:
    refresh_all(seeded)
    for org, venture in ((ORG_A, VENTURE_A), (ORG_B, VENTURE_B)):
        with acting(seeded, "app_ro", org):
            rows = seeded.execute(
                """SELECT venture_id::text, period_start, average_sentiment, sentiment_change, high_churn_risk_share,
                          total_feedback_count, high_churn_risk_count
                   FROM venture.feedback_sentiment_trends WHERE period_type = 'weekly' ORDER BY period_start""").fetchall()
        assert rows and {r[0] for r in rows} == {venture}
        assert rows[0][3] is None
        for before, after in itertools.pairwise(rows):
            assert after[3] == after[2] - before[2]
        assert all(r[4] == round(Decimal(r[6]) / r[5], 4) for r in rows)
    with acting(seeded, "app_ro", None):
        assert seeded.execute("SELECT count(*) FROM venture.feedback_sentiment_trends").fetchone()[0] == 0


def test_concurrent_refreshers_and_writers_agree_with_raw_feedback(seeded: Conn, product_url: str) -> None:
    seeded.execute("SELECT venture.mark_feedback_trends_dirty('-infinity', 'infinity')")
    seeded.commit()  # this test's database is a private clone: the other sessions must see the data
    failures: list[BaseException] = []
    claimed: list[int] = []

    def refresher() -> None:
        try:
            with psycopg.connect(product_url, autocommit=True) as conn:
                while (n := conn.execute("SELECT marks FROM venture.refresh_feedback_trends(5)").fetchone()[0]) > 0:
                    claimed.append(n)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            with psycopg.connect(product_url, autocommit=True) as conn:
                for _ in range(25):
                    org, venture = rng.choice([(ORG_A, VENTURE_A), (ORG_B, VENTURE_B)])
                    with conn.transaction():
                        conn.execute("SELECT set_config('app.org_id', %s, true)", (org,))
                        conn.execute("SET LOCAL ROLE app_rw")
                        conn.execute(INSERT, (org, venture, rng.choice(CUSTOMERS[org]), _random_time(rng),
                                              *_random_figures(rng)))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=refresher) for _ in range(3)] + [threading.Thread(target=writer, args=(s,))
                                                                        for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert sum(claimed) >= 60  # every seeded day and more was claimed, by three refreshers
    with psycopg.connect(product_url, autocommit=True) as conn:
        refresh_all(conn)  # what the writers marked after the last claim
        assert pending_marks(conn) == 0
        assert trend_differences(conn) == []
        assert conn.execute("SELECT count(*) FROM venture.feedback_intelligence").fetchone()[0] == 2 * 56 + 50


def test_feedback_written_during_a_refresh_is_not_lost_and_does_not_wait(seeded: Conn, product_url: str) -> None:
    """A refresher has claimed a day and recomputed it without feedback written concurrently: the
    writer's mark is a row of its own transaction, invisible to the claim, so the next refresh
    recomputes the day; and the writer never waits for the refresher."""
    refresh_all(seeded)
    seeded.execute("SELECT venture.mark_feedback_trends_dirty('2026-11-10', '2026-11-11')")
    seeded.commit()
    at = datetime(2026, 11, 10, 12, tzinfo=UTC)
    with psycopg.connect(product_url) as refresher, psycopg.connect(product_url, autocommit=True) as writer:
        assert refresher.execute("SELECT marks FROM venture.refresh_feedback_trends()").fetchone()[0] > 0  # uncommitted
        writer.execute("SET lock_timeout = '5s'")  # a writer that waited for the refresher would fail here
        writer.execute(INSERT, (ORG_A, VENTURE_A, CUSTOMERS[ORG_A][0], at, Decimal("-1"), None, None, None, []))
        refresher.commit()
    with psycopg.connect(product_url, autocommit=True) as conn:
        assert pending_marks(conn) == 1
        assert trend_differences(conn) != []  # the racing feedback is not in the trends yet...
        refresh_all(conn)
        assert trend_differences(conn) == []  # ...and is after the next refresh
