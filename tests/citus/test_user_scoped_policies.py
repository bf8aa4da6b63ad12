"""Agency's manager-level visibility on the cluster (docs/scale-out.md, "Agency's per-user policies"): the
policies of 14 agency tables look the caller up in core.users and agency.clients from the shard
(citus/after/25_user_context.sql). The attack matrix of tests/agency/test_access.py, with the seeded data,
as the services log in (LOGIN roles granted app_rw or app_ro), the tenant set with SET LOCAL."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from tests.helpers.agency import ADMINS, LEAVER_A, MEMBER_A, OWNER_A, VIEWER_A, seed_id
from tests.helpers.citus import CitusCluster, Conn, tenant_session
from tests.helpers.runner import query
from tests.helpers.schema import ORG_A, ORG_B

USER_SCOPED = "current_user_role|visible_client_ids"
ACME_CLIENTS = {seed_id(ORG_A, "client", n): n for n in range(1, 6)}


def _user_scoped_tables(url: str) -> list[str]:
    return [r[0] for r in query(url, """SELECT DISTINCT schemaname || '.' || tablename FROM pg_policies
                                        WHERE qual ~ %s OR with_check ~ %s ORDER BY 1""", USER_SCOPED, USER_SCOPED)]


def _clients_seen(conn: Conn, table: str, routed: bool = True) -> set[int]:
    """Seeded acme client numbers with rows visible in `table`: with the tenant key in the query (one
    shard) or without it (every shard, the policy alone)."""
    where = sql.SQL(" WHERE organization_id = {}").format(sql.Literal(ORG_A)) if routed else sql.SQL("")
    rows = conn.execute(sql.SQL("SELECT DISTINCT client_id::text FROM {}").format(sql.SQL(table)) + where).fetchall()
    return {ACME_CLIENTS[r[0]] for r in rows}


def _seen_as(url: str, group: str, user: str | None, table: str = "agency.clients", routed: bool = True) -> set[int]:
    with tenant_session(url, group, ORG_A, user) as conn:
        return _clients_seen(conn, table, routed)


def _act_as(conn: Conn, user: str) -> None:
    conn.execute(sql.SQL("SET LOCAL app.user_id = {}").format(sql.Literal(user)))


def test_fourteen_agency_tables_have_user_scoped_policies(citus_url: str) -> None:
    tables = _user_scoped_tables(citus_url)
    assert len(tables) == 14 and all(t.startswith("agency.") for t in tables), tables


def test_staff_see_the_clients_they_manage_or_created(citus_url: str) -> None:
    assert _seen_as(citus_url, "app_rw", MEMBER_A) == {1, 2, 4}  # manages 1 and 2, created 4
    assert _seen_as(citus_url, "app_ro", VIEWER_A) == {3}


def test_owners_and_admins_see_every_client_of_their_agency_only(citus_url: str) -> None:
    assert _seen_as(citus_url, "app_rw", ADMINS[ORG_A]) == {1, 2, 3, 4, 5}
    assert _seen_as(citus_url, "app_ro", OWNER_A) == {1, 2, 3, 4, 5}
    with tenant_session(citus_url, "app_rw", ORG_A, ADMINS[ORG_A]) as conn:
        assert conn.execute("SELECT count(*) FROM agency.clients WHERE organization_id = %s", (ORG_B,)).fetchone() == (0,)


def test_a_query_on_every_shard_sees_what_the_routed_query_sees(citus_url: str) -> None:
    """Without the tenant key the policy runs on every shard, on workers holding none of the tenant's rows too."""
    for user in (MEMBER_A, VIEWER_A, ADMINS[ORG_A]):
        assert _seen_as(citus_url, "app_ro", user, routed=False) == _seen_as(citus_url, "app_ro", user), user


def test_every_user_scoped_table_follows_the_client_visibility(citus_url: str) -> None:
    checked = []
    for table in _user_scoped_tables(citus_url):
        if table == "agency.clients":
            continue
        admin_sees = _seen_as(citus_url, "app_ro", ADMINS[ORG_A], table)
        if not admin_sees:
            continue  # no seeded acme rows
        checked.append(table)
        assert _seen_as(citus_url, "app_ro", MEMBER_A, table) == admin_sees & {1, 2, 4}, table
        assert _seen_as(citus_url, "app_ro", VIEWER_A, table) == admin_sees & {3}, table
        assert _seen_as(citus_url, "app_ro", MEMBER_A, table, routed=False) == admin_sees & {1, 2, 4}, table
    assert len(checked) >= 10, checked


@pytest.mark.parametrize("user", [None, "aaaaaaaa-0000-4000-8000-0000000000ff", ADMINS[ORG_B]],
                         ids=["no user", "unknown user", "admin of another agency"])
