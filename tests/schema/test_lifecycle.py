"""Seeds, the full migration chain and the post-checks, through the dbrun CLI on real databases."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.helpers.runner import table_counts
from tests.helpers.schema import ORG_A, REPO_ROOT, Conn, expect_error

CHECKS = REPO_ROOT / "sql" / "checks" / "post"


def _dump(pg_dump_schema, url: str) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(line for line in pg_dump_schema(url).splitlines() if not line.startswith(("\\restrict",
                                                                                                 "\\unrestrict")))


def test_up_down_up_gives_the_same_schema(product_db: Conn, product_url: str, dbrun_cli, pg_dump_schema) -> None:  # type: ignore[no-untyped-def]
    product_db.rollback()
    before = _dump(pg_dump_schema, product_url)
    down = dbrun_cli("down", "--all", "--yes", url=product_url)
    assert down.exit_code == 0, down.stdout + down.stderr
    with psycopg.connect(product_url, autocommit=True) as conn:
        left = conn.execute(
            """SELECT n.nspname FROM pg_namespace n WHERE n.nspname IN ('app', 'core', 'audit', 'governance')
               UNION ALL SELECT tgname FROM pg_trigger WHERE tgrelid = 'dbrun.log'::regclass""").fetchall()
    assert left == [], "down --all left objects behind"
    up = dbrun_cli("up", url=product_url)
    assert up.exit_code == 0, up.stdout + up.stderr
    assert _dump(pg_dump_schema, product_url) == before


def test_seeds_are_refused_unless_development_and_idempotent(product_db: Conn, product_url: str, dbrun_cli) -> None:  # type: ignore[no-untyped-def]
    product_db.rollback()
    refused = dbrun_cli("seed", url=product_url)
    assert refused.exit_code != 0
    first = dbrun_cli("seed", "--force", url=product_url)
    assert first.exit_code == 0, first.stdout + first.stderr
    after_first = table_counts(product_url)
    assert after_first["core.organizations"] == 2 and after_first["core.models"] == 1
    second = dbrun_cli("seed", "--force", url=product_url)
    assert second.exit_code == 0, second.stdout + second.stderr
    after_second = table_counts(product_url)
    # Nothing was written but the DDL audit of create_event_partitions() re-policing the partitions.
    assert {t: n for t, n in after_second.items() if t != "audit.events"} == \
        {t: n for t, n in after_first.items() if t != "audit.events"}
    with psycopg.connect(product_url, autocommit=True) as conn:
        added = conn.execute("SELECT DISTINCT a.action FROM (SELECT action FROM audit.events "
                             "ORDER BY event_id DESC LIMIT %s) AS a",
                             (after_second["audit.events"] - after_first["audit.events"],)).fetchall()
    assert added in ([], [("DDL",)])
    # With the seeds committed, a fresh service session works with no manual step.
    with psycopg.connect(product_url) as conn:
        conn.execute("SET ROLE app_rw")
        import hashlib
        import hmac
        digest = hmac.new(b"dev-api-key-hmac-key-not-for-production", b"dev_acme_active_secret",
                          hashlib.sha256).digest()
        org = conn.execute("SELECT organization_id::text FROM app.authenticate_api_key(%s, %s)",
                           ("ak_acmeactive10", digest)).fetchone()[0]
        conn.execute("SELECT set_config('app.org_id', %s, true)", (org,))
        conn.execute("UPDATE core.budgets SET amount = amount + 1")
        assert conn.execute("SELECT count(*) FROM core.budgets").fetchone()[0] == 1
    assert org == ORG_A


def test_post_checks_pass(product_url: str, dbrun_cli) -> None:  # type: ignore[no-untyped-def]
    result = dbrun_cli("verify", url=product_url)
    assert result.exit_code == 0, result.stdout + result.stderr


VIOLATIONS = {
    "tables_row_level_security": "CREATE TABLE core.bad (organization_id uuid NOT NULL PRIMARY KEY)",
    "tables_have_primary_key": "CREATE TABLE core.bad (x int)",
    "foreign_keys_indexed": "CREATE TABLE core.bad (x int PRIMARY KEY, o uuid REFERENCES core.organizations)",
    "tables_and_columns_commented": "CREATE TABLE core.bad (x int PRIMARY KEY)",
    "columns_classified": "CREATE TABLE core.bad (x int PRIMARY KEY)",
    "no_forbidden_types": "CREATE TABLE core.bad (x serial PRIMARY KEY, t timestamp, j json)",
    "security_definer_search_path":
        "CREATE FUNCTION core.bad() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'",
    "tenant_keys_include_organization_id":
        "CREATE UNIQUE INDEX bad ON core.users (user_id)",
    "app_roles_no_rls_bypass": "GRANT TRUNCATE ON core.users TO app_rw",
    "objects_owned_by_owner": "CREATE TABLE core.bad (x int PRIMARY KEY)",
    "functions_not_executable_by_public": "CREATE FUNCTION core.bad() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "security_definer_no_temp_tables": (
        "CREATE FUNCTION core.bad() RETURNS int LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog "
        "AS $$BEGIN CREATE TEMP TABLE scratch (x int); RETURN 1; END$$"),
    "audit_triggers_always": "ALTER TABLE core.users ENABLE TRIGGER trg_users_audit",
    "audited_tables_have_audit_trigger": "DROP TRIGGER trg_users_audit ON core.users",
    "audit_chain_intact": ("SELECT audit.seal_events(); "
                           "ALTER TABLE audit.events DISABLE TRIGGER trg_events_append_only; "
                           "UPDATE audit.events SET db_role = 'forged' WHERE event_id = 1"),
    "ddl_audit_active": "ALTER EVENT TRIGGER audit_ddl_command_end DISABLE",
    "erasure_requests_overdue": (
        "INSERT INTO core.organizations (organization_id, slug, name) "
        "VALUES ('33333333-3333-4333-8333-333333333333', 'overdue', 'Overdue'); "
        "INSERT INTO core.users (organization_id, user_id, email_hmac) "
        "VALUES ('33333333-3333-4333-8333-333333333333', '33333333-0000-4000-8000-000000000001', sha256('x')); "
        "INSERT INTO governance.erasure_requests (organization_id, user_id, requested_at, due_at) "
        "VALUES ('33333333-3333-4333-8333-333333333333', '33333333-0000-4000-8000-000000000001', "
        "now() - interval '40 days', now() - interval '10 days')"),
    "views_security_invoker": "CREATE VIEW core.bad AS SELECT 1 AS x; GRANT SELECT ON core.bad TO app_ro",
    "ingest_role_writes_only": "GRANT SELECT (organization_id) ON core.organizations TO app_ingest",
    "constraints_validated": "ALTER TABLE core.budgets ADD CONSTRAINT ck_bad CHECK (amount >= 0) NOT VALID",
    "agency_delivery_integrity": (
        f"INSERT INTO core.organizations (organization_id, slug, name) VALUES ('{ORG_A}', 'acme', 'Acme'); "
        f"INSERT INTO agency.clients (organization_id, client_id, name) VALUES ('{ORG_A}', '{ORG_A}', 'Client'); "
        f"INSERT INTO agency.client_app_overrides (organization_id, client_id, app_key) VALUES ('{ORG_A}', '{ORG_A}', 'x')"),
    "partitions_policed": ("CREATE TABLE usage.bad (LIKE usage.events INCLUDING CONSTRAINTS); "
                           "ALTER TABLE usage.events "
                           "ATTACH PARTITION usage.bad FOR VALUES FROM ('2100-01-01') TO ('2100-02-01')"),
}


def test_every_post_check_has_a_violation_case() -> None:
    assert {p.stem for p in CHECKS.glob("*.sql")} == set(VIOLATIONS)


def test_post_checks_find_violations(db: Conn) -> None:
    problems = []
    for name, setup in sorted(VIOLATIONS.items()):
        check = (CHECKS / f"{name}.sql").read_text()
        clean = db.execute(check).fetchall()
        if clean:
            problems.append(f"{name}: reports {clean} on the clean schema")
        with db.transaction(force_rollback=True):
            db.execute(setup)
            if not db.execute(check).fetchall():
                problems.append(f"{name}: missed the violation {setup!r}")
    assert not problems, "\n".join(problems)


def test_global_unique_keys_are_declared(db: Conn) -> None:
    """The only keys of tenant tables without organization_id are the two documented 'Global:' ones."""
    rows = db.execute("""SELECT conname FROM pg_constraint
                         WHERE obj_description(oid, 'pg_constraint') LIKE 'Global:%' ORDER BY 1""").fetchall()
    assert [r[0] for r in rows] == ["uq_api_keys_prefix", "uq_organizations_slug"]


def test_unset_context_functions(db: Conn) -> None:
    assert db.execute("SELECT app.current_org_id(), app.current_user_id()").fetchone() == (None, None)
    db.execute("SELECT set_config('app.user_id', 'garbage', true)")
    exc = expect_error(db, "SELECT app.current_user_id()")
    assert exc.sqlstate == "22P02"


def test_context_functions_refuse_malformed_values_naming_the_setting(db: Conn) -> None:
    for setting, function in (("app.org_id", "app.current_org_id"), ("app.user_id", "app.current_user_id")):
        with db.transaction(force_rollback=True):
            db.execute("SELECT set_config(%s, 'not-a-uuid', true)", (setting,))
            exc = expect_error(db, f"SELECT {function}()")
            assert exc.sqlstate == "22P02"
            assert exc.diag.message_primary is not None and setting in exc.diag.message_primary
        with db.transaction(force_rollback=True):
            db.execute("SELECT set_config(%s, '0d0d0d0d-0000-4000-8000-000000000001', true)", (setting,))
            assert str(db.execute(f"SELECT {function}()").fetchone()[0]) == "0d0d0d0d-0000-4000-8000-000000000001"


def test_context_functions_are_inlined_into_policies(db: Conn) -> None:
    """A policy's init-plan evaluates the context expression itself, not a PL/pgSQL call whose per-transaction
    set-up cost every tenant query 30-100 µs (202611231150)."""
    for function in ("app.current_org_id", "app.current_user_id"):
        plan = "\n".join(r[0] for r in db.execute(f"EXPLAIN (VERBOSE, COSTS OFF) SELECT {function}()"))
        assert "current_setting" in plan and function.split(".")[1] not in plan, plan


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "sql" / "up").glob("*.sql")), ids=lambda p: p.name[:12])
def test_migration_files_follow_conventions(path: Path) -> None:
    text = path.read_text()
    down = REPO_ROOT / "sql" / "down" / path.name
    assert down.exists()
    assert text.startswith(f"-- Migration: {path.stem[13:]}\n")
    assert down.read_text().startswith(f"-- Migration: {path.stem[13:]}\n")
    assert "BEGIN;" not in text.upper() and "COMMIT;" not in text.upper()
    assert text.count("SET LOCAL ROLE app_owner") == text.count("RESET ROLE")
