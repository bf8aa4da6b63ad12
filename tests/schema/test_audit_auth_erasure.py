"""Audit log, API key authentication, erasure and health, against the seeded product database."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from psycopg import errors

from tests.helpers.schema import ORG_A, ORG_B, REPO_ROOT, Conn, acting, expect_error

# Development secrets of the seeds (docs/seeds.md).
API_KEY_HMAC_KEY = b"dev-api-key-hmac-key-not-for-production"
ADMIN_A = "aaaaaaaa-0000-4000-8000-000000000002"
MEMBER_A = "aaaaaaaa-0000-4000-8000-000000000003"
LEAVER_A = "aaaaaaaa-0000-4000-8000-000000000005"
REQUEST_A = "aaaaaaaa-0000-4000-8000-0000000000e1"


def secret_hash(secret: str) -> bytes:
    return hmac.new(API_KEY_HMAC_KEY, secret.encode(), hashlib.sha256).digest()


def authenticate(conn: Conn, prefix: str, secret: str) -> list[tuple]:
    with acting(conn, "app_rw", None):
        return conn.execute("SELECT organization_id::text, api_key_id::text, user_id::text, scopes "
                            "FROM app.authenticate_api_key(%s, %s)", (prefix, secret_hash(secret))).fetchall()


# -- audit ---------------------------------------------------------------------------------------

def test_changes_are_audited_with_actor_and_checksum(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A, user=ADMIN_A):
        seeded.execute("UPDATE core.users SET role = 'admin' WHERE user_id = %s", (MEMBER_A,))
        txid = seeded.execute("SELECT pg_current_xact_id()::text").fetchone()[0]
    event = seeded.execute(
        """SELECT db_role, app_user_id::text, organization_id::text, action, primary_key, changed_columns,
                  old_values, new_values, transaction_id::text, checksum = audit.event_checksum(e)
           FROM audit.events e WHERE table_name = 'users' AND action = 'UPDATE' ORDER BY event_id DESC LIMIT 1"""
    ).fetchone()
    assert event[:4] == ("app_rw", ADMIN_A, ORG_A, "UPDATE")
    assert event[4] == {"organization_id": ORG_A, "user_id": MEMBER_A}
    assert event[5] == ["role", "updated_at"]  # only what changed (updated_at by its trigger)
    assert event[6]["role"] == "member" and event[7]["role"] == "admin"
    assert event[8] == txid
    assert event[9] is True


def test_pii_and_secret_columns_are_redacted(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("UPDATE core.users SET display_name = 'New Name' WHERE user_id = %s", (MEMBER_A,))
    old, new = seeded.execute("SELECT old_values, new_values FROM audit.events WHERE table_name = 'users' "
                              "AND action = 'UPDATE' ORDER BY event_id DESC LIMIT 1").fetchone()
    assert old["display_name"] == new["display_name"] == "[redacted]"
    assert set(old) == set(new) == {"display_name", "updated_at"}
    inserted = seeded.execute("SELECT new_values FROM audit.events WHERE table_name = 'users' AND action = 'INSERT' "
                              "AND new_values ->> 'role' = 'owner' LIMIT 1").fetchone()[0]
    assert inserted["email_hmac"] == inserted["display_name"] == inserted["password_hash"] == "[redacted]"
    key = seeded.execute("SELECT new_values FROM audit.events WHERE table_name = 'api_keys' LIMIT 1").fetchone()[0]
    assert key["secret_hash"] == "[redacted]" and key["prefix"].startswith("ak_")
    # Nothing sensitive anywhere in the log: no seeded HMAC or password hash appears in it.
    leaked = seeded.execute(
        """SELECT count(*) FROM audit.events e, core.users u
           WHERE e.new_values::text LIKE '%' || encode(u.email_hmac, 'hex') || '%'
              OR e.new_values::text LIKE '%' || u.password_hash || '%'""").fetchone()[0]
    assert leaked == 0


def test_activity_timestamps_alone_are_not_audited(seeded: Conn) -> None:
    count = "SELECT count(*) FROM audit.events"
    before = seeded.execute(count).fetchone()[0]
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("UPDATE core.users SET last_seen_at = now()")
    assert seeded.execute(count).fetchone()[0] == before


def test_audit_log_is_append_only_for_every_role(seeded: Conn) -> None:
    for role in (None, "app_owner", "app_rw", "app_ro"):  # None: the superuser running the tests
        for statement in ("UPDATE audit.events SET action = 'DELETE'", "DELETE FROM audit.events",
                          "TRUNCATE audit.events"):
            with acting(seeded, role, ORG_A):
                exc = expect_error(seeded, statement)
            assert isinstance(exc, errors.InsufficientPrivilege), f"{role}: {statement}: {exc}"
            if role is None:  # a superuser passes the grants; the trigger refuses
                assert "append-only" in exc.diag.message_primary
    assert seeded.execute("SELECT count(*) FROM audit.events").fetchone()[0] > 0


def test_app_roles_cannot_write_the_audit_log(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, "INSERT INTO audit.events (db_role, db_session_user, action, schema_name, "
                                   "table_name, checksum) VALUES ('x', 'x', 'INSERT', 'core', 'users', sha256('x'))")
        assert isinstance(exc, errors.InsufficientPrivilege)
        exc = expect_error(seeded, "SELECT audit.write_event('INSERT', 'core', 'users', NULL, NULL, NULL, NULL, "
                                   "NULL, 'x')")
        assert isinstance(exc, errors.InsufficientPrivilege)


def test_migration_runs_are_audited(db: Conn) -> None:
    rows = db.execute(
        """SELECT e.new_values ->> 'version', e.new_values ->> 'direction', e.new_values ->> 'checksum', e.db_role
           FROM audit.events e WHERE e.action = 'MIGRATION' AND e.new_values ->> 'operation' = 'apply'""").fetchall()
    audited = {r[0]: (r[1], r[2]) for r in rows}
    applied = dict(db.execute("SELECT version, checksum FROM dbrun.migrations").fetchall())
    # Every migration from the one installing the trigger on is in the audit log, with its checksum.
    expected = {v: c for v, c in applied.items() if v >= "202611230930"}
    assert {v: c for v, (d, c) in audited.items()} == expected
    assert {d for d, _ in audited.values()} == {"up"}
    assert all(r[3] for r in rows)


# -- API key authentication ----------------------------------------------------------------------

def test_active_key_authenticates(seeded: Conn) -> None:
    rows = authenticate(seeded, "ak_acmeactive10", "dev_acme_active_secret")
    assert len(rows) == 1
    org, key, user, scopes = rows[0]
    assert org == ORG_A and user == "aaaaaaaa-0000-4000-8000-000000000001"
    assert "inference:write" in scopes
    used = seeded.execute("SELECT last_used_at IS NOT NULL FROM core.api_keys WHERE api_key_id = %s", (key,))
    assert used.fetchone()[0]


INVALID_KEYS = {
    "revoked": ("ak_acmerevoked0", "dev_acme_revoked_secret"),
    "expired (status active, expires_at past)": ("ak_acmeexpired0", "dev_acme_expired_secret"),
    "wrong hash": ("ak_acmeactive10", "wrong secret"),
    "unknown prefix": ("ak_nosuchprefix", "dev_acme_active_secret"),
    "another key's secret": ("ak_globexactive", "dev_acme_active_secret"),
}


def test_invalid_keys_return_nothing(seeded: Conn) -> None:
    accepted = [case for case, (prefix, secret) in INVALID_KEYS.items() if authenticate(seeded, prefix, secret)]
    assert accepted == []
    assert seeded.execute("SELECT count(*) FROM core.api_keys WHERE last_used_at IS NOT NULL").fetchone()[0] == 0


def test_keys_of_suspended_organizations_or_deleted_users_do_not_authenticate(seeded: Conn) -> None:
    seeded.execute("UPDATE core.organizations SET status = 'suspended' WHERE organization_id = %s", (ORG_B,))
    assert authenticate(seeded, "ak_globexactive", "dev_globex_active_secret") == []
    seeded.execute("UPDATE core.users SET deleted_at = now() WHERE user_id = 'aaaaaaaa-0000-4000-8000-000000000001'")
    assert authenticate(seeded, "ak_acmeactive10", "dev_acme_active_secret") == []


def test_app_roles_never_read_secret_hashes_directly(seeded: Conn) -> None:
    for role in ("app_rw", "app_ro"):
        with acting(seeded, role, ORG_A):
            exc = expect_error(seeded, "SELECT secret_hash FROM core.api_keys")
        assert isinstance(exc, errors.InsufficientPrivilege)
    with acting(seeded, "app_ro", None):
        exc = expect_error(seeded, "SELECT * FROM app.authenticate_api_key('ak_acmeactive10', '\\x00')")
    assert isinstance(exc, errors.InsufficientPrivilege)


def test_service_flow_authenticate_write_read(seeded: Conn) -> None:
    """What a service does with the seeds loaded: authenticate, then one write and one read under RLS."""
    org, _key, user, _scopes = authenticate(seeded, "ak_globexactive", "dev_globex_active_secret")[0]
    assert org == ORG_B
    with acting(seeded, "app_rw", org, user):
        seeded.execute("INSERT INTO core.budgets (organization_id, period, period_start, amount) "
                       "VALUES (%s, 'year', '2027-01-01', 5000)", (org,))
        budgets = seeded.execute("SELECT DISTINCT organization_id::text FROM core.budgets").fetchall()
        keys = seeded.execute("SELECT effective_status FROM core.api_key_overview ORDER BY prefix").fetchall()
    assert budgets == [(ORG_B,)]
    assert [k[0] for k in keys] == ["active", "expired", "revoked"]


# -- erasure -------------------------------------------------------------------------------------

def test_complete_erasure_request(seeded: Conn) -> None:
    seeded.execute("UPDATE core.api_keys SET user_id = %s WHERE api_key_id = 'aaaaaaaa-0000-4000-8000-0000000000a1'",
                   (LEAVER_A,))
    with acting(seeded, "app_rw", ORG_A):
        status = seeded.execute("SELECT status, completed_at IS NOT NULL "
                                "FROM governance.complete_erasure_request(%s)", (REQUEST_A,)).fetchone()
    assert status == ("completed", True)
    user = seeded.execute("SELECT email_hmac, display_name, password_hash, deleted_at IS NOT NULL, "
                          "anonymised_at IS NOT NULL FROM core.users WHERE user_id = %s", (LEAVER_A,)).fetchone()
    assert user == (None, None, None, True, True)
    keys = seeded.execute("SELECT DISTINCT status FROM core.api_keys WHERE user_id = %s", (LEAVER_A,)).fetchall()
    assert keys == [("revoked",)]
    assert authenticate(seeded, "ak_acmeactive10", "dev_acme_active_secret") == []
    # The audit trail of the erasure holds no personal data.
    values = seeded.execute("SELECT old_values FROM audit.events WHERE table_name = 'users' AND action = 'UPDATE' "
                            "AND primary_key ->> 'user_id' = %s", (LEAVER_A,)).fetchone()[0]
    assert values["display_name"] == "[redacted]" and values["email_hmac"] == "[redacted]"
    # Completing twice, or from another tenant, finds no pending request.
    for org in (ORG_A, ORG_B):
        with acting(seeded, "app_rw", org):
            exc = expect_error(seeded, "SELECT governance.complete_erasure_request(%s)", (REQUEST_A,))
        assert isinstance(exc, errors.NoDataFound)


def test_erasure_request_of_another_tenant_is_invisible(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_B):
        exc = expect_error(seeded, "SELECT governance.complete_erasure_request(%s)", (REQUEST_A,))
    assert isinstance(exc, errors.NoDataFound)
    pending = seeded.execute("SELECT status FROM governance.erasure_requests WHERE erasure_request_id = %s",
                             (REQUEST_A,)).fetchone()[0]
    assert pending == "pending"


# -- health --------------------------------------------------------------------------------------

def test_schema_health_is_readable_by_app_roles(db: Conn) -> None:
    newest = max(p.name[:12] for p in Path(REPO_ROOT / "sql" / "up").glob("*.sql"))
    for role in ("app_rw", "app_ro"):
        with acting(db, role, None):
            version, name, at, applied, partial, overdue, ddl_audit = db.execute(
                "SELECT * FROM app.schema_health()").fetchone()
        assert version == newest and name.startswith(newest)
        assert at is not None and applied >= 11 and partial == 0
        assert overdue == 0 and ddl_audit is True
    with acting(db, "app_rw", None):
        exc = expect_error(db, "SELECT * FROM dbrun.migrations")
    assert isinstance(exc, errors.InsufficientPrivilege)
