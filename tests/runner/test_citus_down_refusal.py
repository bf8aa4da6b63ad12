"""On Citus, `down` refuses up front a rollback that would reach a down file changing a distribution
column (Citus refuses the statement, so the rollback would stop part-way). The plan's side, without a
database: the engine's distributed tables are a fact handed to it. On the cluster: tests/citus/test_round_trip.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dbrun.catalog import EngineFacts
from dbrun.errors import ProblemsFound
from dbrun.history import AppliedMigration, HistoryState, MigrationState
from dbrun.plan import plan_down
from dbrun.source import Repository, load_repository
from tests.helpers.runner import migration_pair

Make = Callable[..., Path]
CITUS = EngineFacts(frozenset({"plpgsql", "citus"}), 2, (("app.items", "organization_id"),))
CLEARS_TENANT = "-- Why: undo the backfill\nUPDATE app.items SET organization_id = NULL WHERE organization_id IS NOT NULL;\n"


def _repository(make_repo: Make, first_down: str) -> Repository:
    files = migration_pair("202601010000", "backfill", "SELECT 1;\n", first_down)
    files |= migration_pair("202601020000", "label", "SELECT 2;\n", "SELECT 2;\n")
    files |= migration_pair("202601030000", "note", "SELECT 3;\n", "SELECT 3;\n")
    return load_repository(make_repo(files))


def _all_applied(repository: Repository) -> HistoryState:
    state = HistoryState(exists=True)
    for m in repository.migrations:
        state.applied[m.version] = AppliedMigration(
            version=m.version, name=m.name, checksum=m.checksum, transactional=True, status=MigrationState.APPLIED,
            applied_at=None, duration_ms=None)  # type: ignore[arg-type]  # never read by the plan
    return state


def test_a_down_that_sets_the_distribution_column_is_refused_before_anything_runs(make_repo: Make) -> None:
    repository = _repository(make_repo, CLEARS_TENANT)
    with pytest.raises(ProblemsFound) as refused:
        plan_down(repository, _all_applied(repository), everything=True, engine=CITUS)
    (problem,) = refused.value.problems
    assert (problem.code, str(problem.path), problem.line) == (
        "PLAN-CITUS-DOWN", "sql/down/202601010000_backfill.sql", 2)
    assert "organization_id, the distribution column of distributed table app.items" in problem.message
    assert problem.hint is not None and "`dbrun down --to 202601010000` rolls back the 2 newer" in problem.hint


def test_a_down_that_drops_the_distribution_column_is_refused(make_repo: Make) -> None:
    repository = _repository(make_repo, "ALTER TABLE app.items DROP COLUMN organization_id;\n")
    with pytest.raises(ProblemsFound) as refused:
        plan_down(repository, _all_applied(repository), everything=True, engine=CITUS)
    assert [p.code for p in refused.value.problems] == ["PLAN-CITUS-DOWN"]


def test_a_rollback_that_stops_before_that_down_is_planned(make_repo: Make) -> None:
    repository = _repository(make_repo, CLEARS_TENANT)
    plan = plan_down(repository, _all_applied(repository), to="202601010000", engine=CITUS)
    assert [s.migration.version for s in plan.steps] == ["202601030000", "202601020000"]


def test_the_same_down_is_planned_on_plain_postgresql_and_on_a_table_citus_does_not_distribute(
        make_repo: Make) -> None:
    repository = _repository(make_repo, CLEARS_TENANT)
    plain = plan_down(repository, _all_applied(repository), everything=True)
    local = plan_down(repository, _all_applied(repository), everything=True,
                      engine=EngineFacts(CITUS.extensions, 1, (("app.other", "organization_id"),)))
    assert len(plain.steps) == len(local.steps) == 3
