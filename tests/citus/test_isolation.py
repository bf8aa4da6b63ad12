"""Row-level security on the cluster, as the services log in: LOGIN roles granted app_rw or app_ro (never a
superuser), the tenant set per transaction with SET LOCAL (tests.helpers.citus.tenant_session)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors, sql

from tests.helpers.citus import tenant_session
from tests.helpers.runner import query
from tests.helpers.schema import ORG_A, ORG_B

# The seeded owner of acme (seeds/20_acme.sql).
ACME_OWNER = "aaaaaaaa-0000-4000-8000-000000000001"


def _seeded_tenant_tables(url: str) -> list[str]:
    """Distributed tables app_rw may read holding rows of both seeded tenants (but partitions). The work
    queues (usage.rollup_bucket_marks, venture.feedback_trend_marks) grant it nothing."""
    # Not the partitions: the app roles read a partitioned table through its parent only.
    tables = [r[0] for r in query(url, "SELECT p.logicalrelid::regclass::text FROM pg_dist_partition AS p "
                                       "JOIN pg_class AS c ON c.oid = p.logicalrelid "
                                       "WHERE p.partmethod = 'h' AND NOT c.relispartition "
                                       "AND has_table_privilege('app_rw', p.logicalrelid, 'SELECT') ORDER BY 1")]
    both = []
    for table in tables:
        orgs = query(url, f"SELECT count(DISTINCT organization_id) FROM {table} "
                          "WHERE organization_id IN (%s, %s)", ORG_A, ORG_B)
        if orgs == [(2,)]:
            both.append(table)
    return both


def test_app_rw_sees_only_its_tenant_in_every_seeded_distributed_table(citus_url: str) -> None:
    tables = _seeded_tenant_tables(citus_url)
    assert len(tables) >= 20 and "agency.clients" in tables, tables
    leaks = {}
    # As an owner of acme: the agency tables' manager-level policies (tests/citus/test_user_scoped_policies.py)
    # then show every acme row.
    with tenant_session(citus_url, "app_rw", ORG_A, ACME_OWNER) as conn:
        for table in tables:
            rows = conn.execute(sql.SQL("SELECT count(*) FILTER (WHERE organization_id = %s), "
                                        "count(*) FILTER (WHERE organization_id <> %s) FROM {}").format(
                sql.SQL(table)), (ORG_A, ORG_A)).fetchone()
            if rows is None or rows[1] != 0:
                leaks[table] = rows
    assert leaks == {}


def test_a_user_scoped_policy_reads_the_seeded_rows(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A, ACME_OWNER) as conn:
        assert conn.execute("SELECT count(*) FROM agency.clients").fetchone() == (5,)


def test_app_ro_sees_only_its_tenant(citus_url: str) -> None:
    with tenant_session(citus_url, "app_ro", ORG_B) as conn:
        orgs = conn.execute("SELECT DISTINCT organization_id::text FROM core.users").fetchall()
    assert orgs == [(ORG_B,)]


def test_no_tenant_set_shows_no_row(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", None) as conn:
        assert conn.execute("SELECT count(*) FROM core.users").fetchone() == (0,)


def test_set_config_is_not_propagated_and_fails_closed(citus_url: str) -> None:
    """The plain-PostgreSQL form reaches the coordinator only: the shards see no tenant and show nothing."""
    with tenant_session(citus_url, "app_rw", None) as conn:
        conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
        assert conn.execute("SELECT count(*) FROM core.users").fetchone() == (0,)


def test_a_tenant_cannot_write_a_row_of_another_tenant(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn, pytest.raises(errors.InsufficientPrivilege) as caught:
        conn.execute("INSERT INTO venture.ventures (organization_id, name) VALUES (%s, 'cross-tenant')", (ORG_B,))
    assert "row-level security" in caught.value.diag.message_primary


def test_a_tenant_cannot_update_another_tenants_rows(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        cursor = conn.execute("UPDATE venture.ventures SET description = 'taken' WHERE organization_id = %s", (ORG_B,))
        assert cursor.rowcount == 0


def test_app_ro_cannot_write(citus_url: str) -> None:
    with tenant_session(citus_url, "app_ro", ORG_A) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute("INSERT INTO venture.ventures (organization_id, name) VALUES (%s, 'read only')", (ORG_A,))


def test_a_tenant_writes_and_reads_its_own_rows(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        conn.execute("INSERT INTO venture.ventures (organization_id, name) VALUES (%s, 'on the shard')", (ORG_A,))
        assert conn.execute("SELECT count(*) FROM venture.ventures WHERE name = 'on the shard'").fetchone() == (1,)


def test_the_services_are_not_superusers(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone() == (
            False, False)
    with pytest.raises(psycopg.Error):
        query(citus_url.replace("postgres@", "svc_rw_login@"), "SELECT count(*) FROM pg_authid")
