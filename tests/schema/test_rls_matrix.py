"""Row-level security: a role x table x command matrix generated from the catalog.

Every product table with an organization_id column is covered without new test code. For each
application role and command: the own tenant is allowed exactly when the role holds the privilege;
another tenant's rows are invisible and unwritable; with no tenant set nothing is visible or
writable; and a row cannot be re-parented into another tenant. The owner role is included for the
FORCEd (tenant) tables: FORCE ROW LEVEL SECURITY filters it too.
"""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import errors, sql

from tests.helpers.agency import ADMINS
from tests.helpers.schema import (
    ORG_A,
    ORG_B,
    Conn,
    TenantTable,
    expect_error,
    insertable_columns,
    primary_key_columns,
    rolled_back,
    tenant_tables,
)
from tests.helpers.schema import (
    acting as _acting,
)

ROLES = ["app_rw", "app_ro", "app_owner"]
# An ON DELETE RESTRICT foreign key refusing a delete: 23503 (foreign_key_violation) up to
# PostgreSQL 17, 23001 (restrict_violation) from 18 on.
RESTRICT_REFUSALS = (errors.ForeignKeyViolation, errors.RestrictViolation)
COMMANDS = ["select", "insert", "update", "delete"]
EXPECTED_TENANT_TABLES = {"core.organizations", "core.users", "core.api_keys", "core.budgets",
                          "governance.erasure_requests", "audit.events",
                          # venture intelligence (issue 13)
                          "venture.ventures", "venture.customer_personas", "venture.icp_profiles",
                          "venture.customer_journeys", "venture.willingness_to_pay", "venture.market_segments",
                          "venture.customers", "venture.feedback_intelligence", "venture.customer_sentiment_history",
                          "venture.feedback_trends", "venture.feedback_trend_marks"}


def acting(conn: Conn, role: str | None, org: str | None, table: TenantTable):  # type: ignore[no-untyped-def]
    """Act as `role` for `org`; on agency tables with an admin of that organization as the user: they
    show a staff user only their clients (and nothing without a user), and tenant isolation is what
    this matrix tests. Elsewhere no user, so a delete of users never removes the acting user."""
    return _acting(conn, role, org, ADMINS.get(org or "") if table.schema == "agency" else None)


def _tables_for(conn: Conn, role: str) -> list[TenantTable]:
    tables = tenant_tables(conn)
    # The owner is filtered only where RLS is FORCEd; audit.events is not (the owner is its writer).
    return [t for t in tables if role != "app_owner" or t.forced]


def _count(conn: Conn, table: TenantTable, org: str) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE organization_id = %s").format(table.ident),
                        (org,)).fetchone()[0]


def _has(conn: Conn, role: str, table: TenantTable, privilege: str, column: str | None = None) -> bool:
    if column:
        query = "SELECT has_column_privilege(%s, %s::regclass, %s, %s)"
        return conn.execute(query, (role, str(table), column, privilege)).fetchone()[0]
    if privilege == "SELECT":
        query = "SELECT has_any_column_privilege(%s, %s::regclass, %s)"
    else:
        query = "SELECT has_table_privilege(%s, %s::regclass, %s)"
    return conn.execute(query, (role, str(table), privilege)).fetchone()[0]


def _is_rls_refusal(exc: psycopg.Error) -> bool:
    return exc.sqlstate == "42501" and "row-level security" in (exc.diag.message_primary or "")


def test_catalog_query_finds_the_tenant_tables(seeded: Conn) -> None:
    found = {str(t) for t in tenant_tables(seeded)}
    assert found >= EXPECTED_TENANT_TABLES
    # The matrix needs rows of both tenants in every tenant table: a new table needs seed rows.
    missing = [f"{t} has no seeded rows for {org}" for t in tenant_tables(seeded)
               for org in (ORG_A, ORG_B) if _count(seeded, t, org) == 0]
    assert not missing, "add rows to seeds/ for: " + "; ".join(missing)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("role", ROLES)
def test_rls_matrix(seeded: Conn, role: str, command: str) -> None:
    problems: list[str] = []
    for table in _tables_for(seeded, role):
        check = {"select": _check_select, "insert": _check_insert, "update": _check_update,
                 "delete": _check_delete}[command]
        try:
            check(seeded, role, table, problems)
        except Exception as exc:  # report every table, not only the first failure
            problems.append(f"{table}: unexpected {type(exc).__name__}: {exc}")
    assert not problems, f"{role} {command}:\n" + "\n".join(problems)


