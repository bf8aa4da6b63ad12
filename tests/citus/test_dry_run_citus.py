"""`dbrun up --dry-run` on a Citus coordinator says, per statement, what Citus does with it.

Each test writes a one-migration repository against fixture tables in the schema `citus_dryrun`
(a distributed table, a colocated one, a reference table and a local table), runs the dry-run and
asserts the classification of the statement on a given line: propagated, coordinator only, or
rejected (with the SQLSTATE Citus raised when the dry-run ran it). The fixture lives in a database
of its own on every node (the session's cluster, its own Citus metadata), dropped afterwards, so the
product applied to the cluster's `postgres` database never sees it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from dbrun import review
from dbrun.citus import Propagation
from dbrun.cli import app
from dbrun.config import Settings, load_settings
from dbrun.review_model import DryRun, StatementReport
from tests.helpers.citus import CitusCluster
from tests.helpers.citus_database import citus_database, in_database
from tests.helpers.citus_dump import schema_dump

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "citus_dryrun"
FIXTURE = f"""
CREATE SCHEMA {SCHEMA};
CREATE FUNCTION {SCHEMA}.current_org() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
CREATE TABLE {SCHEMA}.orgs (organization_id uuid PRIMARY KEY, name text NOT NULL);
CREATE TABLE {SCHEMA}.items (organization_id uuid NOT NULL, id bigint NOT NULL, label text,
                             PRIMARY KEY (organization_id, id));