def test_no_live_user_of_the_tenant_sees_any_user_scoped_row(citus_url: str, user: str | None) -> None:
    seen = {}
    with tenant_session(citus_url, "app_rw", ORG_A, user) as conn:
        for table in _user_scoped_tables(citus_url):
            count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(table))).fetchone()
            if count != (0,):
                seen[table] = count
    assert seen == {}


def test_a_deleted_user_sees_no_client_it_manages(citus_url: str) -> None:
    client = seed_id(ORG_A, "client", 5)
    with tenant_session(citus_url, "app_rw", ORG_A, ADMINS[ORG_A]) as conn:
        conn.execute("UPDATE agency.clients SET assigned_manager_id = %s WHERE organization_id = %s AND client_id = %s",
                     (LEAVER_A, ORG_A, client))
        _act_as(conn, LEAVER_A)
        assert _clients_seen(conn, "agency.clients") == {5}
        _act_as(conn, ADMINS[ORG_A])
        conn.execute("UPDATE core.users SET deleted_at = now() WHERE organization_id = %s AND user_id = %s",
                     (ORG_A, LEAVER_A))
        _act_as(conn, LEAVER_A)
        assert _clients_seen(conn, "agency.clients") == set()
        assert _clients_seen(conn, "agency.client_deployments") == set()


def test_staff_cannot_write_rows_of_clients_they_do_not_manage(citus_url: str) -> None:
    statement = ("INSERT INTO agency.system_configurations (organization_id, client_id, namespace, config_key, "
                 "config_value) VALUES (%s, %s, 'seo', 'robots', '\"noindex\"')")
    with tenant_session(citus_url, "app_rw", ORG_A, MEMBER_A) as conn:
        with pytest.raises(errors.InsufficientPrivilege) as caught:
            conn.execute(statement, (ORG_A, seed_id(ORG_A, "client", 3)))
        assert "row-level security" in (caught.value.diag.message_primary or "")
    with tenant_session(citus_url, "app_rw", ORG_A, MEMBER_A) as conn:
        conn.execute(statement, (ORG_A, seed_id(ORG_A, "client", 2)))  # a client the member manages
        updated = conn.execute("UPDATE agency.client_app_overrides SET enabled = NOT enabled "
                               "WHERE organization_id = %s", (ORG_A,)).rowcount
    assert updated == 3  # the overrides of clients 1, 2 and 4 (one each), not of client 3


def test_a_role_setting_grants_nothing(citus_url: str) -> None:
    """The role is derived from core.users on the tenant's shard, never from a setting the service sets."""
    with tenant_session(citus_url, "app_rw", ORG_A, ADMINS[ORG_B]) as conn:
        conn.execute("SET LOCAL app.user_role = 'admin'")
        assert conn.execute("SELECT app.current_user_role(), app.current_user_is_admin(), "
                            "agency.visible_client_ids()").fetchone() == (None, False, [])
    with tenant_session(citus_url, "app_rw", ORG_A, MEMBER_A) as conn:
        role, ids = conn.execute("SELECT app.current_user_role(), agency.visible_client_ids()").fetchone() or (None, None)
    assert role == "member" and {ACME_CLIENTS[str(i)] for i in ids} == {1, 2, 4}


def test_the_context_functions_have_their_citus_form_on_every_node(citus_url: str, citus_cluster: CitusCluster) -> None:
    for node in citus_cluster.node_urls():
        with psycopg.connect(node) as conn:
            forms = conn.execute("SELECT p.oid::regprocedure::text, l.lanname, p.proparallel, p.prosecdef FROM pg_proc AS p "
                                 "JOIN pg_language AS l ON l.oid = p.prolang WHERE p.oid::regprocedure::text IN "
                                 "('app.current_user_role()', 'agency.visible_client_ids()') ORDER BY 1").fetchall()
        assert forms == [("agency.visible_client_ids()", "plpgsql", "r", False),
                         ("app.current_user_role()", "plpgsql", "r", False)], node


def test_the_client_list_is_an_index_condition_evaluated_once_per_scan(citus_url: str) -> None:
    """The Citus policy form of the client-scoped tables: the list is looked up once per scan, not per row."""
    with tenant_session(citus_url, "app_ro", ORG_A, MEMBER_A) as conn:
        plan = "\n".join(r[0] for r in conn.execute(
            "EXPLAIN (COSTS OFF) SELECT count(*) FROM agency.client_deployments WHERE organization_id = %s",
            (ORG_A,)).fetchall())
    assert "Task Count: 1" in plan, plan
    assert "Index Cond: ((organization_id = " in plan and "client_id = ANY (agency.visible_client_ids())" in plan, plan
    per_row = [line for line in plan.splitlines() if "Filter:" in line and "One-Time Filter:" not in line]
    assert per_row == [], plan
