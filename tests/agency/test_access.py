"""Who sees what in the agency domain: manager-level visibility inside the tenant (staff see the
clients they manage or created, owners and admins all), secrets never readable by app_ro, foreign
keys that keep rows within one client and one tenant, audit triggers that always fire."""

from __future__ import annotations

from psycopg import errors

from tests.helpers.agency import ADMINS, LEAVER_A, MEMBER_A, MODULE_SEO, OWNER_A, VIEWER_A, seed_id
from tests.helpers.schema import ORG_A, ORG_B, Conn, acting, expect_error

CLIENT_SCOPED = ["agency.clients", "agency.client_app_overrides", "agency.module_installations",
                 "agency.module_licenses", "agency.system_configurations", "agency.deployment_configurations",
                 "agency.client_deployments", "agency.client_subscriptions", "agency.orchestration_workflows",
                 "agency.workflow_executions", "agency.handover_packages", "agency.handover_package_installations"]


def _clients_seen(conn: Conn, role: str, user: str | None, table: str = "agency.clients") -> set[int]:
    """Seeded client numbers (1-5 of acme) with rows visible in `table`."""
    numbers = {seed_id(ORG_A, "client", n): n for n in range(1, 6)}
    with acting(conn, role, ORG_A, user):
        rows = conn.execute(f"SELECT DISTINCT client_id::text FROM {table}").fetchall()
    return {numbers[r[0]] for r in rows}


def test_staff_see_the_clients_they_manage_or_created(seeded: Conn) -> None:
    assert _clients_seen(seeded, "app_rw", MEMBER_A) == {1, 2, 4}  # manages 1 and 2, created 4
    assert _clients_seen(seeded, "app_ro", VIEWER_A) == {3}


def test_owners_and_admins_see_every_client_of_their_agency_only(seeded: Conn) -> None:
    assert _clients_seen(seeded, "app_rw", ADMINS[ORG_A]) == {1, 2, 3, 4, 5}
    assert _clients_seen(seeded, "app_ro", OWNER_A) == {1, 2, 3, 4, 5}
    with acting(seeded, "app_rw", ORG_A, ADMINS[ORG_A]):
        assert seeded.execute("SELECT count(*) FROM agency.clients WHERE organization_id = %s", (ORG_B,)).fetchone() == (0,)


def test_no_user_a_deleted_user_or_a_user_of_another_agency_sees_no_client(seeded: Conn) -> None:
    seeded.execute("UPDATE core.users SET deleted_at = now() WHERE organization_id = %s AND user_id = %s",
                   (ORG_A, LEAVER_A))
    seeded.execute("UPDATE agency.clients SET assigned_manager_id = %s WHERE organization_id = %s AND client_id = %s",
                   (LEAVER_A, ORG_A, seed_id(ORG_A, "client", 5)))
    assert _clients_seen(seeded, "app_rw", None) == set()
    assert _clients_seen(seeded, "app_rw", LEAVER_A) == set()
    assert _clients_seen(seeded, "app_rw", ADMINS[ORG_B]) == set()  # an admin of globex, claiming acme


def test_every_client_scoped_table_follows_the_client_visibility(seeded: Conn) -> None:
    for table in CLIENT_SCOPED[1:]:
        admin_sees = _clients_seen(seeded, "app_ro", ADMINS[ORG_A], table)
        assert admin_sees, f"{table} has no seeded rows for acme"
        assert _clients_seen(seeded, "app_ro", MEMBER_A, table) == admin_sees & {1, 2, 4}, table
        assert _clients_seen(seeded, "app_ro", VIEWER_A, table) == admin_sees & {3}, table


def test_staff_cannot_write_rows_of_clients_they_do_not_manage(seeded: Conn) -> None:
    statement = ("INSERT INTO agency.system_configurations "
                 "(organization_id, client_id, namespace, config_key, config_value) "
                 "VALUES (%s, %s, 'seo', 'robots', '\"noindex\"')")
    with acting(seeded, "app_rw", ORG_A, MEMBER_A):
        exc = expect_error(seeded, statement, (ORG_A, seed_id(ORG_A, "client", 3)))
        assert isinstance(exc, errors.InsufficientPrivilege) and "row-level security" in str(exc)
        seeded.execute(statement, (ORG_A, seed_id(ORG_A, "client", 2)))  # a client the member manages
        updated = seeded.execute("UPDATE agency.client_app_overrides SET enabled = NOT enabled").rowcount
    assert updated == 3  # the overrides of clients 1, 2 and 4 (one each), not of client 3


