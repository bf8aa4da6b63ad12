"""Feedback trends on the cluster (citus/after/32_feedback_trends.sql): the row trigger on the shards that
marks written feedback next to it, and the Citus form of venture.refresh_feedback_trends(), whose trend
rows must count what the raw feedback holds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from tests.helpers.citus import tenant_session
from tests.helpers.runner import query
from tests.helpers.schema import ORG_A

VENTURE_A = "a0a0a0a0-0000-4000-8000-000000000001"  # seeds/50_ventures.sql
CUSTOMER_A1 = "a0a0a0a0-0006-4000-8000-000000000001"
FEEDBACK = "a0a0a0a0-0007-4000-8000-00000000c175"  # not a seeded number
RECEIVED = datetime(2026, 11, 15, 9, 30, tzinfo=UTC)

# The trends as the raw feedback says they must be: count, mean sentiment and churn risk, high-churn count.
_RAW_TRENDS = """
    SELECT f.organization_id, f.venture_id, t.period_type, date_trunc(t.unit, f.received_at, 'UTC') AS period_start,
           count(*)::integer, round(avg(f.sentiment_score), 4), round(avg(f.churn_risk_score), 4),
           count(*) FILTER (WHERE f.churn_risk_score >= 0.7)::integer
    FROM venture.feedback_intelligence AS f
    CROSS JOIN (VALUES ('daily', 'day'), ('weekly', 'week'), ('monthly', 'month')) AS t (period_type, unit)
    GROUP BY 1, 2, 3, 4"""
_TREND_COLUMNS = ("organization_id, venture_id, period_type, period_start, total_feedback_count, average_sentiment, "
                  "average_churn_risk, high_churn_risk_count")


def _trend_mismatches(url: str) -> list[tuple[object, ...]]:
    trends = f"SELECT {_TREND_COLUMNS} FROM venture.feedback_trends"
    return query(url, f"""(SELECT 'missing', * FROM ({_RAW_TRENDS} EXCEPT {trends}) x)
                          UNION ALL
                          (SELECT 'extra', * FROM ({trends} EXCEPT {_RAW_TRENDS}) x)
                          LIMIT 20""")


def _refresh(url: str) -> int:
    return int(query(url, "SELECT marks FROM venture.refresh_feedback_trends()")[0][0])


def _execute(url: str, statement: str, *params: object) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement, params or None)


@pytest.fixture
def refreshed(citus_url: str) -> Iterator[str]:
    """The seeded cluster with every trend mark refreshed; the test's feedback removed and refreshed after it."""
    _refresh(citus_url)
    yield citus_url
    _execute(citus_url, "DELETE FROM venture.feedback_intelligence WHERE organization_id = %s AND feedback_id = %s",
             ORG_A, FEEDBACK)
    _refresh(citus_url)


def test_the_seeded_trends_count_the_raw_feedback(refreshed: str) -> None:
    assert query(refreshed, "SELECT count(*) FROM venture.feedback_trends") > [(20,)]
    assert _trend_mismatches(refreshed) == []


def test_a_refresh_leaves_no_mark(refreshed: str) -> None:
    assert query(refreshed, "SELECT count(*) FROM venture.feedback_trend_marks") == [(0,)]


def test_feedback_recorded_by_app_rw_is_marked_and_refreshed(refreshed: str) -> None:
    with tenant_session(refreshed, "app_rw", ORG_A) as conn:
        conn.execute("""INSERT INTO venture.feedback_intelligence (organization_id, feedback_id, venture_id, customer_id,
                            feedback_text, feedback_source, received_at, sentiment_score, churn_risk_score)
                        VALUES (%s, %s, %s, %s, 'Citus test feedback.', 'email', %s, -0.75, 0.95)""",
                     (ORG_A, FEEDBACK, VENTURE_A, CUSTOMER_A1, RECEIVED))
        conn.commit()
    marks = query(refreshed, "SELECT venture_id::text, day FROM venture.feedback_trend_marks")
    assert marks == [(VENTURE_A, RECEIVED.date())]
    assert _refresh(refreshed) == 1
    assert _trend_mismatches(refreshed) == []
    assert query(refreshed, """SELECT total_feedback_count FROM venture.feedback_trends
                               WHERE organization_id = %s AND period_type = 'daily' AND period_start = %s""",
                 ORG_A, datetime(2026, 11, 15, tzinfo=UTC)) == [(3,)]


def test_a_tenant_reads_only_its_own_trends(refreshed: str) -> None:
    with tenant_session(refreshed, "app_ro", ORG_A) as conn:
        orgs = conn.execute("SELECT DISTINCT organization_id::text FROM venture.feedback_trends").fetchall()
    assert orgs == [(ORG_A,)]


def test_only_row_triggers_fire_on_the_feedback(citus_url: str) -> None:
    transition = query(citus_url, """SELECT count(*) FROM pg_trigger
                                     WHERE tgrelid = 'venture.feedback_intelligence'::regclass
                                     AND (tgoldtable IS NOT NULL OR tgnewtable IS NOT NULL) AND tgenabled <> 'D'""")
    assert transition == [(0,)]
    assert query(citus_url, """SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'venture.feedback_intelligence'::regclass
                               AND tgname = 'trg_feedback_intelligence_mark_trends_row'""") == [("O",)]
