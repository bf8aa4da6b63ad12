"""The global keys of distributed tables on the cluster (docs/scale-out.md, "Global keys"): an API key
prefix and a conversational user email are unique across tenants through a claim in a reference table
(citus/after/22_global_keys.sql), which the row's foreign key requires. Refusals are asserted by SQLSTATE
and constraint name, as the services log in (LOGIN roles granted app_rw) and as the migrator, whom
row-level security does not filter."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from tests.helpers.citus import Conn, tenant_session, violated_constraint
from tests.helpers.schema import ORG_A, ORG_B

ACME_PREFIX = "ak_acmeactive10"  # seeds/20_acme.sql
ACME_EMAIL = "owner@acme.example"  # seeds/60_conversational.sql
ACME_OWNER = "aaaaaaaa-0000-4000-8000-000000000001"
GLOBEX_OWNER = "bbbbbbbb-0000-4000-8000-000000000001"  # seeds/30_globex.sql
OWNERS = {ORG_A: ACME_OWNER, ORG_B: GLOBEX_OWNER}
PASSWORD = "$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw"


def _claim_prefix(conn: Conn, org: str, prefix: str) -> None:
    conn.execute("INSERT INTO core.api_key_prefixes (prefix, organization_id) VALUES (%s, %s)", (prefix, org))


def _add_key(conn: Conn, org: str, prefix: str) -> None:
    conn.execute("""INSERT INTO core.api_keys (organization_id, user_id, name, prefix, secret_hash, scopes)
                    VALUES (%s, %s, 'Test key', %s, pg_catalog.sha256('x'), '{models:read}')""",
                 (org, OWNERS[org], prefix))


def _claim_email(conn: Conn, org: str, email: str) -> None:
    conn.execute("INSERT INTO conversational.user_emails (email, organization_id) VALUES (%s, %s)", (email, org))


def _add_user(conn: Conn, org: str, email: str) -> int:
    row = conn.execute("""INSERT INTO conversational.users (organization_id, email, hashed_password, full_name)
                          VALUES (%s, %s, %s, 'Test User') RETURNING id""", (org, email, PASSWORD)).fetchone()
    assert row is not None
    return int(row[0])


def _refusal(error: psycopg.Error) -> tuple[str | None, str | None]:
    return error.sqlstate, violated_constraint(error)


def test_a_prefix_claimed_by_another_tenant_cannot_be_claimed(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn, pytest.raises(errors.UniqueViolation) as caught:
        _claim_prefix(conn, ORG_B, ACME_PREFIX)
    assert _refusal(caught.value) == ("23505", "pk_api_key_prefixes")


def test_a_key_with_the_prefix_of_another_tenant_is_refused(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        _add_key(conn, ORG_B, ACME_PREFIX)
    assert _refusal(caught.value) == ("23503", "fk_api_keys_prefix")


def test_a_duplicate_prefix_is_refused_to_the_migrator_too(citus_url: str) -> None:
    """Row-level security does not filter the migrator: only the keys can refuse it."""
    with psycopg.connect(citus_url) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        _add_key(conn, ORG_B, ACME_PREFIX)
    assert _refusal(caught.value) == ("23503", "fk_api_keys_prefix")


def test_a_key_without_a_claim_is_refused(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        _add_key(conn, ORG_B, "ak_unclaimed001")
    assert _refusal(caught.value) == ("23503", "fk_api_keys_prefix")


def test_a_key_claimed_by_its_tenant_in_the_same_transaction_is_accepted(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn:
        _claim_prefix(conn, ORG_B, "ak_globexnew001")
        _add_key(conn, ORG_B, "ak_globexnew001")
        assert conn.execute("SELECT count(*) FROM core.api_keys WHERE organization_id = %s AND prefix = %s",
                            (ORG_B, "ak_globexnew001")).fetchone() == (1,)


def test_a_tenant_claims_only_for_itself(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn, pytest.raises(errors.InsufficientPrivilege) as caught:
        _claim_prefix(conn, ORG_A, "ak_forotherte01")
    assert "row-level security" in (caught.value.diag.message_primary or "")


def test_a_tenant_sees_only_its_own_claims(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn:
        prefixes = conn.execute("SELECT DISTINCT organization_id::text FROM core.api_key_prefixes").fetchall()
        emails = conn.execute("SELECT DISTINCT organization_id::text FROM conversational.user_emails").fetchall()
    assert prefixes == [(ORG_B,)] and emails == [(ORG_B,)]


def test_the_prefix_stays_unique_within_the_tenant(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn, pytest.raises(errors.UniqueViolation) as caught:
        _add_key(conn, ORG_A, ACME_PREFIX)
    assert _refusal(caught.value) == ("23505", "uq_api_keys_organization_id_prefix")


def test_a_claim_in_use_cannot_be_released(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        conn.execute("DELETE FROM core.api_key_prefixes WHERE prefix = %s", (ACME_PREFIX,))
    assert _refusal(caught.value) == ("23503", "fk_api_keys_prefix")


def test_an_email_claimed_by_another_tenant_cannot_be_claimed(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn, pytest.raises(errors.UniqueViolation) as caught:
        _claim_email(conn, ORG_B, ACME_EMAIL)
    assert _refusal(caught.value) == ("23505", "pk_user_emails")


def test_a_user_with_the_email_of_another_tenant_is_refused(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_B) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        _add_user(conn, ORG_B, ACME_EMAIL)
    assert _refusal(caught.value) == ("23503", "fk_users_email")


def test_a_duplicate_email_is_refused_to_the_migrator_too(citus_url: str) -> None:
    with psycopg.connect(citus_url) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        _add_user(conn, ORG_B, ACME_EMAIL)
    assert _refusal(caught.value) == ("23503", "fk_users_email")


def test_a_released_email_can_be_claimed_by_another_tenant(citus_url: str) -> None:
    """The service deletes a user, then its claim; the email is then free for every tenant, as on plain PostgreSQL."""
    email = "leaving@acme.example"
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        _claim_email(conn, ORG_A, email)
        user = _add_user(conn, ORG_A, email)
        conn.execute("DELETE FROM conversational.users WHERE organization_id = %s AND id = %s", (ORG_A, user))
        conn.execute("DELETE FROM conversational.user_emails WHERE email = %s", (email,))
        conn.execute(sql.SQL("SET LOCAL app.org_id = {}").format(sql.Literal(ORG_B)))
        _claim_email(conn, ORG_B, email)
        _add_user(conn, ORG_B, email)
        assert conn.execute("SELECT count(*) FROM conversational.users WHERE organization_id = %s AND email = %s",
                            (ORG_B, email)).fetchone() == (1,)


def test_the_claim_tables_are_reference_tables_with_their_seeded_claims(citus_url: str) -> None:
    with psycopg.connect(citus_url) as conn:
        kinds = conn.execute("""SELECT logicalrelid::regclass::text, partmethod, repmodel FROM pg_dist_partition
                                WHERE logicalrelid IN ('core.api_key_prefixes'::regclass,
                                                       'conversational.user_emails'::regclass) ORDER BY 1""").fetchall()
        unclaimed = conn.execute("""SELECT (SELECT count(*) FROM core.api_keys AS k WHERE NOT EXISTS (
                                        SELECT FROM core.api_key_prefixes AS c
                                        WHERE (c.organization_id, c.prefix) = (k.organization_id, k.prefix))),
                                           (SELECT count(*) FROM core.api_keys)""").fetchone()
    assert kinds == [("conversational.user_emails", "n", "t"), ("core.api_key_prefixes", "n", "t")]
    assert unclaimed == (0, 6)


# seeds/20_acme.sql: the owner's active key and the member's revoked key (secret hashes; docs/seeds.md).
ACTIVE_HASH = bytes.fromhex("42bf42aa2b9850af51c0a2ede5506650a6aa8318cab00e1f9d1552cb4d1c8415")
REVOKED_HASH = bytes.fromhex("ad801047c58979ab9fe2cedb535739eec138c655bb530563e36705c54915e789")


def _authenticate(conn: Conn, prefix: str, secret_hash: bytes) -> list[tuple[object, ...]]:
    return conn.execute("SELECT organization_id::text, api_key_id::text, user_id::text, scopes "
                        "FROM app.authenticate_api_key(%s, %s)", (prefix, secret_hash)).fetchall()


def test_an_api_key_authenticates_through_its_claim(citus_url: str) -> None:
    """Before its tenant is known: the prefix's claim names the tenant, then one shard is read."""
    with tenant_session(citus_url, "app_rw", None) as conn:
        found = _authenticate(conn, ACME_PREFIX, ACTIVE_HASH)
    assert found == [(ORG_A, "aaaaaaaa-0000-4000-8000-0000000000a1", ACME_OWNER,
                      ["models:read", "inference:write", "budgets:read", "budgets:write", "usage:read", "keys:manage"])]


def test_a_wrong_secret_a_revoked_key_or_an_unknown_prefix_authenticates_nothing(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", None) as conn:
        assert _authenticate(conn, ACME_PREFIX, REVOKED_HASH) == []
        assert _authenticate(conn, "ak_acmerevoked0", REVOKED_HASH) == []
        assert _authenticate(conn, "ak_nosuchprefix", ACTIVE_HASH) == []
