"""The holes of issue 11, tried the way an attacker would: logged in as LOGIN roles granted app_rw or
app_ro (never superuser), against the seeded product database with its data committed. The owner's
tampering is tried as the owner role. Each attack must fail with the SQLSTATE named in the test,
or be detected by the audit chain check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from psycopg import errors

from tests.helpers.schema import ORG_A, ORG_B, REPO_ROOT, Conn, expect_error, service_session, url_as

ADMIN_A = "aaaaaaaa-0000-4000-8000-000000000002"
LEAVER_A = "aaaaaaaa-0000-4000-8000-000000000005"
ADMIN_B = "bbbbbbbb-0000-4000-8000-000000000002"
REQUEST_A = "aaaaaaaa-0000-4000-8000-0000000000e1"
BUDGET_A = "aaaaaaaa-0000-4000-8000-0000000000b1"

# SQLSTATEs this schema raises for the attacks (docs/schema.md, "Security").
INSUFFICIENT_PRIVILEGE = "42501"
INVALID_AUTHORIZATION = "28000"
NOT_IN_PREREQUISITE_STATE = "55000"
NO_DATA_FOUND = "P0002"


@pytest.fixture
def committed(seeded: Conn, product_url: str) -> str:
    """The seeded product database with the seeds committed, so other logins see them; its URL."""
    seeded.commit()
    return product_url


def _policies_and_acl(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("""SELECT (SELECT count(*) FROM pg_policies),
                                     (SELECT relacl::text FROM pg_class WHERE oid = 'audit.events'::regclass),
                                     (SELECT string_agg(tgname::text || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
                                      WHERE tgrelid = 'audit.events'::regclass)""").fetchone()
        assert row is not None
        return tuple(row)


# -- escalation 1: a definer function working through the caller's temp tables --------------------

def test_refresh_rollups_never_runs_a_callers_temp_table_triggers(committed: str) -> None:
    """The sketch of the issue: app_rw pre-creates the refresh's scratch table with a trigger that
    would run as app_owner. The refresh no longer uses temp tables: the trigger never fires."""
    before = _policies_and_acl(committed)
    with service_session(committed, "app_rw", ORG_A) as conn:
        conn.execute("""CREATE FUNCTION pg_temp.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
                        BEGIN
                            CREATE POLICY pwned ON core.users FOR SELECT TO app_rw USING (true);
                            GRANT UPDATE ON audit.events TO app_owner;
                            RETURN NULL;
                        END $$""")
        for table in ("usage_refresh_marks", "usage_refresh_claimed", "usage_refresh_days", "usage_refresh_hourly"):
            conn.execute(f"CREATE TEMP TABLE {table} (x int)")
            conn.execute(f"CREATE TRIGGER t BEFORE TRUNCATE OR INSERT ON pg_temp.{table} "
                         "FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.escalate()")
        refreshed = conn.execute("SELECT buckets FROM usage.refresh_rollups(1)").fetchone()
        assert refreshed is not None and refreshed[0] >= 1  # the seeds leave buckets queued: it really ran
        conn.commit()
    assert _policies_and_acl(committed) == before


def test_app_rw_cannot_create_policies_even_when_owner_code_runs(committed: str) -> None:
    """What the escalation wanted, tried directly: app_rw does not own core.users (42501)."""
    with service_session(committed, "app_rw", ORG_A) as conn:
        exc = expect_error(conn, "CREATE POLICY pwned ON core.users FOR SELECT TO app_rw USING (true)")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


# -- escalation 2: forged audit events through a temp table ------------------------------------------

@pytest.mark.parametrize("group", ["app_ro", "app_rw"])
def test_app_roles_cannot_attach_the_audit_trigger_to_a_temp_table(committed: str, group: str) -> None:
    with service_session(committed, group, ORG_A) as conn:
        conn.execute("CREATE TEMP TABLE forged (organization_id uuid, event text)")
        exc = expect_error(conn, "CREATE TRIGGER forge AFTER INSERT ON pg_temp.forged "
                                 "FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row()")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_app_rw_cannot_attach_the_migration_log_trigger_to_forge_migration_events(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        conn.execute("CREATE TEMP TABLE log (id int, db_user text)")
        exc = expect_error(conn, "CREATE TRIGGER forge AFTER INSERT ON pg_temp.log "
                                 "FOR EACH ROW EXECUTE FUNCTION audit.tg_log_audit()")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_app_roles_cannot_write_events_through_the_internal_writer(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        exc = expect_error(conn, "SELECT audit.write_event('MIGRATION', 'dbrun', 'log', NULL, NULL, NULL, NULL, "
                                 "NULL, 'postgres')")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_audit_trigger_refuses_a_temp_table_even_when_attached_by_a_superuser(db: Conn) -> None:
    db.execute("CREATE TEMP TABLE forged (organization_id uuid)")
    db.execute("CREATE TRIGGER forge AFTER INSERT ON pg_temp.forged FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row()")
    exc = expect_error(db, "INSERT INTO pg_temp.forged VALUES (%s)", (ORG_B,))
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_no_product_function_is_executable_by_public(db: Conn) -> None:
    rows = db.execute("""SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                         WHERE n.nspname IN ('app', 'core', 'governance', 'audit', 'usage')
                           AND has_function_privilege('public', p.oid, 'EXECUTE')""").fetchall()
    assert rows == []


# -- temporary tables ----------------------------------------------------------------------------------

def test_only_app_rw_may_create_temp_tables_after_up(db_url: str, dbrun_cli: Callable[..., Any]) -> None:
    """Database privileges are not copied into cloned test databases: this one is migrated by dbrun."""
    up = dbrun_cli("up", url=db_url)
    assert up.exit_code == 0, up.stdout + up.stderr
    with service_session(db_url, "app_ro") as conn:
        exc = expect_error(conn, "CREATE TEMP TABLE staging (x int)")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE
    with service_session(db_url, "app_rw") as conn:
        conn.execute("CREATE TEMP TABLE staging (x int)")  # bulk ingest stages batches this way


# -- recorded actor -----------------------------------------------------------------------------------

def test_write_attributed_to_a_user_of_another_tenant_is_refused(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A, user=ADMIN_B) as conn:
        exc = expect_error(conn, "UPDATE core.budgets SET amount = amount + 1 WHERE budget_id = %s", (BUDGET_A,))
    assert exc.sqlstate == INVALID_AUTHORIZATION
    assert ADMIN_B in (exc.diag.message_primary or "")


def test_write_attributed_to_a_user_of_the_tenant_is_recorded(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A, user=ADMIN_A) as conn:
        conn.execute("UPDATE core.budgets SET amount = amount + 1 WHERE budget_id = %s", (BUDGET_A,))
        actor = conn.execute("SELECT app_user_id::text FROM audit.tenant_events WHERE table_name = 'budgets' "
                             "ORDER BY event_id DESC LIMIT 1").fetchone()
    assert actor == (ADMIN_A,)


# -- erasure -------------------------------------------------------------------------------------------

def test_app_rw_cannot_mark_a_request_completed_with_update(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        exc = expect_error(conn, "UPDATE governance.erasure_requests SET status = 'completed', completed_at = now() "
                                 "WHERE erasure_request_id = %s", (REQUEST_A,))
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_app_rw_cannot_fake_the_completion_marker(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        conn.execute("SELECT set_config('governance.completing_erasure_request', %s, true)", (REQUEST_A,))
        exc = expect_error(conn, "UPDATE governance.erasure_requests SET status = 'completed', completed_at = now() "
                                 "WHERE erasure_request_id = %s", (REQUEST_A,))
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_app_rw_cannot_insert_a_completed_request(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        exc = expect_error(conn, "INSERT INTO governance.erasure_requests (organization_id, user_id, status, completed_at) "
                                 "VALUES (%s, %s, 'completed', now())", (ORG_A, ADMIN_A))
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_a_completed_request_is_final(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        conn.execute("SELECT governance.complete_erasure_request(%s)", (REQUEST_A,))
        exc = expect_error(conn, "UPDATE governance.erasure_requests SET status = 'rejected' "
                                 "WHERE erasure_request_id = %s", (REQUEST_A,))
    assert exc.sqlstate == NOT_IN_PREREQUISITE_STATE


def test_the_all_tenants_opt_out_does_not_reach_another_tenants_request(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_B) as conn:
        conn.execute("SELECT set_config('app.all_tenants', 'on', true)")
        exc = expect_error(conn, "SELECT governance.complete_erasure_request(%s)", (REQUEST_A,))
    assert exc.sqlstate == NO_DATA_FOUND


def test_after_erasure_no_personal_data_of_the_person_is_readable(committed: str) -> None:
    # The leaver was active: their activity timestamps are in the row and in the audit trail.
    with service_session(committed, "app_rw", ORG_A) as conn:
        conn.execute("UPDATE core.users SET last_login_at = '2026-11-01 09:00+00', display_name = 'Leaver Renamed' "
                     "WHERE user_id = %s", (LEAVER_A,))
        conn.commit()
    with service_session(committed, "app_rw", ORG_A) as conn:
        conn.execute("SELECT governance.complete_erasure_request(%s)", (REQUEST_A,))
        conn.commit()
    for group in ("app_rw", "app_ro"):
        with service_session(committed, group, ORG_A) as conn:
            trail = conn.execute("SELECT coalesce(old_values::text, '') || coalesce(new_values::text, '') "
                                 "FROM audit.tenant_events WHERE table_name = 'users' AND primary_key ->> 'user_id' = %s",
                                 (LEAVER_A,)).fetchall()
            assert trail, "the erasure itself is audited"
            text = " ".join(row[0] for row in trail)
            assert "2026-11-01" not in text and "Leaver" not in text
    with service_session(committed, "app_rw", ORG_A) as conn:
        row = conn.execute("SELECT email_hmac, display_name, password_hash, last_login_at, last_seen_at, "
                           "anonymised_at IS NOT NULL FROM core.users WHERE user_id = %s", (LEAVER_A,)).fetchone()
    assert row == (None, None, None, None, None, True)


def test_values_logged_before_a_column_became_pii_are_redacted_when_read(committed: str) -> None:
    """Events written before 202611291205 hold activity timestamps in clear: the log is never
    rewritten, the app roles read it through audit.tenant_events, redacted by today's classification."""
    with psycopg.connect(committed) as owner:
        owner.execute("UPDATE governance.column_classifications SET classification = 'confidential' "
                      "WHERE (schema_name, table_name, column_name) = ('core', 'users', 'last_login_at')")
        owner.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
        owner.execute("UPDATE core.users SET last_login_at = '2026-11-02 08:00+00' WHERE user_id = %s", (LEAVER_A,))
        owner.execute("UPDATE governance.column_classifications SET classification = 'pii' "
                      "WHERE (schema_name, table_name, column_name) = ('core', 'users', 'last_login_at')")
        logged = owner.execute("SELECT new_values ->> 'last_login_at' FROM audit.events WHERE table_name = 'users' "
                               "ORDER BY event_id DESC LIMIT 1").fetchone()
        assert logged is not None and logged[0] is not None and logged[0].startswith("2026-11-02")
    for group in ("app_rw", "app_ro"):
        with service_session(committed, group, ORG_A) as conn:
            read = conn.execute("SELECT new_values ->> 'last_login_at' FROM audit.tenant_events "
                                "WHERE table_name = 'users' ORDER BY event_id DESC LIMIT 1").fetchone()
            assert read == ("[redacted]",)


@pytest.mark.parametrize("group", ["app_rw", "app_ro"])
def test_app_roles_cannot_read_the_raw_audit_log(committed: str, group: str) -> None:
    with service_session(committed, group, ORG_A) as conn:
        exc = expect_error(conn, "SELECT old_values FROM audit.events")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_tenant_events_show_only_the_current_tenant(committed: str) -> None:
    with service_session(committed, "app_ro", ORG_A) as conn:
        orgs = conn.execute("SELECT DISTINCT organization_id::text FROM audit.tenant_events").fetchall()
    with service_session(committed, "app_ro") as conn:
        none = conn.execute("SELECT count(*) FROM audit.tenant_events").fetchone()
    assert orgs == [(ORG_A,)] and none == (0,)


def test_app_ro_never_reads_activity_timestamps(committed: str) -> None:
    with service_session(committed, "app_ro", ORG_A) as conn:
        exc = expect_error(conn, "SELECT last_login_at FROM core.users")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_completion_fails_when_a_registered_handler_is_missing(seeded: Conn) -> None:
    seeded.execute("INSERT INTO governance.erasure_handlers (subject_type, handler, description) "
                   "VALUES ('user', 'core.erase_nothing(governance.erasure_requests)', 'missing on purpose')")
    seeded.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
    exc = expect_error(seeded, "SELECT governance.complete_erasure_request(%s)", (REQUEST_A,))
    assert exc.sqlstate == "42883"
    status = seeded.execute("SELECT status FROM governance.erasure_requests WHERE erasure_request_id = %s",
                            (REQUEST_A,)).fetchone()
    assert status == ("pending",)


# -- the owner tampering with the log ---------------------------------------------------------------

def test_owner_regrant_then_update_is_refused_by_the_always_trigger(seeded: Conn) -> None:
    seeded.execute("SET ROLE app_owner")
    seeded.execute("GRANT UPDATE ON audit.events TO app_owner")
    exc = expect_error(seeded, "UPDATE audit.events SET db_role = 'someone_else' WHERE event_id = 1")
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


@pytest.mark.parametrize("statement", ["UPDATE audit.events SET db_role = 'x'", "DELETE FROM audit.events",
                                       "TRUNCATE audit.events", "DELETE FROM audit.chain_links"])
def test_replica_mode_does_not_bypass_append_only(seeded: Conn, statement: str) -> None:
    seeded.execute("SELECT audit.seal_events()")
    seeded.execute("SET session_replication_role = replica")
    exc = expect_error(seeded, statement)
    assert exc.sqlstate == INSUFFICIENT_PRIVILEGE


def test_replica_mode_writes_are_still_audited(seeded: Conn) -> None:
    count = "SELECT count(*) FROM audit.events WHERE table_name = 'budgets'"
    before = seeded.execute(count).fetchone()
    seeded.execute("SET session_replication_role = replica")
    seeded.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
    seeded.execute("UPDATE core.budgets SET amount = amount + 1 WHERE budget_id = %s", (BUDGET_A,))
    seeded.execute("RESET session_replication_role")
    after = seeded.execute(count).fetchone()
    assert before is not None and after is not None and after[0] == before[0] + 1


def test_owner_rewrite_with_the_trigger_disabled_is_named_by_the_chain_check(
        committed: str, dbrun_cli: Callable[..., Any]) -> None:
    with psycopg.connect(committed, autocommit=True) as conn:
        conn.execute("SELECT audit.seal_events()")
        victim, later = conn.execute("SELECT min(event_id), max(event_id) FROM audit.events "
                                     "WHERE table_name = 'users'").fetchone() or (None, None)
        assert victim is not None and later is not None and later > victim
        with conn.transaction():
            conn.execute("SET LOCAL ROLE app_owner")
            conn.execute("GRANT UPDATE ON audit.events TO app_owner")
            conn.execute("ALTER TABLE audit.events DISABLE TRIGGER trg_events_append_only")
            # Rewrite the event and recompute its own checksum: the payload check alone would pass.
            conn.execute("UPDATE audit.events SET db_role = 'someone_else' WHERE event_id = %s", (victim,))
            conn.execute("UPDATE audit.events e SET checksum = audit.event_checksum(e) WHERE event_id = %s", (victim,))
            conn.execute("ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_append_only")
        broken = conn.execute("SELECT event_id, problem FROM audit.verify_chain()").fetchall()
    assert broken[0][0] == victim and broken[0][1].startswith("chain link broken")
    verify = dbrun_cli("verify", url=committed)
    assert verify.exit_code == 1 and "audit_chain_intact" in verify.stdout


def test_intact_chain_verifies_clean(seeded: Conn) -> None:
    sealed = seeded.execute("SELECT audit.seal_events()").fetchone()
    assert sealed is not None and sealed[0] > 0
    assert seeded.execute("SELECT * FROM audit.verify_chain()").fetchall() == []
    assert seeded.execute("SELECT audit.seal_events()").fetchone() == (0,)  # everything was linked once


# -- DDL outside dbrun -------------------------------------------------------------------------------

def test_ddl_run_by_dbrun_is_tagged_with_its_run(db: Conn) -> None:
    counts = db.execute("""SELECT count(*) FILTER (WHERE new_values ->> 'dbrun_run_id' IS NOT NULL),
                                  count(*) FILTER (WHERE new_values ->> 'dbrun_run_id' IS NULL)
                           FROM audit.events WHERE action = 'DDL'""").fetchone()
    assert counts is not None and counts[0] > 0 and counts[1] == 0


def test_ddl_outside_dbrun_is_recorded_with_role_tag_object_and_statement(db: Conn) -> None:
    db.execute("CREATE TABLE core.handmade (x int)")
    db.execute("GRANT UPDATE ON audit.events TO app_owner")
    rows = db.execute("""SELECT db_role, new_values ->> 'command_tag', new_values ->> 'object_identity',
                                new_values ->> 'statement'
                         FROM audit.events WHERE action = 'DDL' AND new_values ->> 'dbrun_run_id' IS NULL
                         ORDER BY event_id""").fetchall()
    assert rows == [("postgres", "CREATE TABLE", "core.handmade", "CREATE TABLE core.handmade (x int)"),
                    ("postgres", "GRANT", None, "GRANT UPDATE ON audit.events TO app_owner")]


def test_ddl_audit_inactive_is_a_warning_in_verify_and_health(committed: str, dbrun_cli: Callable[..., Any]) -> None:
    with psycopg.connect(committed, autocommit=True) as conn:
        conn.execute("ALTER EVENT TRIGGER audit_ddl_command_end DISABLE")
    verify = dbrun_cli("verify", url=committed)
    assert verify.exit_code == 0, verify.stdout
    assert "DDL audit inactive" in verify.stdout
    health = dbrun_cli("health", url=committed)
    assert health.exit_code == 0, health.stdout
    assert "DDL audit inactive" in health.stdout


# -- retention and overdue erasure -----------------------------------------------------------------

def test_overdue_erasure_request_shows_in_health_function_cli_and_post_check(
        committed: str, dbrun_cli: Callable[..., Any]) -> None:
    with psycopg.connect(committed, autocommit=True) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, false)", (ORG_B,))
        conn.execute("""INSERT INTO governance.erasure_requests (organization_id, user_id, requested_at, due_at)
                        VALUES (%s, %s, now() - interval '40 days', now() - interval '10 days')""", (ORG_B, ADMIN_B))
    with service_session(committed, "app_ro") as conn:
        assert conn.execute("SELECT overdue_erasure_requests FROM app.schema_health()").fetchone() == (1,)
    health = dbrun_cli("health", url=committed)
    assert health.exit_code == 0 and "1 erasure request(s) pending past their due date" in health.stdout
    verify = dbrun_cli("verify", url=committed)
    assert verify.exit_code == 1 and "erasure_requests_overdue" in verify.stdout


