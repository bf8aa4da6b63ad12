"""`dbrun status` and `dbrun health` name the engine: PostgreSQL + Citus, the node's role, its workers."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from dbrun import api
from dbrun.cli import app
from dbrun.config import load_settings
from tests.helpers.citus import CitusCluster

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