def test_policies_use_context_functions_not_per_row_subqueries(seeded: Conn) -> None:
    """Every agency policy reads the user, role and client list through STABLE functions in init-plans."""
    rows = seeded.execute("""SELECT polrelid::regclass::text, polname, pg_get_expr(polqual, polrelid)
                             FROM pg_policy WHERE polrelid::regclass::text LIKE 'agency.%'
                               AND polrelid::regclass::text !~ '_y[0-9]{4}m[0-9]{2}$'""").fetchall()
    assert rows
    for table, name, qual in rows:
        if qual is None or name.endswith(("_all_cross_tenant", "_select_all")):
            continue
        assert " FROM " not in qual.upper() and "JOIN" not in qual.upper(), f"{table}.{name}: {qual}"
    volatility = dict(seeded.execute("""SELECT p.oid::regprocedure::text, p.provolatile FROM pg_proc p
        WHERE p.oid::regprocedure::text IN ('app.current_user_role()', 'app.current_user_is_admin()',
                                            'agency.visible_client_ids()')""").fetchall())
    assert volatility == {"app.current_user_role()": "s", "app.current_user_is_admin()": "s",
                          "agency.visible_client_ids()": "s"}


def test_app_ro_never_reads_secrets(seeded: Conn) -> None:
    for table, column in [("agency.handover_packages", "admin_credentials_ref"),
                          ("agency.module_licenses", "license_key_hmac"),
                          ("agency.client_subscriptions", "payment_method_ref")]:
        with acting(seeded, "app_ro", ORG_A, ADMINS[ORG_A]):
            exc = expect_error(seeded, f"SELECT {column} FROM {table}")
        assert isinstance(exc, errors.InsufficientPrivilege), f"{table}.{column}: {exc.sqlstate}"
        classification = seeded.execute(
            "SELECT classification FROM governance.column_classifications "
            "WHERE schema_name || '.' || table_name = %s AND column_name = %s", (table, column)).fetchone()
        assert classification == ("secret",)


def test_admin_credentials_are_a_secret_store_reference_and_redacted_in_the_audit_log(seeded: Conn) -> None:
    package = seed_id(ORG_A, "package", 3)
    exc = expect_error(seeded, "UPDATE agency.handover_packages SET admin_credentials_ref = 'admin / hunter2' "
                               "WHERE organization_id = %s AND package_id = %s", (ORG_A, package))
    assert exc.diag.constraint_name == "ck_handover_packages_admin_credentials_ref_format"
    with acting(seeded, "app_rw", ORG_A, ADMINS[ORG_A]):
        seeded.execute("UPDATE agency.handover_packages SET admin_credentials_ref = 'vault://agency/rocket/rotated' "
                       "WHERE organization_id = %s AND package_id = %s", (ORG_A, package))
    logged = seeded.execute("""SELECT new_values ->> 'admin_credentials_ref' FROM audit.events
                               WHERE schema_name = 'agency' AND table_name = 'handover_packages' AND action = 'UPDATE'
                               ORDER BY event_id DESC LIMIT 1""").fetchone()
    assert logged == ("[redacted]",)


def test_audit_triggers_of_privileged_agency_tables_always_fire(db: Conn) -> None:
    rows = dict(db.execute("""SELECT c.relname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                              JOIN pg_namespace n ON n.oid = c.relnamespace
                              WHERE n.nspname = 'agency' AND t.tgname LIKE 'trg_%_audit'""").fetchall())
    assert set(rows) >= {"clients", "client_subscriptions", "module_licenses", "handover_packages", "marketplace_modules"}
    assert set(rows.values()) == {"A"}


def test_an_override_cannot_point_at_an_installation_of_another_client(seeded: Conn) -> None:
    exc = expect_error(seeded, "UPDATE agency.client_app_overrides SET installation_id = %s "
                               "WHERE organization_id = %s AND override_id = %s",
                       (seed_id(ORG_A, "installation", 3, 1), ORG_A, seed_id(ORG_A, "override", 2, "seo-toolkit")))
    assert isinstance(exc, errors.ForeignKeyViolation)
    assert exc.diag.constraint_name == "fk_client_app_overrides_installation_id"


def test_a_package_cannot_contain_a_configuration_of_another_client_or_agency(seeded: Conn) -> None:
    insert = ("INSERT INTO agency.handover_package_system_configurations (organization_id, client_id, package_id, "
              "configuration_id) VALUES (%s, %s, %s, %s)")
    other_client = expect_error(seeded, insert, (ORG_A, seed_id(ORG_A, "client", 2), seed_id(ORG_A, "package", 1),
                                                 seed_id(ORG_A, "sysconf", 3, "title")))
    assert other_client.diag.constraint_name == "fk_handover_package_system_configurations_configuration_id"
    other_agency = expect_error(seeded, insert, (ORG_A, seed_id(ORG_A, "client", 2), seed_id(ORG_A, "package", 1),
                                                 seed_id(ORG_B, "sysconf", 2, "title")))
    assert other_agency.diag.constraint_name == "fk_handover_package_system_configurations_configuration_id"


def test_the_catalog_is_read_only_to_services(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A, ADMINS[ORG_A]):
        assert seeded.execute("SELECT count(*) FROM agency.marketplace_modules").fetchone()[0] == 4
        exc = expect_error(seeded, "UPDATE agency.marketplace_modules SET install_count = 0 WHERE module_id = %s",
                           (MODULE_SEO,))
    assert isinstance(exc, errors.InsufficientPrivilege)
