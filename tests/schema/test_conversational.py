"""The conversational platform (issue 18): the frozen tables after the tenancy retrofit, their
sensitive fields, the conversation_id playbook and the erasure of a lead. Security checks log in as
LOGIN roles granted app_ro/app_rw."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors

from tests.helpers.conversational import (
    FROZEN_TABLES,
    LEAD_A,
    LEAD_B,
    NEW_TABLES,
    SCHEMA,
    drop_login_role,
    login_role,
)
from tests.helpers.schema import ORG_A, ORG_B, Conn, acting, expect_error, load_seeds, tenant_tables

LEAD_REQUEST_A = "aaaaaaaa-0000-4000-8000-0000000000e2"


@pytest.fixture
def committed(product_db: Conn, product_url: str) -> str:
    """The product database with the seeds committed, so other logins see them."""
    load_seeds(product_db)
    product_db.commit()
    return product_url


@pytest.fixture
def reporting_url(committed: str, product_db: Conn) -> Iterator[str]:
    name = f"conv_ro_{product_db.info.dbname}"
    url = login_role(committed, name, "app_ro")
    yield url
    drop_login_role(committed, name)


@pytest.fixture
def service_url(committed: str, product_db: Conn) -> Iterator[str]:
    name = f"conv_rw_{product_db.info.dbname}"
    url = login_role(committed, name, "app_rw")
    yield url
    drop_login_role(committed, name)


def test_every_conversational_table_is_a_forced_rls_tenant_table(seeded: Conn) -> None:
    tables = {str(t): t for t in tenant_tables(seeded) if t.schema == SCHEMA}
    assert set(tables) == {f"{SCHEMA}.{name}" for name in FROZEN_TABLES + NEW_TABLES}
    assert all(t.forced for t in tables.values())


def test_every_conversational_constraint_is_validated(db: Conn) -> None:
    pending = db.execute("SELECT conname FROM pg_constraint WHERE NOT convalidated AND connamespace = %s::regnamespace",
                         (SCHEMA,)).fetchall()
    assert pending == []


def test_each_tenant_sees_only_its_own_conversational_rows(reporting_url: str) -> None:
    with psycopg.connect(reporting_url) as conn:
        for org in (ORG_A, ORG_B):
            conn.execute("SELECT set_config('app.org_id', %s, true)", (org,))
            for table in FROZEN_TABLES:
                seen = conn.execute(f"SELECT DISTINCT organization_id::text FROM {SCHEMA}.{table}").fetchall()
                assert seen == [(org,)], table
            conn.rollback()


def test_reporting_role_cannot_read_credentials_or_passwords(reporting_url: str) -> None:
    with psycopg.connect(reporting_url) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
        assert conn.execute(f"SELECT count(*) FROM {SCHEMA}.channel_integrations").fetchone()[0] == 2
        for column, table in (("credentials", "channel_integrations"), ("hashed_password", "users"),
                              ("email", "leads"), ("name", "leads"), ("phone", "leads")):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"SELECT {column} FROM {SCHEMA}.{table}")
            conn.rollback()
            conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))


def test_sensitive_columns_are_classified(db: Conn) -> None:
    rows = dict(db.execute(
        """SELECT table_name || '.' || column_name, classification FROM governance.column_classifications
           WHERE schema_name = %s AND (table_name, column_name) IN (('channel_integrations', 'credentials'),
               ('users', 'hashed_password'), ('leads', 'name'), ('leads', 'email'), ('leads', 'phone'))""",
        (SCHEMA,)).fetchall())
    assert rows == {"channel_integrations.credentials": "secret", "users.hashed_password": "secret",
                    "leads.name": "pii", "leads.email": "pii", "leads.phone": "pii"}


def test_plaintext_credentials_are_refused_for_the_service(service_url: str) -> None:
    with psycopg.connect(service_url) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
        with pytest.raises(errors.CheckViolation) as refused:
            conn.execute(f"UPDATE {SCHEMA}.channel_integrations SET credentials = %s WHERE id = 1001",
                         ('{"bot_token": "123:abc"}',))
        assert refused.value.diag.constraint_name == "ck_channel_integrations_credentials_protected"


def test_erasing_a_lead_through_the_governance_flow(service_url: str, committed: str) -> None:
    with psycopg.connect(service_url) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
        status = conn.execute("SELECT status FROM governance.complete_erasure_request(%s)",
                              (LEAD_REQUEST_A,)).fetchone()
        conn.commit()
    assert status == ("completed",)
    with psycopg.connect(committed) as admin:
        lead = admin.execute(f"SELECT name, email, phone, user_id, extra_data FROM {SCHEMA}.leads WHERE id = %s",
                             (LEAD_A,)).fetchone()
        other = admin.execute(f"SELECT name IS NOT NULL FROM {SCHEMA}.leads WHERE id = %s", (LEAD_B,)).fetchone()
        logged = admin.execute("SELECT old_values ->> 'email', new_values ->> 'email' FROM audit.events "
                               "WHERE table_name = 'leads' AND action = 'UPDATE' AND primary_key ->> 'id' = %s",
                               (str(LEAD_A),)).fetchone()
    assert lead == (None, None, None, f"erased:{LEAD_A}", {})
    assert other == (True,)  # another tenant's lead is untouched
    assert logged == ("[redacted]", None)  # the old email never reached the audit log


def test_the_lead_handler_is_idempotent(seeded: Conn) -> None:
    request = seeded.execute("SELECT r FROM governance.erasure_requests r WHERE erasure_request_id = %s",
                             (LEAD_REQUEST_A,)).fetchone()[0]
    # As the owner, the role governance.complete_erasure_request() runs its handlers as.
    with acting(seeded, "app_owner", ORG_A):
        first = seeded.execute("SELECT conversational.erase_lead(%s::governance.erasure_requests)", (request,))
        assert first.fetchone()[0] == 1
        again = seeded.execute("SELECT conversational.erase_lead(%s::governance.erasure_requests)", (request,))
        assert again.fetchone()[0] == 0


def test_the_lead_handler_is_registered_for_the_lead_subject(seeded: Conn) -> None:
    rows = seeded.execute("SELECT subject_type FROM governance.erasure_handlers "
                          "WHERE handler = 'conversational.erase_lead(governance.erasure_requests)'").fetchall()
    assert rows == [("lead",)]


def test_the_service_cannot_call_the_lead_handler_directly(service_url: str) -> None:
    with psycopg.connect(service_url) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SELECT conversational.erase_lead(r) FROM governance.erasure_requests AS r "
                         "WHERE erasure_request_id = %s", (LEAD_REQUEST_A,))


def test_a_lead_request_names_its_lead(seeded: Conn) -> None:
    exc = expect_error(seeded, "UPDATE governance.erasure_requests SET lead_id = NULL WHERE erasure_request_id = %s",
                       (LEAD_REQUEST_A,))
    assert exc.sqlstate == "23514" and exc.diag.constraint_name == "ck_erasure_requests_lead_subject"


def test_a_message_without_conversation_is_attached_by_the_dual_write(seeded: Conn) -> None:
    insert = (f"INSERT INTO {SCHEMA}.messages (user_id, channel, message_text, is_from_user, session_id, created_at) "
              "VALUES ('end-user-1001', 'telegram', %s, true, 's-1001', now()) "
              "RETURNING conversation_id, organization_id::text")
    with acting(seeded, "app_rw", ORG_A):
        attached = seeded.execute(insert, ("And on Sundays?",)).fetchone()
        assert attached == (1001, ORG_A)  # the latest conversation of that end user, channel and session
        opened = seeded.execute(insert.replace("'s-1001'", "'s-new'"), ("New thread",)).fetchone()
        assert opened[0] != 1001 and opened[1] == ORG_A
        reply = seeded.execute(f"SELECT user_message, bot_reply FROM {SCHEMA}.conversations WHERE id = %s",
                               (opened[0],)).fetchone()
        assert reply == ("New thread", "")


def test_a_message_nobody_can_attribute_is_refused_by_name(seeded: Conn) -> None:
    exc = expect_error(seeded, f"INSERT INTO {SCHEMA}.messages (user_id, channel, message_text, is_from_user) "
                               "VALUES ('u', 'sms', 'hello', true)")
    assert exc.sqlstate == "23514"
    assert exc.diag.constraint_name in {"ck_messages_conversation_id_present", "ck_messages_organization_id_present"}


def test_rows_of_writers_not_setting_organization_id_are_attributed(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        lead = seeded.execute(f"INSERT INTO {SCHEMA}.leads (business_id, user_id, channel) "
                              "VALUES (1001, 'end-user-9', 'web') RETURNING organization_id::text").fetchone()
    assert lead == (ORG_A,)


def test_a_row_cannot_point_at_another_tenants_business(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, f"INSERT INTO {SCHEMA}.leads (organization_id, business_id, user_id, channel) "
                                   "VALUES (%s, 2001, 'end-user-9', 'web')", (ORG_A,))
    assert isinstance(exc, errors.ForeignKeyViolation)
    assert exc.diag.constraint_name == "fk_leads_organization_id_business_id"


def test_conversations_reference_the_platform_model_registry(seeded: Conn) -> None:
    exc = expect_error(seeded, f"UPDATE {SCHEMA}.conversations SET model_id = gen_random_uuid() WHERE id = 1001")
    assert isinstance(exc, errors.ForeignKeyViolation)
    assert exc.diag.constraint_name == "fk_conversations_model_id"


def test_money_columns_are_numeric(db: Conn) -> None:
    types = dict(db.execute(
        """SELECT c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid WHERE c.relnamespace = %s::regnamespace
             AND a.attname IN ('amount', 'conversion_value', 'event_value')""", (SCHEMA,)).fetchall())
    assert types == {"subscriptions.amount": "numeric(12,2)", "payments.amount": "numeric(12,2)",
                     "leads.conversion_value": "numeric(14,2)", "analytics_events.event_value": "numeric"}
