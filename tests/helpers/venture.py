"""Helpers for the venture intelligence tests (issue 13): the seeded identities of seeds/50_ventures.sql
and an independent recomputation of venture.feedback_trends from raw feedback."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Any

from tests.helpers.schema import ORG_A, ORG_B, Conn

# seeds/50_ventures.sql: <tenant prefix>-<kind>-4000-8000-<number>.
VENTURE_A = "a0a0a0a0-0000-4000-8000-000000000001"
VENTURE_B = "b0b0b0b0-0000-4000-8000-000000000001"
MODEL = "0d0d0d0d-0000-4000-8000-000000000001"


def seeded_id(prefix: str, kind: int, number: int) -> str:
    return f"{prefix}-{kind:04d}-4000-8000-{number:012d}"


def persona_a(number: int) -> str:
    return seeded_id("a0a0a0a0", 1, number)


def customer_a(number: int) -> str:
    return seeded_id("a0a0a0a0", 6, number)


ERASURE_REQUEST_A = seeded_id("a0a0a0a0", 9, 1)  # pending, for customer 4
ERASURE_REQUEST_B = seeded_id("b0b0b0b0", 9, 1)

__all__ = [
    "ERASURE_REQUEST_A",
    "ERASURE_REQUEST_B",
    "MODEL",
    "ORG_A",
    "ORG_B",
    "VENTURE_A",
    "VENTURE_B",
    "Conn",
    "customer_a",
    "expected_trends",
    "pending_marks",
    "persona_a",
    "refresh_all",
    "stored_trends",
    "trend_differences",
]

_PERIOD_LENGTH = {"daily": "day", "weekly": "week", "monthly": "month"}
EMOTIONS = ("joy", "anger", "sadness", "fear", "surprise", "trust")
URGENCIES = ("low", "medium", "high", "critical")
Key = tuple[str, str, str, datetime]


def _period(kind: str, day: date) -> tuple[date, date]:
    if kind == "daily":
        return day, day + timedelta(days=1)
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())  # ISO week: Monday
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return start, end


def _previous(kind: str, start: date) -> date:
    if kind == "daily":
        return start - timedelta(days=1)
    if kind == "weekly":
        return start - timedelta(days=7)
    return (start - timedelta(days=1)).replace(day=1)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _round4(value: Fraction) -> Decimal:
    """PostgreSQL's round(numeric, 4): half away from zero (ROUND_HALF_UP in decimal's terms)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.0001"), ROUND_HALF_UP)


def _mean(values: list[Decimal]) -> Fraction | None:
    return sum((Fraction(v) for v in values), Fraction(0)) / len(values) if values else None


def expected_trends(conn: Conn) -> dict[Key, tuple[Any, ...]]:
    """Every trend row recomputed in Python from raw feedback (the definition in docs/schema.md)."""
    rows = conn.execute(
        """SELECT organization_id::text, venture_id::text, feedback_id::text, received_at, sentiment_score,
                  emotion_primary, urgency_level, churn_risk_score, issue_tags
           FROM venture.feedback_intelligence""").fetchall()
    groups: dict[Key, list[tuple[Any, ...]]] = defaultdict(list)
    for org, venture, feedback, received_at, *figures in rows:
        day = received_at.astimezone(UTC).date()
        for kind in _PERIOD_LENGTH:
            start, _ = _period(kind, day)
            groups[(org, venture, kind, _midnight(start))].append((feedback, *figures))
    expected = {}
    for (org, venture, kind, start), members in groups.items():
        sentiments = [m[1] for m in members]
        churn = [m[4] for m in members if m[4] is not None]
        previous = groups.get((org, venture, kind, _midnight(_previous(kind, start.date()))), [])
        previous_churn = [m[4] for m in previous if m[4] is not None]
        mean_sentiment = _mean(sentiments)
        assert mean_sentiment is not None
        mean_churn, mean_previous = _mean(churn), _mean(previous_churn)
        trend = None
        if mean_churn is not None and mean_previous is not None:
            now, before = _round4(mean_churn), _round4(mean_previous)
            trend = ("improving" if now < before - Decimal("0.05")
                     else "declining" if now > before + Decimal("0.05") else "stable")
        emotions = Counter(m[2] or "none" for m in members)
        urgencies = Counter(m[3] or "none" for m in members)
        mentions = Counter(tag for m in members for tag in set(m[5]))
        top = sorted(mentions.items(), key=lambda item: (-item[1], item[0]))[:5]
        expected[(org, venture, kind, start)] = (
            _midnight(_period(kind, start.date())[1]), len(members), _round4(mean_sentiment),
            _round4((mean_sentiment + 1) / 2),
            {e: emotions[e] for e in (*EMOTIONS, "none")}, {u: urgencies[u] for u in (*URGENCIES, "none")},
            sum(1 for c in churn if c >= Decimal("0.7")), None if mean_churn is None else _round4(mean_churn), trend,
            [{"issue": tag, "count": count} for tag, count in top],
        )
    return expected


def stored_trends(conn: Conn) -> dict[Key, tuple[Any, ...]]:
    rows = conn.execute(
        """SELECT organization_id::text, venture_id::text, period_type, period_start, period_end, total_feedback_count,
                  average_sentiment, satisfaction_score, sentiment_distribution, priority_distribution,
                  high_churn_risk_count, average_churn_risk, churn_risk_trend, top_issues
           FROM venture.feedback_trends""").fetchall()
    return {(r[0], r[1], r[2], r[3].astimezone(UTC)): (r[4].astimezone(UTC), *r[5:]) for r in rows}


def trend_differences(conn: Conn) -> list[str]:
    """What differs between the stored trends and their recomputation (empty when equal)."""
    expected, stored = expected_trends(conn), stored_trends(conn)
    problems = [f"missing {key}" for key in expected.keys() - stored.keys()]
    problems += [f"extra {key}: {stored[key]}" for key in stored.keys() - expected.keys()]
    problems += [f"{key}: stored {stored[key]} != expected {expected[key]}"
                 for key in expected.keys() & stored.keys() if stored[key] != expected[key]]
    return sorted(problems)[:20]


def refresh_all(conn: Conn) -> tuple[int, int, int]:
    return tuple(conn.execute("SELECT * FROM venture.refresh_feedback_trends()").fetchone())  # type: ignore[return-value]


def pending_marks(conn: Conn) -> int:
    return int(conn.execute("SELECT count(*) FROM venture.feedback_trend_marks").fetchone()[0])
