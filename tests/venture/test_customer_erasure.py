"""A customer's erasure goes through the governance erasure flow: a request naming the customer,
completed by governance.complete_erasure_request(), which runs the venture domain's handler. It
removes the customer's feedback, sentiment history and external reference in the caller's tenant
only, and the trends lose the customer's contribution at their next refresh."""

from __future__ import annotations

from psycopg import errors

from tests.helpers.schema import acting, expect_error
from tests.helpers.venture import (
    ERASURE_REQUEST_A,
    ORG_A,
    ORG_B,
    Conn,
    customer_a,
    pending_marks,
    refresh_all,
    trend_differences,
)

CUSTOMER = customer_a(4)  # seeds/50_ventures.sql: its pending request is ERASURE_REQUEST_A


def _rows_of(conn: Conn, customer: str) -> tuple[int, int]:
    return conn.execute(
        """SELECT (SELECT count(*) FROM venture.feedback_intelligence WHERE customer_id = %(c)s),
                  (SELECT count(*) FROM venture.customer_sentiment_history WHERE customer_id = %(c)s)""",
        {"c": customer}).fetchone()


def _other_tenant(conn: Conn) -> tuple[int, ...]:
    return conn.execute(
        """SELECT (SELECT count(*) FROM venture.feedback_intelligence WHERE organization_id = %(o)s),
                  (SELECT count(*) FROM venture.customer_sentiment_history WHERE organization_id = %(o)s),
                  (SELECT count(*) FROM venture.customers WHERE organization_id = %(o)s AND external_ref IS NOT NULL)""",
        {"o": ORG_B}).fetchone()


def test_completing_a_customer_request_erases_the_customer(seeded: Conn) -> None:
    refresh_all(seeded)
    assert _rows_of(seeded, CUSTOMER) == (14, 3)
    untouched = _rows_of(seeded, customer_a(1))
    other_tenant = _other_tenant(seeded)
    with acting(seeded, "app_rw", ORG_A):
        status = seeded.execute("SELECT status, completed_at IS NOT NULL FROM governance.complete_erasure_request(%s)",
                                (ERASURE_REQUEST_A,)).fetchone()
    assert status == ("completed", True)
    assert _rows_of(seeded, CUSTOMER) == (0, 0)
    customer = seeded.execute("SELECT external_ref, erased_at IS NOT NULL FROM venture.customers WHERE customer_id = %s",
                              (CUSTOMER,)).fetchone()
    assert customer == (None, True)
    assert _rows_of(seeded, customer_a(1)) == untouched
    assert _other_tenant(seeded) == other_tenant
    # The trends still count the erased feedback until the refresh its deletion queued.
    assert pending_marks(seeded) > 0 and trend_differences(seeded) != []
    refresh_all(seeded)
    assert trend_differences(seeded) == []


def test_the_erasure_leaves_no_personal_data_in_the_audit_log(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("SELECT governance.complete_erasure_request(%s)", (ERASURE_REQUEST_A,))
    deleted = seeded.execute(
        """SELECT old_values FROM audit.events WHERE schema_name = 'venture' AND table_name = 'feedback_intelligence'
           AND action = 'DELETE' AND old_values ->> 'customer_id' = %s""", (CUSTOMER,)).fetchall()
    assert len(deleted) == 14 and {r[0]["feedback_text"] for r in deleted} == {"[redacted]"}
    updated = seeded.execute(
        """SELECT old_values FROM audit.events WHERE schema_name = 'venture' AND table_name = 'customers'
           AND action = 'UPDATE' AND primary_key ->> 'customer_id' = %s""", (CUSTOMER,)).fetchone()[0]
    assert updated["external_ref"] == "[redacted]"


def test_a_customer_request_of_another_tenant_is_invisible(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_B):
        exc = expect_error(seeded, "SELECT governance.complete_erasure_request(%s)", (ERASURE_REQUEST_A,))
    assert isinstance(exc, errors.NoDataFound)
    assert _rows_of(seeded, CUSTOMER) == (14, 3)


def test_a_customer_is_erased_only_through_the_flow(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        for statement in (
            "UPDATE venture.customers SET erased_at = now()",
            "DELETE FROM venture.customers",
            "DELETE FROM venture.customer_sentiment_history",
            "SELECT venture.erase_customer(r) FROM governance.erasure_requests r "
            f"WHERE erasure_request_id = '{ERASURE_REQUEST_A}'",
            f"UPDATE governance.erasure_requests SET status = 'completed', completed_at = now() "
            f"WHERE erasure_request_id = '{ERASURE_REQUEST_A}'",
        ):
            exc = expect_error(seeded, statement)
            assert isinstance(exc, errors.InsufficientPrivilege), (statement, exc)
    assert _rows_of(seeded, CUSTOMER) == (14, 3)


def test_a_customer_with_a_request_cannot_be_deleted(seeded: Conn) -> None:
    exc = expect_error(seeded, "DELETE FROM venture.customers WHERE customer_id = %s", (CUSTOMER,))
    assert exc.sqlstate in ("23001", "23503")
    assert exc.diag.constraint_name == "fk_erasure_requests_customer_id"


def test_a_service_records_a_customer_request(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        request = seeded.execute(
            """INSERT INTO governance.erasure_requests (organization_id, subject_type, customer_id, reason)
               VALUES (%s, 'customer', %s, 'Asked by email.') RETURNING erasure_request_id""",
            (ORG_A, customer_a(2))).fetchone()[0]
        seeded.execute("SELECT governance.complete_erasure_request(%s)", (request,))
        exc = expect_error(seeded, """INSERT INTO governance.erasure_requests (organization_id, subject_type, reason)
                                      VALUES (%s, 'customer', 'No subject.')""", (ORG_A,))
    assert _rows_of(seeded, customer_a(2)) == (0, 0)
    assert isinstance(exc, errors.CheckViolation)
    assert exc.diag.constraint_name == "ck_erasure_requests_customer_subject"