def test_retention_anonymises_users_deleted_more_than_30_days_ago(seeded: Conn) -> None:
    seeded.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
    seeded.execute("UPDATE core.users SET deleted_at = now() - interval '31 days', "
                   "last_seen_at = now() - interval '31 days' WHERE user_id = %s", (LEAVER_A,))
    seeded.execute("SELECT set_config('app.org_id', '', true)")
    report = {(r[0], r[1]): r for r in seeded.execute(
        "SELECT schema_name, table_name, action, rows_affected, detail FROM governance.apply_retention()")}
    assert report[("core", "users")][2:4] == ("anonymise", 1)
    user = seeded.execute("SELECT email_hmac, display_name, last_seen_at, anonymised_at IS NOT NULL "
                          "FROM core.users WHERE user_id = %s", (LEAVER_A,)).fetchone()
    assert user == (None, None, None, True)
    assert report[("usage", "events")][2] == "delete"  # analytics: whole months past 13 months are dropped
    assert set(report) == {tuple(r) for r in seeded.execute(
        "SELECT schema_name, table_name FROM governance.retention_policies").fetchall()}


def test_retention_reports_a_delete_blocked_by_references(seeded: Conn) -> None:
    seeded.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
    seeded.execute("UPDATE core.organizations SET deleted_at = now() - interval '91 days' WHERE organization_id = %s",
                   (ORG_A,))
    seeded.execute("SELECT set_config('app.org_id', '', true)")
    row = seeded.execute("SELECT rows_affected, detail FROM governance.apply_retention() "
                         "WHERE table_name = 'organizations'").fetchone()
    assert row is not None and row[0] == 0 and row[1].startswith("blocked")
    assert seeded.execute("SELECT count(*) FROM core.organizations WHERE organization_id = %s",
                          (ORG_A,)).fetchone() == (1,)