CREATE TABLE {SCHEMA}.models (id bigint PRIMARY KEY, name text);
CREATE TABLE {SCHEMA}.notes (id bigint PRIMARY KEY, body text);
SELECT create_distributed_table('{SCHEMA}.orgs', 'organization_id');
SELECT create_distributed_table('{SCHEMA}.items', 'organization_id', colocate_with => '{SCHEMA}.orgs');
SELECT create_reference_table('{SCHEMA}.models');
"""

Run = Callable[[str], DryRun]
NOLOGIN_ROLE = "citus_dryrun_owner_nologin"


@pytest.fixture(scope="module")
def fixture_url(citus_cluster: CitusCluster) -> Iterator[str]:
    """The fixture tables in a database of their own (tests/helpers/citus_database.py)."""
    with citus_database(citus_cluster, "citus_dryrun") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(FIXTURE)
            conn.execute(f"CREATE ROLE {NOLOGIN_ROLE} NOLOGIN")  # Citus creates it on the workers too
            conn.execute(f"GRANT USAGE, CREATE ON SCHEMA {SCHEMA} TO {NOLOGIN_ROLE}")
        try:
            yield url
        finally:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"DROP OWNED BY {NOLOGIN_ROLE}")
                conn.execute(f"DROP ROLE {NOLOGIN_ROLE}")


@pytest.fixture
def repository(tmp_path: Path) -> Callable[[str], Path]:
    def make(up: str) -> Path:
        root = tmp_path / "repo"
        for folder in ("up", "down"):
            (root / "sql" / folder).mkdir(parents=True, exist_ok=True)
        (root / "sql" / "up" / "202601010000_probe.sql").write_text(f"-- Migration: probe\n{up}", encoding="utf-8")
        (root / "sql" / "down" / "202601010000_probe.sql").write_text("SELECT 1;\n", encoding="utf-8")
        return root

    return make


@pytest.fixture
def settings_of(fixture_url: str, repository: Callable[[str], Path]) -> Callable[[str], Settings]:
    return lambda up: load_settings(repository(up), fixture_url)


@pytest.fixture
def dry_run(settings_of: Callable[[str], Settings]) -> Run:
    return lambda up: review.dry_run_up(settings_of(up))


def at_line(result: DryRun, line: int) -> StatementReport:
    """The statement on `line` of the probe file (line 1 is its header)."""
    return next(s for m in result.migrations for s in m.statements if s.line == line)


def test_policy_with_a_subquery_on_a_distributed_table_is_rejected_with_citus_sqlstate(dry_run: Run) -> None:
    result = dry_run(f"CREATE POLICY items_tenant ON {SCHEMA}.items "
                     f"USING (organization_id = (SELECT {SCHEMA}.current_org()));\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.REJECTED
    assert (note.source, note.sqlstate) == ("observed", "XX000")
    assert result.failure is not None and result.failure.sqlstate == "XX000"


def test_policy_calling_the_function_directly_is_propagated(dry_run: Run) -> None:
    result = dry_run(f"CREATE POLICY items_tenant ON {SCHEMA}.items USING (organization_id = {SCHEMA}.current_org());\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.PROPAGATED
    assert result.failure is None


def test_unique_key_without_the_distribution_column_is_rejected(dry_run: Run) -> None:
    result = dry_run(f"ALTER TABLE {SCHEMA}.items ADD CONSTRAINT uq_items_label UNIQUE (label);\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.REJECTED
    assert (note.source, note.sqlstate) == ("observed", "0A000")


def test_unique_key_with_the_distribution_column_is_propagated(dry_run: Run) -> None:
    result = dry_run(f"ALTER TABLE {SCHEMA}.items ADD CONSTRAINT uq_items_label UNIQUE (organization_id, label);\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.PROPAGATED
    assert result.failure is None


def test_type_change_of_the_distribution_column_is_rejected(dry_run: Run) -> None:
    result = dry_run(f"ALTER TABLE {SCHEMA}.items ALTER COLUMN organization_id TYPE text;\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.REJECTED
    assert note.sqlstate == "XX000"


def test_trigger_on_a_distributed_table_is_propagated_with_a_warning_under_the_plans_settings(dry_run: Run) -> None:
    """dbrun runs on Citus with citus.enable_unsafe_triggers on (plan.CITUS_SESSION_SETTINGS): Citus takes
    the trigger, which then runs on each shard; without it, tests/review/test_citus_rules.py."""
    result = dry_run(f"CREATE TRIGGER trg_items_touch BEFORE UPDATE ON {SCHEMA}.items FOR EACH ROW "
                     "EXECUTE FUNCTION suppress_redundant_updates_trigger();\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.PROPAGATED
    assert any("enable_unsafe_triggers" in w for w in note.warnings)


def test_objects_created_as_a_role_created_in_the_same_migration_are_rejected_on_the_workers(dry_run: Run) -> None:
    result = dry_run(f"CREATE ROLE citus_dryrun_owner NOLOGIN;\n"
                     f"GRANT USAGE, CREATE ON SCHEMA {SCHEMA} TO citus_dryrun_owner;\n"
                     "SET LOCAL ROLE citus_dryrun_owner;\n"
                     f"CREATE FUNCTION {SCHEMA}.answer() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 42 $$;\n")
    assert at_line(result, 2).citus is not None and at_line(result, 2).citus.propagation is Propagation.PROPAGATED
    set_role = at_line(result, 4).citus
    assert set_role is not None and set_role.propagation is Propagation.COORDINATOR and set_role.warnings
    note = at_line(result, 5).citus
    assert note is not None and note.propagation is Propagation.REJECTED
    assert (note.source, note.sqlstate) == ("observed", "08006")


def test_objects_created_as_an_existing_nologin_role_are_rejected_on_the_workers(dry_run: Run) -> None:
    result = dry_run(f"SET LOCAL ROLE {NOLOGIN_ROLE};\n"
                     f"CREATE FUNCTION {SCHEMA}.answer() RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT 42 $$;\n")
    note = at_line(result, 3).citus
    assert note is not None and note.propagation is Propagation.REJECTED and "cannot log in" in note.reason
    assert (note.source, note.sqlstate) == ("observed", "08006")


def test_set_config_of_the_tenant_stays_on_the_coordinator_with_a_warning(dry_run: Run) -> None:
    result = dry_run("SELECT set_config('app.org_id', '00000000-0000-0000-0000-000000000001', true);\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.COORDINATOR
    assert any("not propagated to the workers" in w for w in note.warnings)
    assert any(r.level == "medium" and "set_config" in r.text for r in result.risks())


def test_ddl_on_distributed_and_reference_tables_is_propagated(dry_run: Run) -> None:
    result = dry_run(f"ALTER TABLE {SCHEMA}.items ADD COLUMN note text;\n"
                     f"ALTER TABLE {SCHEMA}.models ADD COLUMN family text;\n")
    assert [at_line(result, line).citus.propagation for line in (2, 3)] == [Propagation.PROPAGATED] * 2  # type: ignore[union-attr]


def test_an_index_on_a_distributed_table_alone_in_its_file_is_propagated(dry_run: Run) -> None:
    result = dry_run(f"CREATE INDEX idx_items_label ON {SCHEMA}.items (organization_id, label);\n")
    note = at_line(result, 2).citus
    assert note is not None and note.propagation is Propagation.PROPAGATED


def test_an_index_on_a_distributed_table_among_other_statements_is_propagated(
        dry_run: Run, fixture_url: str) -> None:
    """Sent in one query string with another statement, Citus refuses it on the workers (42601); dbrun
    sends each statement of a file on its own on Citus, and the dry-run runs it so too."""
    with psycopg.connect(fixture_url) as conn, pytest.raises(psycopg.errors.SyntaxError):
        conn.execute(f"CREATE INDEX idx_items_label ON {SCHEMA}.items (organization_id, label); SELECT 1".encode())
    result = dry_run(f"ALTER TABLE {SCHEMA}.items ADD COLUMN note text;\n"
                     f"CREATE INDEX idx_items_label ON {SCHEMA}.items (organization_id, label);\n")
    note = at_line(result, 3).citus
    assert note is not None and note.propagation is Propagation.PROPAGATED
    assert result.failure is None


def test_ddl_on_a_local_table_and_comments_stay_on_the_coordinator(dry_run: Run) -> None:
    result = dry_run(f"ALTER TABLE {SCHEMA}.notes ADD COLUMN author text;\n"
                     f"COMMENT ON TABLE {SCHEMA}.items IS 'Items of an organization.';\n")
    assert [at_line(result, line).citus.propagation for line in (2, 3)] == [Propagation.COORDINATOR] * 2  # type: ignore[union-attr]


def test_distributing_a_new_table_is_observed_as_propagated(dry_run: Run) -> None:
    result = dry_run(f"CREATE TABLE {SCHEMA}.extra (organization_id uuid NOT NULL, id bigint NOT NULL, "
                     "PRIMARY KEY (organization_id, id));\n"
                     f"SELECT create_distributed_table('{SCHEMA}.extra', 'organization_id', "
                     f"colocate_with => '{SCHEMA}.orgs');\n"
                     f"ALTER TABLE {SCHEMA}.extra ADD COLUMN label text;\n")
    created, distributed, altered = (at_line(result, line).citus for line in (2, 3, 4))
    assert created is not None and created.propagation is Propagation.COORDINATOR
    assert distributed is not None and distributed.propagation is Propagation.PROPAGATED
    assert f"table {SCHEMA}.extra" in distributed.distributed
    assert altered is not None and altered.propagation is Propagation.PROPAGATED


def test_json_dry_run_carries_the_annotation_and_counts(settings_of: Callable[[str], Settings]) -> None:
    settings = settings_of(f"ALTER TABLE {SCHEMA}.items ADD COLUMN note text;\n"
                           f"ALTER TABLE {SCHEMA}.items ADD CONSTRAINT uq_items_note UNIQUE (note);\n")
    result = CliRunner().invoke(app, ["up", "--dry-run", "--json", "--root", str(settings.root),
                                      "--database-url", settings.database_url or ""])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    statements = data["migrations"][0]["statements"]
    assert [s["citus"]["propagation"] for s in statements] == ["propagated", "rejected"]
    assert statements[1]["citus"]["sqlstate"] == "0A000"
    assert data["citus"]["statements"] == {"propagated": 1, "coordinator only": 0, "rejected": 1}


# -- the dry-run runs what the real run runs, as it sends it --------------------------------------


def test_an_alter_table_citus_refuses_whole_is_split_as_the_real_run_sends_it(dry_run: Run, fixture_url: str) -> None:
    """Citus refuses ADD CONSTRAINT among other subcommands; the real run sends one ALTER TABLE per
    subcommand (source.one_alter_per_subcommand), and the dry-run runs exactly those parts."""
    alter = (f"ALTER TABLE {SCHEMA}.items ADD COLUMN note text, "
             "ADD CONSTRAINT ck_items_note_length CHECK (length(note) <= 100);\n")
    with psycopg.connect(fixture_url) as conn, pytest.raises(psycopg.Error):
        conn.execute(alter.encode())
    result = dry_run(alter)
    assert result.failure is None
    parts = [s for m in result.migrations for s in m.statements if s.line == 2]
    assert [s.sql.split(" ADD ")[1].split()[0] for s in parts] == ["COLUMN", "CONSTRAINT"]
    assert [s.citus.propagation for s in parts] == [Propagation.PROPAGATED] * 2  # type: ignore[union-attr]


def test_a_refused_part_of_a_split_alter_table_is_reported_with_its_sqlstate_and_line(dry_run: Run) -> None:
    result = dry_run("SELECT 1;\n"
                     f"ALTER TABLE {SCHEMA}.items ADD COLUMN code text,\n"
                     "    ADD CONSTRAINT uq_items_code UNIQUE (code);\n")
    column, key = (s for m in result.migrations for s in m.statements if s.line == 3)
    assert column.citus is not None and column.citus.propagation is Propagation.PROPAGATED
    assert key.citus is not None and key.citus.propagation is Propagation.REJECTED
    assert (key.citus.source, key.citus.sqlstate) == ("observed", "0A000")
    assert result.failure is not None and (result.failure.sqlstate, result.failure.line) == ("0A000", 3)


@pytest.fixture
def engine_repository(repository: Callable[[str], Path], fixture_url: str) -> Callable[[str, dict[str, str]], Settings]:
    """Settings of a probe migration plus citus/ files ({'before/10_x.sql': sql, 'after/10_y.sql': sql})."""
    def make(up: str, citus_files: dict[str, str]) -> Settings:
        root = repository(up)
        for name, text in citus_files.items():
            (root / "citus" / name).parent.mkdir(parents=True, exist_ok=True)
            (root / "citus" / name).write_text(text, encoding="utf-8")
        return load_settings(root, fixture_url)

    return make


def test_the_citus_before_and_after_files_run_in_the_dry_run(
        engine_repository: Callable[[str, dict[str, str]], Settings], fixture_url: str) -> None:
    settings = engine_repository(
        f"CREATE TABLE {SCHEMA}.extra (organization_id uuid NOT NULL, id bigint NOT NULL, "
        "CONSTRAINT pk_extra PRIMARY KEY (organization_id, id));\n",
        {"before/10_settings.sql": "SELECT set_config('application_name', 'dry-run probe', true);\n",
         "after/10_distribute.sql": f"SELECT create_distributed_table('{SCHEMA}.extra', 'organization_id', "
                                    f"colocate_with => '{SCHEMA}.orgs');\n"})
    result = review.dry_run_up(settings)
    assert [(m.path, m.status) for m in result.migrations] == [
        ("citus/before/10_settings.sql", "executed"), ("sql/up/202601010000_probe.sql", "executed"),
        ("citus/after/10_distribute.sql", "executed")]
    distribute = result.migrations[2].statements[0].citus
    assert distribute is not None and f"table {SCHEMA}.extra" in distribute.distributed
    with psycopg.connect(fixture_url) as conn:
        assert conn.execute(f"SELECT to_regclass('{SCHEMA}.extra')").fetchone() == (None,)


def test_a_role_an_earlier_file_creates_is_reported_not_simulated_rather_than_rejected(
        engine_repository: Callable[[str, dict[str, str]], Settings], fixture_url: str,
        citus_cluster: CitusCluster) -> None:
    """citus/before/ commits its roles in the real run before anything uses them; in the dry-run's one
    transaction the workers never see them. The file that needs one is 'not simulated', with the line."""
    role = "citus_dryrun_boundary_owner"
    settings = engine_repository(
        "SELECT 1;\n",
        {"before/10_role.sql": f"CREATE ROLE {role} LOGIN;\nGRANT USAGE, CREATE ON SCHEMA {SCHEMA} TO {role};\n",
         "after/10_owned.sql": f"SET LOCAL ROLE {role};\n"
                               f"CREATE TABLE {SCHEMA}.owned (organization_id uuid NOT NULL);\n"
                               f"SELECT create_distributed_table('{SCHEMA}.owned', 'organization_id', "
                               f"colocate_with => '{SCHEMA}.orgs');\n"})
    result = review.dry_run_up(settings)
    owned = result.migrations[-1]
    assert (owned.path, owned.status) == ("citus/after/10_owned.sql", "not simulated")
    assert owned.note is not None and f"line 3 of citus/after/10_owned.sql needs role {role}" in owned.note
    assert "citus/before/10_role.sql" in owned.note
    assert result.failure is None and result.exit_code == 0
    assert not [s for m in result.migrations for s in m.statements
                if s.citus is not None and s.citus.propagation is Propagation.REJECTED]
    for node in (fixture_url, in_database(citus_cluster.node_urls()[1], "citus_dryrun")):
        with psycopg.connect(node) as conn:
            assert conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)).fetchone() == (0,)


def test_a_dry_run_of_the_whole_chain_on_an_empty_coordinator_rejects_nothing_and_changes_nothing(
        citus_cluster: CitusCluster) -> None:
    """The product's chain, citus/before/ to citus/after/, in one rolled-back transaction on a database
    with nothing in it. What would commit outside that transaction is left out, statement by statement
    (run_command_on_workers(); and on a coordinator that distributes nothing yet, the distributing calls,
    for which Citus creates their dependencies on the workers in sessions that commit at once): neither
    the coordinator's nor a worker's schema changes."""
    with citus_database(citus_cluster, "citus_dryrun_chain") as url:
        worker = in_database(citus_cluster.node_urls()[1], "citus_dryrun_chain")
        before = [schema_dump(url), schema_dump(worker)]

        result = review.dry_run_up(load_settings(REPO_ROOT, url))

        after = [schema_dump(url), schema_dump(worker)]
    assert (result.failure, result.stopped_at, result.exit_code) == (None, None, 0)
    assert {m.status for m in result.migrations} == {"executed"}
    ran = [m.path for m in result.migrations]
    engine_files = [sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "citus" / phase).glob("*.sql"))
                    for phase in ("before", "after")]
    assert [p for p in ran if p.startswith("citus/")] == engine_files[0] + engine_files[1]
    rejected = [(m.path, s.line) for m in result.migrations for s in m.statements
                if s.citus is not None and s.citus.propagation is Propagation.REJECTED]
    assert rejected == []
    left_out = {(m.path, s.line): s for m in result.migrations for s in m.statements if not s.executed}
    assert left_out and all(path.startswith("citus/after/") for path, _ in left_out)
    assert all(s.citus is not None and any(w.startswith("not run by the dry-run") for w in s.citus.warnings)
               for s in left_out.values())
    assert "citus/after/20_distribute.sql" in {path for path, _ in left_out}
    assert after == before


def test_a_dry_run_of_a_rollback_on_the_product_reports_a_commit_boundary_not_a_rejection(
        citus_url: str, citus_settings: Settings) -> None:
    """`down --to 202611291641 --dry-run` on the applied product: the real run commits each down file;
    in the one transaction a later down touches, as app_owner, shards an earlier one wrote as the
    migrator, which Citus refuses (25001). That file is 'not simulated', with its line; nothing is
    reported rejected and the exit code is 0."""
    result = review.dry_run_down(citus_settings, to="202611291641")
    assert result.failure is None and result.exit_code == 0
    assert not [(m.path, s.line) for m in result.migrations for s in m.statements
                if s.citus is not None and s.citus.propagation is Propagation.REJECTED]
    statuses = [m.status for m in result.migrations]
    stop = statuses.index("not simulated")
    assert stop > 0 and statuses[:stop] == ["executed"] * stop and set(statuses[stop + 1:]) <= {"skipped"}
    stopped = result.migrations[stop]
    assert result.stopped_at == stopped.name
    assert stopped.note is not None and "25001" in stopped.note and f"of {stopped.path} touches, as role" in stopped.note
