"""`dbrun status` and `dbrun health` name the engine: PostgreSQL + Citus, the node's role, its workers."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from dbrun import api
from dbrun.cli import app
from dbrun.config import load_settings
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
