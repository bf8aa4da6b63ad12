"""How citus/after/ laid the schema out: distributed, reference and coordinator-only tables."""

from __future__ import annotations

from tests.helpers.runner import query

TENANT_SCHEMAS = ("core", "governance", "usage", "venture", "agency", "conversational")
# The claim tables of the global keys (citus/after/22_global_keys.sql) are reference tables with organization_id.
REFERENCE = ["agency.marketplace_modules", "conversational.user_emails", "core.api_key_prefixes", "core.models",
             "core.organizations", "governance.column_classifications",
             "governance.erasure_handlers", "governance.erasure_subjects", "governance.retention_policies",
             "usage.rollup_marks"]


def test_every_tenant_table_is_distributed_by_organization_id_in_one_colocation_group(citus_url: str) -> None:
    rows = query(citus_url, """
        SELECT c.oid::regclass::text, p.partmethod, pg_catalog.column_to_column_name(p.logicalrelid, p.partkey),
               p.colocationid
        FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
        JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'organization_id'
        LEFT JOIN pg_dist_partition AS p ON p.logicalrelid = c.oid
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname = ANY (%s)
          AND NOT c.oid::regclass::text = ANY (%s)""", list(TENANT_SCHEMAS), REFERENCE)
    assert len(rows) >= 45
    assert {(method, column) for _, method, column, _ in rows} == {("h", "organization_id")}, rows
    assert len({colocation for *_, colocation in rows}) == 1


def test_catalogs_and_the_tenant_root_are_reference_tables(citus_url: str) -> None:
    assert [r[0] for r in query(citus_url, """SELECT logicalrelid::regclass::text FROM pg_dist_partition
                                              WHERE repmodel = 't' ORDER BY 1""")] == REFERENCE


def test_the_audit_trail_is_per_node_not_a_citus_table(citus_url: str) -> None:
    assert query(citus_url, """SELECT count(*) FROM pg_dist_partition
                               WHERE logicalrelid IN ('audit.events'::regclass, 'audit.chain_links'::regclass)""") == [(0,)]


def test_the_context_functions_are_distributed(citus_url: str) -> None:
    rows = query(citus_url, """SELECT objid::regprocedure::text FROM pg_dist_object
                               WHERE classid = 'pg_proc'::regclass AND objid::regprocedure::text LIKE 'app.%%' ORDER BY 1""")
    assert {"app.current_org_id()", "app.current_user_id()", "app.invalid_uuid_setting(text)"} <= {r[0] for r in rows}


def test_every_worker_holds_shards_of_the_tenant_tables(citus_url: str) -> None:
    rows = query(citus_url, """SELECT count(DISTINCT s.nodeport) FROM pg_dist_shard_placement AS s
                               JOIN pg_dist_shard AS d USING (shardid) WHERE d.logicalrelid = 'core.users'::regclass""")
    assert rows == [(2,)]
