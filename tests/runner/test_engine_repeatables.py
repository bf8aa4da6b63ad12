"""citus/before/ and citus/after/: engine-only repeatables that plain PostgreSQL never runs.

The plan's side is tested without a database (the engine is a fact handed to it); the run on plain
PostgreSQL against a real server. What happens on a Citus coordinator is tested in tests/citus/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dbrun import api
from dbrun.catalog import EngineFacts
from dbrun.history import AppliedMigration, HistoryState, MigrationState
from dbrun.plan import CITUS_BOOTSTRAP_SETTINGS, CITUS_SESSION_SETTINGS, plan_up
from dbrun.source import Repository, load_repository, render_template
from tests.helpers.runner import query, two_migrations

Make = Callable[..., Path]
CITUS = EngineFacts(frozenset({"plpgsql", "citus"}), distributed_tables=0)
# A file that fails wherever it runs: plain PostgreSQL must never run it.
FAILS_IF_RUN = "-- Citus only\nSELECT 1 / 0;\n"


def _engine_files(before: str = FAILS_IF_RUN, after: str = FAILS_IF_RUN) -> dict[str, str | bytes]:
    files = two_migrations()
    files["citus/before/10_roles.sql"] = before
    files["citus/after/10_distribute.sql"] = after
    files["views/10_account_names.sql"] = "CREATE OR REPLACE VIEW account_names AS SELECT name FROM accounts;\n"
    return files


def test_engine_files_load_apart_from_policies_and_views(make_repo: Make) -> None:
    repository = load_repository(make_repo(_engine_files()))
    assert [r.key for r in repository.repeatables] == ["views/10_account_names.sql"]
    assert [(r.key, r.phase, r.requires_extension) for r in repository.engine_repeatables] == [
        ("citus/before/10_roles.sql", "before", "citus"), ("citus/after/10_distribute.sql", "after", "citus")]


def test_plain_postgresql_plans_no_engine_file(make_repo: Make) -> None:
    plan = plan_up(load_repository(make_repo(_engine_files())), HistoryState(exists=False))
    assert (plan.before, plan.after, plan.session_settings, plan.one_statement_per_query) == ([], [], {}, False)


def test_citus_sends_one_statement_per_query(make_repo: Make) -> None:
    plan = plan_up(load_repository(make_repo(_engine_files())), HistoryState(exists=False), engine=CITUS)
    assert plan.one_statement_per_query


def test_citus_plans_before_and_after_around_the_migrations(make_repo: Make) -> None:
    plan = plan_up(load_repository(make_repo(_engine_files())), HistoryState(exists=False), engine=CITUS)
    assert [r.key for r in plan.before] == ["citus/before/10_roles.sql"]
    assert [r.key for r in plan.after] == ["citus/after/10_distribute.sql"]
    assert [r.key for r in plan.repeatables] == ["views/10_account_names.sql"]


def test_citus_builds_the_chain_without_ddl_propagation_only_while_nothing_is_distributed(make_repo: Make) -> None:
    repository = load_repository(make_repo(_engine_files()))
    fresh = plan_up(repository, HistoryState(exists=False), engine=CITUS)
    distributed = plan_up(repository, HistoryState(exists=False),
                          engine=EngineFacts(CITUS.extensions, distributed_tables=3))
    assert CITUS_BOOTSTRAP_SETTINGS == {"citus.enable_ddl_propagation": "off"}
    assert fresh.session_settings == CITUS_SESSION_SETTINGS | CITUS_BOOTSTRAP_SETTINGS
    assert distributed.session_settings == CITUS_SESSION_SETTINGS


def test_citus_after_waits_while_to_leaves_migrations_pending(make_repo: Make) -> None:
    plan = plan_up(load_repository(make_repo(_engine_files())), HistoryState(exists=False), "202601010000",
                   engine=CITUS)
    assert [r.key for r in plan.before] == ["citus/before/10_roles.sql"]
    assert plan.after == []


def _engine_files_recorded(repository: Repository, *, migrations_applied: bool) -> HistoryState:
    """A history where every engine file ran with its current checksum, and the migrations did or not."""
    applied = {m.version: AppliedMigration(version=m.version, name=m.name, checksum=m.up.file.checksum,
                                           transactional=True, status=MigrationState.APPLIED,
                                           applied_at=datetime.now(UTC), duration_ms=1)
               for m in repository.migrations} if migrations_applied else {}
    return HistoryState(exists=True, applied=applied,
                        repeatables={r.key: r.file.checksum for r in repository.engine_repeatables})


def test_unchanged_engine_files_are_not_planned_again_when_nothing_is_pending(make_repo: Make) -> None:
    repository = load_repository(make_repo(_engine_files()))
    plan = plan_up(repository, _engine_files_recorded(repository, migrations_applied=True), engine=CITUS)
    assert (plan.steps, plan.before, plan.after) == ([], [], [])


def test_a_run_that_applies_migrations_runs_citus_after_even_unchanged(make_repo: Make) -> None:
    """A new migration may create a tenant table: citus/after/ must distribute it in the same run."""
    repository = load_repository(make_repo(_engine_files()))
    plan = plan_up(repository, _engine_files_recorded(repository, migrations_applied=False), engine=CITUS)
    assert len(plan.steps) == 2
    assert plan.before == []
    assert [r.key for r in plan.after] == ["citus/after/10_distribute.sql"]


def test_up_on_plain_postgresql_never_runs_the_citus_folder(make_repo: Make, db_url: str, settings_for: Any) -> None:
    settings = settings_for(make_repo(_engine_files()), db_url)
    outcome = api.up(settings)
    assert [r.name for r in outcome.result.repeatables] == ["views/10_account_names.sql"]
    assert query(db_url, "SELECT path FROM dbrun.repeatables ORDER BY path") == [("views/10_account_names.sql",)]


def test_status_on_plain_postgresql_does_not_list_the_citus_folder(make_repo: Make, db_url: str,
                                                                   settings_for: Any) -> None:
    settings = settings_for(make_repo(_engine_files()), db_url)
    api.up(settings)
    report = api.status(settings)
    assert report.repeatables == {"views/10_account_names.sql": MigrationState.APPLIED}
    assert report.health == "ok"


def test_render_prints_a_citus_file(make_repo: Make, db_url: str, settings_for: Any) -> None:
    root = make_repo(_engine_files(before="-- roles\nSELECT {{ 1 + 1 }};\n"))
    (root / "citus/before/10_roles.sql").rename(root / "citus/before/10_roles.sql.j2")
    assert api.render(settings_for(root, db_url), Path("citus/before/10_roles.sql.j2")) == "-- roles\nSELECT 2;\n"


def test_the_product_repository_runs_no_citus_file_on_plain_postgresql(product_url: str) -> None:
    assert query(product_url, "SELECT count(*) FROM dbrun.repeatables WHERE path LIKE 'citus/%'") == [(0,)]
    assert query(product_url, "SELECT count(*) FROM pg_extension WHERE extname = 'citus'") == [(0,)]


def test_the_agency_policies_render_a_sub_select_on_plain_postgresql_and_a_call_on_citus(repo_root: Path) -> None:
    plain = render_template(repo_root, repo_root / "policies/agency.clients.sql.j2", {})
    citus = render_template(repo_root, repo_root / "policies/agency.clients.sql.j2", {"citus": True})
    assert "(SELECT app.current_user_is_admin())" in plain and "(SELECT app.current_user_role()) IS NOT NULL" in plain
    assert "(SELECT" not in citus and "IS NOT NULL" not in citus
    assert "app.current_user_is_admin()" in citus and "pg_catalog.num_nonnulls(app.current_user_role()) = 1" in citus


def test_a_citus_target_loads_the_repository_rendered_for_citus(repo_root: Path, settings_for: Any) -> None:
    repository = api.load(settings_for(repo_root, "postgresql://unused@/x"), engine=CITUS)
    clients = next(r for r in repository.repeatables if r.key == "policies/agency.clients.sql.j2")
    assert "(SELECT app.current_user_is_admin())" not in clients.file.text
