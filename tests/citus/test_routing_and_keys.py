"""A tenant query with the tenant key is a single-shard router query; the composite foreign keys and
the CHECKs hold on the shards (SQLSTATE and constraint name)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from tests.helpers.citus import tenant_session, violated_constraint
from tests.helpers.schema import ORG_A, ORG_B

GLOBEX_OWNER = "bbbbbbbb-0000-4000-8000-000000000001"  # seeds/30_globex.sql


def _explain(conn: object, statement: str, *params: object) -> str:
    rows = conn.execute(f"EXPLAIN (COSTS OFF) {statement}", params).fetchall()  # type: ignore[attr-defined]
    return "\n".join(r[0] for r in rows)


def test_a_tenant_query_with_the_tenant_key_routes_to_one_shard(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        plan = _explain(conn, "SELECT * FROM core.users WHERE organization_id = %s", ORG_A)
    assert "Task Count: 1\n" in plan + "\n", plan


def test_a_join_of_colocated_tenant_tables_with_the_key_routes_to_one_shard(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        plan = _explain(conn, """SELECT v.name, count(p.*) FROM venture.ventures AS v
                                 JOIN venture.customer_personas AS p USING (organization_id, venture_id)
                                 WHERE v.organization_id = %s GROUP BY v.name""", ORG_A)
    assert "Task Count: 1\n" in plan + "\n", plan


def test_the_policy_alone_fans_out_to_every_shard(citus_url: str) -> None:
    """Why services must filter by the tenant key too (docs/scale-out.md)."""
    with tenant_session(citus_url, "app_rw", ORG_A) as conn:
        plan = _explain(conn, "SELECT * FROM core.users")
    assert "Task Count: 32" in plan, plan


def test_a_composite_foreign_key_refuses_a_parent_of_another_tenant(citus_url: str) -> None:
    """An API key of acme naming a user of globex: the key is (organization_id, user_id), so no row matches.
    As the migrator, which row-level security does not filter: only the key can refuse it. The prefix is
    claimed for acme first (citus/after/22_global_keys.sql), so that only the user key is wrong."""
    with psycopg.connect(citus_url) as conn, pytest.raises(errors.ForeignKeyViolation) as caught:
        conn.execute("INSERT INTO core.api_key_prefixes (prefix, organization_id) VALUES ('ak_crosstenant1', %s)",
                     (ORG_A,))
        conn.execute("""INSERT INTO core.api_keys (organization_id, user_id, name, prefix, secret_hash, scopes)
                        VALUES (%s, %s, 'Cross-tenant', 'ak_crosstenant1', pg_catalog.sha256('x'), '{models:read}')""",
                     (ORG_A, GLOBEX_OWNER))
    assert caught.value.sqlstate == "23503"
    assert violated_constraint(caught.value) == "fk_api_keys_user_id"


def test_a_check_constraint_holds_on_the_shard(citus_url: str) -> None:
    with tenant_session(citus_url, "app_rw", ORG_A) as conn, pytest.raises(errors.CheckViolation) as caught:
        conn.execute("INSERT INTO venture.ventures (organization_id, name, stage) VALUES (%s, 'Bad', 'nope')", (ORG_A,))
    assert caught.value.sqlstate == "23514"
    assert violated_constraint(caught.value) == "ck_ventures_stage"


def test_the_organization_slug_stays_globally_unique(citus_url: str) -> None:
    """core.organizations is a reference table on Citus: uq_organizations_slug holds across tenants."""
    with psycopg.connect(citus_url) as conn, pytest.raises(errors.UniqueViolation) as caught:
        conn.execute("""INSERT INTO core.organizations (organization_id, slug, name)
                        SELECT gen_random_uuid(), slug, 'Copy' FROM core.organizations WHERE organization_id = %s""",
                     (ORG_B,))
    assert violated_constraint(caught.value) == "uq_organizations_slug"
