"""One reading of the engine: `catalog.engine` is what status and health report, and the plan decides
from its `facts()`, so the two cannot disagree. Here on plain PostgreSQL; on Citus,
tests/citus/test_engine_report.py."""

from __future__ import annotations

import psycopg

from dbrun import catalog
from dbrun.catalog import EngineFacts


def test_plain_postgresql_reads_as_no_citus_and_the_databases_extensions(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        engine = catalog.engine(conn)
        installed = {r[0] for r in conn.execute("SELECT extname FROM pg_extension").fetchall()}
    assert engine.citus is None
    assert engine.extensions == installed and "plpgsql" in engine.extensions
    assert engine.facts() == EngineFacts(frozenset(installed), 0)
    assert not engine.facts().citus


def test_facts_of_an_unreadable_citus_metadata_leave_the_table_count_unknown() -> None:
    """A role that may not read pg_dist_partition must not make the plan think the coordinator is fresh
    (which would build with citus.enable_ddl_propagation off on a distributed cluster)."""
    unreadable = catalog.Citus("unknown", True, (), 0, 0, metadata_error="permission denied for table pg_dist_partition")
    engine = catalog.Engine("15.20", unreadable, frozenset({"plpgsql", "citus"}))
    assert engine.facts().citus and engine.facts().distributed_tables is None
