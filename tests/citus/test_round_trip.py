"""`dbrun down` then `dbrun up` on the distributed cluster gives the schema back, on the coordinator and
on the workers, as far back as the chain can go there; a `down` that would go further is refused
before anything runs.

Every migration after 202611291641 (messages_conversation_backfill), the newest included, rolls back
and applies again on Citus. The floor is 202611291641: applying it again runs a batched UPDATE of
conversational.messages that calls a VOLATILE function, which Citus refuses on a distributed table
(0A000); below it, 202611291625 applied again creates a policy with a sub-select on core.organizations
(a reference table: XX000), and the downs of 202611291620 to 202611291611 set the distribution column
to NULL, which dbrun refuses up front (PLAN-CITUS-DOWN). docs/scale-out.md, "Round trip".
"""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dbrun import api
from dbrun.cli import app
from dbrun.config import Settings
from dbrun.errors import ProblemsFound
from dbrun.source import load_repository
from tests.helpers.citus import CitusCluster
from tests.helpers.citus_dump import dump_objects, schema_dump
from tests.helpers.runner import query

FLOOR = "202611291641"
FIRST_REFUSED_DOWN = "sql/down/202611291620_tenancy_backfill_messages.sql"


def test_down_to_the_floor_then_up_gives_the_same_schema_on_the_coordinator_and_a_worker(
        citus_url: str, citus_settings: Settings, citus_cluster: CitusCluster) -> None:
    """The coordinator's schema comes back exactly. A worker keeps every object it had, unchanged (its
    shards' ids aside); it may gain copies of functions: the migrations applied again run with DDL
    propagation on (the cluster distributes the schema by then), so Citus creates their functions on
    the workers too, where the first build, made locally and then distributed, left only what the
    distributed tables and functions depend on."""
    worker = citus_cluster.node_urls()[1]
    before = schema_dump(citus_url), dump_objects(schema_dump(worker))
    newer = [m.version for m in load_repository(citus_settings.root, {"citus": True}).migrations if m.version > FLOOR]

    down = api.down(citus_settings, to=FLOOR)
    assert down.result is not None
    assert sorted(m.version for m in down.result.migrations) == newer and len(newer) >= 4  # the newest included
    assert query(citus_url, "SELECT max(version) FROM dbrun.migrations")[0][0] == FLOOR

    up = api.up(citus_settings)
    assert up.result is not None
    assert [m.version for m in up.result.migrations] == [m.version for m in reversed(down.result.migrations)]
    assert schema_dump(citus_url) == before[0]
    on_worker = dump_objects(schema_dump(worker))
    assert {name: on_worker.get(name) for name in before[1]} == before[1]
    gained = {name.split("; Type: ")[1].split(";")[0] for name in set(on_worker) - set(before[1])}
    assert gained <= {"FUNCTION", "FUNCTION OWNER", "ACL"}, gained


def test_a_down_past_the_distribution_column_backfills_is_refused_naming_the_file(
        citus_url: str, citus_settings: Settings) -> None:
    applied = query(citus_url, "SELECT count(*) FROM dbrun.migrations")[0][0]
    with pytest.raises(ProblemsFound) as refused:
        api.down(citus_settings, to="202611291600")
    (problem,) = refused.value.problems
    assert (problem.code, str(problem.path), problem.line) == ("PLAN-CITUS-DOWN", FIRST_REFUSED_DOWN, 6)
    assert "distribution column of distributed table conversational.messages" in problem.message
    assert problem.hint is not None and "`dbrun down --to 202611291620`" in problem.hint
    assert query(citus_url, "SELECT count(*) FROM dbrun.migrations")[0][0] == applied
    cli = CliRunner().invoke(app, ["down", "--yes", "--to", "202611291600", "--root", str(citus_settings.root),
                                   "--database-url", citus_url])
    assert cli.exit_code == 1 and "PLAN-CITUS-DOWN" in cli.output
