"""`dbrun status` and `dbrun health` name the engine: PostgreSQL + Citus, the node's role, its workers."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from dbrun import api, catalog
from dbrun.catalog import EngineFacts
from dbrun.cli import app
from dbrun.config import load_settings
from dbrun.history import HistoryState
from dbrun.plan import plan_up
from dbrun.source import load_repository
from tests.helpers.citus import CitusCluster
from tests.helpers.citus_database import citus_database, host_port

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_status_on_the_coordinator_reports_citus_and_its_two_workers(citus_cluster: CitusCluster) -> None:
    engine = api.status(load_settings(REPO_ROOT, citus_cluster.url)).engine
    assert engine is not None and engine.citus is not None
    assert engine.describe() == f"PostgreSQL {engine.postgres} + Citus 13.2.2, coordinator, 2 workers"
    assert engine.warnings() == []


def test_health_json_on_the_coordinator_lists_the_active_workers(citus_cluster: CitusCluster) -> None:
    result = CliRunner().invoke(app, ["health", "--json", "--root", str(REPO_ROOT),
                                      "--database-url", citus_cluster.url])
    citus = json.loads(result.stdout)["engine"]["citus"]
    workers = citus_cluster.node_urls()[1:]
    assert citus["node"] == "coordinator"
    assert sorted(citus["active_workers"]) == sorted(w.split("@", 1)[1].split("/", 1)[0] for w in workers)
    assert citus["inactive_workers"] == []


def test_health_on_a_worker_warns_that_it_is_not_the_coordinator(citus_cluster: CitusCluster) -> None:
    worker = citus_cluster.node_urls()[1]
    result = CliRunner().invoke(app, ["health", "--root", str(REPO_ROOT), "--database-url", worker])
    assert "Citus 13.2.2, worker" in result.stdout
    assert "this node is a Citus worker, not the coordinator" in result.stdout


def test_health_warns_when_a_worker_is_inactive(citus_cluster: CitusCluster) -> None:
    with citus_database(citus_cluster, "citus_engine_inactive") as url:
        worker = citus_cluster.node_urls()[2]
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SELECT citus_disable_node(%s, %s, synchronous => true)", host_port(worker))
        engine = api.status(load_settings(REPO_ROOT, url)).engine
    assert engine is not None and engine.describe().endswith("coordinator, 1 worker")
    inactive = f"{host_port(worker)[0]}:{host_port(worker)[1]}"
    assert any("inactive" in w and inactive in w for w in engine.warnings())


def test_health_warns_when_the_coordinator_has_no_worker(citus_cluster: CitusCluster) -> None:
    with citus_database(citus_cluster, "citus_engine_alone", add_workers=False) as url:
        engine = api.status(load_settings(REPO_ROOT, url)).engine
    assert engine is not None and engine.describe().endswith("coordinator, 0 workers")
    assert any("no worker nodes" in w for w in engine.warnings())


def test_the_plan_and_the_report_read_the_same_counts_before_and_after_a_table_is_distributed(
        citus_cluster: CitusCluster) -> None:
    """One reading: `engine.facts()` (the plan's bootstrap decision) counts what status reports."""
    repository = load_repository(REPO_ROOT, {"citus": True})
    with citus_database(citus_cluster, "citus_engine_counts") as url, psycopg.connect(url, autocommit=True) as conn:
        fresh = catalog.engine(conn)
        fresh_plan = plan_up(repository, HistoryState(exists=False), engine=fresh.facts())
        conn.execute("CREATE TABLE catalog_entries (id bigint PRIMARY KEY)")
        conn.execute("SELECT create_reference_table('catalog_entries')")
        conn.execute("CREATE TABLE tenant_rows (organization_id uuid NOT NULL, id bigint NOT NULL, "
                     "PRIMARY KEY (organization_id, id)) PARTITION BY HASH (organization_id)")
        conn.execute("CREATE TABLE tenant_rows_0 PARTITION OF tenant_rows FOR VALUES WITH (MODULUS 1, REMAINDER 0)")
        conn.execute("SELECT create_distributed_table('tenant_rows', 'organization_id')")
        distributed = catalog.engine(conn)
        distributed_plan = plan_up(repository, HistoryState(exists=False), engine=distributed.facts())
    assert fresh.citus is not None and (fresh.citus.distributed_tables, fresh.citus.reference_tables) == (0, 0)
    assert fresh.facts() == EngineFacts(fresh.extensions, 0) and fresh.facts().citus
    assert fresh_plan.session_settings["citus.enable_ddl_propagation"] == "off"
    assert distributed.citus is not None
    assert (distributed.citus.distributed_tables, distributed.citus.reference_tables) == (1, 1)  # the partition not counted
    assert distributed.facts().distributed_tables == 2
    assert "citus.enable_ddl_propagation" not in distributed_plan.session_settings
