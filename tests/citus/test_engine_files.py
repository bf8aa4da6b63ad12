"""citus/before/ and citus/after/ on a real Citus coordinator: run, in order, recorded, listed by status."""

from __future__ import annotations

import psycopg
import pytest

from dbrun import api
from dbrun.config import Settings
from dbrun.history import MigrationState
from tests.helpers.runner import query


def test_up_runs_citus_before_first_and_citus_after_last(citus_product: api.RunOutcome) -> None:
    assert citus_product.result is not None
    names = [r.name for r in citus_product.result.repeatables]
    before = [n for n in names if n.startswith("citus/before/")]
    after = [n for n in names if n.startswith("citus/after/")]
    assert before and after
    assert names[:len(before)] == before and names[-len(after):] == after


def test_roles_exist_on_every_worker_before_the_first_migration(citus_url: str, citus_cluster: object) -> None:
    for url in citus_cluster.node_urls():  # type: ignore[attr-defined]
        assert query(url, "SELECT rolname FROM pg_roles WHERE rolname LIKE 'app\\_%' ORDER BY 1") == [
            ("app_auth",), ("app_ingest",), ("app_migrator",), ("app_owner",), ("app_ro",), ("app_rw",)]


def test_status_lists_the_citus_files_applied(citus_url: str, citus_settings: Settings) -> None:
    report = api.status(citus_settings)
    citus_files = {path: state for path, state in report.repeatables.items() if path.startswith("citus/")}
    in_repository = sorted(p.relative_to(citus_settings.root).as_posix()
                           for p in (citus_settings.root / "citus").glob("*/*.sql"))
    assert "citus/after/20_distribute.sql" in in_repository and "citus/before/10_roles.sql" in in_repository
    assert sorted(citus_files) == in_repository
    assert set(report.repeatables.values()) == {MigrationState.APPLIED}


def test_a_second_up_runs_nothing(citus_url: str, citus_settings: Settings) -> None:
    assert api.up(citus_settings).plan.empty


def test_every_post_check_passes_on_citus(citus_product: api.RunOutcome) -> None:
    assert sorted(c.name for c in citus_product.post_checks if not c.passed) == []


def test_the_statement_triggers_a_row_trigger_replaces_are_disabled(citus_url: str) -> None:
    rows = query(citus_url, """SELECT t.tgrelid::regclass::text, t.tgenabled FROM pg_trigger AS t
                               WHERE t.tgrelid IN ('usage.events'::regclass, 'venture.feedback_intelligence'::regclass)
                                 AND NOT t.tgisinternal AND (t.tgnewtable IS NOT NULL OR t.tgoldtable IS NOT NULL)""")
    assert {table for table, _ in rows} == {"usage.events", "venture.feedback_intelligence"}
    assert {state for _, state in rows} == {"D"}


def test_an_unknown_transition_table_trigger_stops_the_citus_files(citus_url: str) -> None:
    with psycopg.connect(citus_url) as conn:  # one transaction, rolled back: the cluster is shared
        conn.execute("""CREATE FUNCTION pg_temp.tg_unknown() RETURNS trigger LANGUAGE plpgsql
                        AS $$ BEGIN RETURN NULL; END $$""")
        conn.execute("CREATE TEMPORARY TABLE local_example (id integer)")
        conn.execute("""CREATE TRIGGER trg_unknown AFTER INSERT ON pg_temp.local_example
                        REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.tg_unknown()""")
        with pytest.raises(psycopg.errors.FeatureNotSupported) as caught:
            conn.execute("""SELECT app.disable_transition_table_triggers(
                                'pg_temp.local_example', ARRAY[]::regprocedure [], 'citus/after/99_example.sql')""")
        assert caught.value.diag.sqlstate == "0A000"
        assert "trg_unknown" in (caught.value.diag.message_primary or "")
        conn.rollback()