def _check_select(conn: Conn, role: str, table: TenantTable, problems: list[str]) -> None:
    own = _count(conn, table, ORG_A)
    query = sql.SQL("SELECT organization_id::text FROM {}").format(table.ident)
    if not _has(conn, role, table, "SELECT"):
        with acting(conn, role, ORG_A, table):
            exc = expect_error(conn, query)
        if exc.sqlstate != "42501":
            problems.append(f"{table}: SELECT without privilege raised {exc.sqlstate}, not 42501")
        return
    with acting(conn, role, ORG_A, table):
        seen = [r[0] for r in conn.execute(query).fetchall()]
    if set(seen) - {ORG_A}:
        problems.append(f"{table}: tenant A sees rows of {sorted(set(seen) - {ORG_A})}")
    if len(seen) != own:
        problems.append(f"{table}: tenant A sees {len(seen)} of its {own} rows")
    with acting(conn, role, None, table):
        if conn.execute(query).fetchall():
            problems.append(f"{table}: rows visible with no tenant set")
    with acting(conn, role, "", table):
        if conn.execute(query).fetchall():
            problems.append(f"{table}: rows visible with an empty tenant")


def _take_row(conn: Conn, table: TenantTable, org: str) -> tuple[str, list[str]]:
    """Remove one of `org`'s rows (as superuser, FK and audit triggers off) and return it as JSON."""
    pk = primary_key_columns(conn, table)
    row = conn.execute(sql.SQL("SELECT to_jsonb(t) FROM {} t WHERE organization_id = %s ORDER BY {} LIMIT 1").format(
        table.ident, sql.SQL(", ").join(map(sql.Identifier, pk))), (org,)).fetchone()[0]
    conn.execute("SET LOCAL session_replication_role = replica")
    if str(table) == "audit.events":  # its append-only guard is ENABLE ALWAYS: replica mode does not stop it
        conn.execute("ALTER TABLE audit.events DISABLE TRIGGER trg_events_append_only")
    conn.execute(sql.SQL("DELETE FROM {} WHERE ({}) = (SELECT {} FROM jsonb_populate_record(NULL::{}, %s))").format(
        table.ident, sql.SQL(", ").join(map(sql.Identifier, pk)), sql.SQL(", ").join(map(sql.Identifier, pk)),
        table.ident), (json.dumps(row),))
    conn.execute("SET LOCAL session_replication_role = origin")
    return json.dumps(row), insertable_columns(conn, table)


def _insert_statement(table: TenantTable, columns: list[str]) -> sql.Composable:
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    return sql.SQL("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM jsonb_populate_record(NULL::{}, %s)").format(
        table.ident, cols, cols, table.ident)


def _check_insert(conn: Conn, role: str, table: TenantTable, problems: list[str]) -> None:
    privileged = _has(conn, role, table, "INSERT")
    for tenant, label in ((ORG_A, "own tenant"), (ORG_B, "other tenant"), (None, "no tenant")):
        with rolled_back(conn):
            row, columns = _take_row(conn, table, ORG_A)  # a real row of tenant A, removed so keys are free
            statement = _insert_statement(table, columns)
            with acting(conn, role, tenant, table):
                if tenant == ORG_A and privileged:
                    try:
                        with conn.transaction():
                            conn.execute(statement, (row,))
                    except psycopg.Error as exc:
                        problems.append(f"{table}: {label} insert refused: {exc.sqlstate} {exc.diag.message_primary}")
                    continue
                exc = expect_error(conn, statement, (row,))
        if exc.sqlstate != "42501":
            problems.append(f"{table}: {label} insert raised {exc.sqlstate} {exc.diag.message_primary}, not 42501")
        elif privileged and not _is_rls_refusal(exc):
            problems.append(f"{table}: {label} insert refused, but not by row-level security: {exc.diag.message_primary}")


def _updatable_column(conn: Conn, role: str, table: TenantTable) -> str | None:
    for column in insertable_columns(conn, table):
        if column != "organization_id" and _has(conn, role, table, "UPDATE", column):
            return column
    return None


