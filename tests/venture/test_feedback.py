"""Feedback intelligence: the sentiment history chain (each measurement linked to the previous one,
its change computed, appended in time order), what app_ro may read of personal data, the audit log's
redaction of feedback text, and the model registry reference."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from psycopg import errors

from tests.helpers.schema import REPO_ROOT, acting, expect_error
from tests.helpers.venture import MODEL, ORG_A, VENTURE_A, Conn, customer_a

LATEST_OF_CUSTOMER_1 = "a0a0a0a0-0008-4000-8000-000000000011"  # seeds/50_ventures.sql: chain 13 -> 12 -> 11
MIDDLE_OF_CUSTOMER_1 = "a0a0a0a0-0008-4000-8000-000000000012"
MEASURE = """INSERT INTO venture.customer_sentiment_history (organization_id, venture_id, customer_id, measured_at,
                 sentiment_score, previous_sentiment_history_id, previous_sentiment_score)
             VALUES (%s, %s, %s, %s, %s, %s, %s)
             RETURNING previous_sentiment_history_id::text, previous_sentiment_score, sentiment_change"""


def test_a_measurement_is_linked_to_the_previous_one_whatever_the_writer_claims(seeded: Conn) -> None:
    latest = seeded.execute("SELECT sentiment_score FROM venture.customer_sentiment_history "
                            "WHERE sentiment_history_id = %s", (LATEST_OF_CUSTOMER_1,)).fetchone()[0]
    with acting(seeded, "app_rw", ORG_A):
        previous_id, previous_score, change = seeded.execute(
            MEASURE, (ORG_A, VENTURE_A, customer_a(1), datetime(2026, 12, 1, tzinfo=UTC), Decimal("0.90"),
                      MIDDLE_OF_CUSTOMER_1, Decimal("-1"))).fetchone()
    assert (previous_id, previous_score) == (LATEST_OF_CUSTOMER_1, latest)
    assert change == Decimal("0.90") - latest


def test_the_first_measurement_has_no_change(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("INSERT INTO venture.customers (organization_id, customer_id, external_ref) "
                       "VALUES (%s, 'a0a0a0a0-0006-4000-8000-0000000000ff', 'acme-crm-new')", (ORG_A,))
        row = seeded.execute(MEASURE, (ORG_A, VENTURE_A, "a0a0a0a0-0006-4000-8000-0000000000ff",
                                       datetime(2026, 12, 1, tzinfo=UTC), Decimal("0.10"), None, None)).fetchone()
    assert row == (None, None, None)


def test_a_measurement_older_than_the_latest_is_refused(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, MEASURE, (ORG_A, VENTURE_A, customer_a(1), datetime(2026, 11, 1, tzinfo=UTC),
                                             Decimal("0.5"), None, None))
    assert isinstance(exc, errors.CheckViolation)
    assert "not after the latest measurement" in (exc.diag.message_primary or "")


def test_a_measurement_others_build_on_cannot_be_rescored_or_removed_alone(seeded: Conn) -> None:
    exc = expect_error(seeded, "UPDATE venture.customer_sentiment_history SET sentiment_score = sentiment_score / 2 + 0.01 "
                               "WHERE sentiment_history_id = %s", (MIDDLE_OF_CUSTOMER_1,))
    assert isinstance(exc, errors.ForeignKeyViolation)
    assert exc.diag.constraint_name == "fk_customer_sentiment_history_previous"
    exc = expect_error(seeded, "DELETE FROM venture.customer_sentiment_history WHERE sentiment_history_id = %s",
                       (MIDDLE_OF_CUSTOMER_1,))
    assert exc.sqlstate in ("23001", "23503") and exc.diag.constraint_name == "fk_customer_sentiment_history_previous"
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, "UPDATE venture.customer_sentiment_history SET sentiment_score = 0")
    assert isinstance(exc, errors.InsufficientPrivilege)


def test_app_ro_never_reads_personal_data(seeded: Conn) -> None:
    with acting(seeded, "app_ro", ORG_A):
        for statement in ("SELECT feedback_text FROM venture.feedback_intelligence",
                          "SELECT external_ref FROM venture.customers"):
            exc = expect_error(seeded, statement)
            assert isinstance(exc, errors.InsufficientPrivilege), statement
        assert seeded.execute("SELECT count(sentiment_score) FROM venture.feedback_intelligence").fetchone()[0] == 56


def test_feedback_text_is_redacted_in_the_audit_log(seeded: Conn) -> None:
    values = seeded.execute("SELECT new_values FROM audit.events WHERE schema_name = 'venture' "
                            "AND table_name = 'feedback_intelligence' AND action = 'INSERT' LIMIT 1").fetchone()[0]
    assert values["feedback_text"] == "[redacted]" and values["sentiment_score"] is not None
    leaked = seeded.execute("""SELECT count(*) FROM audit.events e WHERE e.schema_name = 'venture'
                               AND (e.new_values::text LIKE '%Seed feedback%' OR e.new_values::text LIKE '%acme-crm-%')"""
                            ).fetchone()[0]
    assert leaked == 0


def test_the_analysing_model_is_a_registry_reference(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("UPDATE venture.feedback_intelligence SET model_id = %s", (MODEL,))
        exc = expect_error(seeded, "UPDATE venture.feedback_intelligence SET model_id = gen_random_uuid()")
    assert isinstance(exc, errors.ForeignKeyViolation)
    assert exc.diag.constraint_name == "fk_feedback_intelligence_model_id"


def test_a_view_without_security_invoker_would_show_every_tenant(seeded: Conn) -> None:
    """Why the post-check views_security_invoker exists: a definer-rights view reads as the owner,
    whose cross-tenant policy honours app.all_tenants, a setting any session may set."""
    seeded.execute("SET LOCAL ROLE app_owner")
    seeded.execute("CREATE VIEW venture.leaky AS SELECT organization_id FROM venture.feedback_intelligence")
    seeded.execute("GRANT SELECT ON venture.leaky TO app_rw")
    seeded.execute("RESET ROLE")
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("SELECT set_config('app.all_tenants', 'on', true)")
        tenants = seeded.execute("SELECT count(DISTINCT organization_id) FROM venture.leaky").fetchone()[0]
        direct = seeded.execute("SELECT count(DISTINCT organization_id) FROM venture.feedback_intelligence").fetchone()[0]
    assert (tenants, direct) == (2, 1)
    check = (REPO_ROOT / "sql" / "checks" / "post" / "views_security_invoker.sql").read_text()
    assert seeded.execute(check).fetchall() == [("venture.leaky", "app_rw can read it")]