def test_app_roles_cannot_run_retention(committed: str) -> None:
    with service_session(committed, "app_rw", ORG_A) as conn:
        exc = expect_error(conn, "SELECT * FROM governance.apply_retention()")
    assert isinstance(exc, errors.InsufficientPrivilege)


def test_ddl_audit_install_only_warns_when_the_migrator_may_not_create_event_triggers(committed: str) -> None:
    """A managed database: the migrator is not superuser. The install block of 202611291245 warns and
    leaves DDL audit inactive instead of failing the migration."""
    migration = (REPO_ROOT / "sql/up/202611291245_audit_ddl_event_triggers.sql").read_text(encoding="utf-8")
    install = migration[migration.index("DO $install$"):migration.index("$install$;") + len("$install$;")]
    with psycopg.connect(committed, autocommit=True) as admin:
        admin.execute("DROP EVENT TRIGGER audit_ddl_command_end; DROP EVENT TRIGGER audit_ddl_sql_drop")
        admin.execute("""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'migrator_login') THEN
                CREATE ROLE migrator_login LOGIN NOSUPERUSER IN ROLE app_migrator;
            END IF; END $$""")
    notices: list[str] = []
    with psycopg.connect(url_as(committed, "migrator_login"), autocommit=True) as migrator:
        migrator.add_notice_handler(lambda diag: notices.append(f"{diag.severity}: {diag.message_primary}"))
        migrator.execute(install)
        active = migrator.execute("SELECT audit.ddl_audit_active()").fetchone()
    assert active == (False,)
    assert notices == ["WARNING: DDL audit inactive: migrator_login may not create event triggers"]