def _check_update(conn: Conn, role: str, table: TenantTable, problems: list[str]) -> None:
    column = _updatable_column(conn, role, table)
    reparent = sql.SQL("UPDATE {} SET organization_id = %s WHERE organization_id = %s").format(table.ident)
    if column is None:
        with acting(conn, role, ORG_A, table):
            exc = expect_error(conn, sql.SQL("UPDATE {} SET organization_id = organization_id").format(table.ident))
        if exc.sqlstate != "42501":
            problems.append(f"{table}: UPDATE without privilege raised {exc.sqlstate}, not 42501")
        return
    touch = sql.SQL("UPDATE {} SET {} = {}").format(table.ident, sql.Identifier(column), sql.Identifier(column))
    own = _count(conn, table, ORG_A)
    with rolled_back(conn), acting(conn, role, ORG_A, table):
        if (n := conn.execute(touch + sql.SQL(" WHERE organization_id = %s"), (ORG_B,)).rowcount) != 0:
            problems.append(f"{table}: tenant A updated {n} rows of tenant B")
        if (n := conn.execute(touch).rowcount) != own:
            problems.append(f"{table}: tenant A updated {n} of its {own} rows")
    with rolled_back(conn), acting(conn, role, None, table):
        if (n := conn.execute(touch).rowcount) != 0:
            problems.append(f"{table}: {n} rows updated with no tenant set")
    with acting(conn, role, ORG_A, table):
        exc = expect_error(conn, reparent, (ORG_B, ORG_A))
    if exc.sqlstate != "42501":
        problems.append(f"{table}: re-parenting into tenant B raised {exc.sqlstate} {exc.diag.message_primary}")
    if _has(conn, role, table, "UPDATE", "organization_id") and not _is_rls_refusal(exc):
        problems.append(f"{table}: re-parenting refused, but not by row-level security: {exc.diag.message_primary}")


def _check_delete(conn: Conn, role: str, table: TenantTable, problems: list[str]) -> None:
    delete = sql.SQL("DELETE FROM {}").format(table.ident)
    if not _has(conn, role, table, "DELETE"):
        with acting(conn, role, ORG_A, table):
            exc = expect_error(conn, delete)
        if exc.sqlstate != "42501":
            problems.append(f"{table}: DELETE without privilege raised {exc.sqlstate}, not 42501")
        return
    before_b = _count(conn, table, ORG_B)
    with rolled_back(conn), acting(conn, role, ORG_A, table):
        if (n := conn.execute(delete + sql.SQL(" WHERE organization_id = %s"), (ORG_B,)).rowcount) != 0:
            problems.append(f"{table}: tenant A deleted {n} rows of tenant B")
    with rolled_back(conn), acting(conn, role, None, table):
        if (n := conn.execute(delete).rowcount) != 0:
            problems.append(f"{table}: {n} rows deleted with no tenant set")
    # Own tenant: allowed by RLS; a RESTRICT foreign key may still refuse (23503/23001) - that is not RLS.
    with rolled_back(conn), acting(conn, role, ORG_A, table):
        try:
            with conn.transaction():
                n = conn.execute(delete + sql.SQL(" WHERE organization_id = %s"), (ORG_A,)).rowcount
                if n == 0:
                    problems.append(f"{table}: tenant A could not delete its own rows")
        except RESTRICT_REFUSALS:
            pass
        except psycopg.Error as exc:
            problems.append(f"{table}: own delete refused: {exc.sqlstate} {exc.diag.message_primary}")
    assert _count(conn, table, ORG_B) == before_b


def test_malformed_tenant_raises_a_clear_error(seeded: Conn) -> None:
    with _acting(seeded, "app_rw", "not-a-uuid"):
        exc = expect_error(seeded, "SELECT count(*) FROM core.users")
    assert isinstance(exc, errors.InvalidTextRepresentation)
    assert "app.org_id" in exc.diag.message_primary


def test_policies_call_the_stable_context_function_without_a_sub_select(db: Conn) -> None:
    """`organization_id = app.current_org_id()`: the inlined SQL function is an index condition on plain
    PostgreSQL, and Citus refuses sub-selects in the policies of distributed tables (docs/scale-out.md)."""
    volatility = db.execute("SELECT provolatile FROM pg_proc WHERE oid = 'app.current_org_id()'::regprocedure").fetchone()
    assert volatility[0] == "s"
    tenant = db.execute(
        """SELECT count(*) FROM pg_policies
           WHERE coalesce(qual, with_check) LIKE '%organization_id = app.current_org_id()%'""").fetchone()
    assert tenant[0] > 100
    sub_selects = db.execute(
        """SELECT schemaname || '.' || tablename || ' ' || policyname FROM pg_policies
           WHERE concat(qual, ' ', with_check) ~ %s ORDER BY 1""",
        (r"SELECT (app\.current_org_id|app\.current_user_id|(pg_catalog\.)?current_setting)",)).fetchall()
    assert sub_selects == []
