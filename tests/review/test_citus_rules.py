"""citus.py's static rules: what the dry-run predicts for a statement before running it on Citus.

The rules read only the parsed statement and Citus's view of the tables it names (given here as a
dictionary, as the reviewer answers it from pg_dist_partition); what the cluster then does is tested
against a real one in tests/citus/.
"""

from __future__ import annotations

from dbrun.citus import CitusNote, Propagation, Session, TableKind, classify

TABLES = {"app.items": TableKind("distributed", "organization_id"),
          "app.orgs": TableKind("distributed", "organization_id"),
          "app.models": TableKind("reference", None)}


def predicted(sql: str, session: Session | None = None) -> CitusNote:
    note = classify(sql, TABLES.get, session or Session())
    assert note is not None
    return note


def test_foreign_key_from_a_distributed_table_to_a_local_one_is_rejected() -> None:
    note = predicted("ALTER TABLE app.items ADD CONSTRAINT fk_items_notes FOREIGN KEY (organization_id, note_id) "
                     "REFERENCES app.notes (organization_id, id) ON DELETE CASCADE")
    assert note.propagation is Propagation.REJECTED and "app.notes" in note.reason


def test_foreign_key_between_distributed_tables_on_the_distribution_column_is_propagated() -> None:
    note = predicted("ALTER TABLE app.items ADD CONSTRAINT fk_items_orgs FOREIGN KEY (organization_id) "
                     "REFERENCES app.orgs (organization_id) ON DELETE CASCADE")
    assert note.propagation is Propagation.PROPAGATED


def test_primary_key_column_added_without_the_distribution_column_is_rejected() -> None:
    assert predicted("ALTER TABLE app.items ADD COLUMN code text PRIMARY KEY").propagation is Propagation.REJECTED


def test_unique_key_on_a_reference_table_is_propagated() -> None:
    note = predicted("ALTER TABLE app.models ADD CONSTRAINT uq_models_name UNIQUE (name)")
    assert note.propagation is Propagation.PROPAGATED


def test_with_ddl_propagation_off_ddl_on_a_distributed_table_stays_on_the_coordinator() -> None:
    note = predicted("ALTER TABLE app.items ADD COLUMN note text", Session(ddl_propagation=False))
    assert note.propagation is Propagation.COORDINATOR


def test_a_role_created_earlier_in_the_file_rejects_what_runs_as_it_on_the_workers() -> None:
    session = Session()
    predicted("CREATE ROLE app_owner NOLOGIN", session)
    predicted("SET LOCAL ROLE app_owner", session)
    assert predicted("CREATE SCHEMA app_more", session).propagation is Propagation.REJECTED


def test_set_local_of_a_tenant_setting_is_propagated_only_with_propagate_set_commands_local() -> None:
    assert predicted("SET LOCAL app.org_id = 'x'").propagation is Propagation.COORDINATOR
    assert predicted("SET LOCAL app.org_id = 'x'", Session(propagate_set_commands="local")).propagation \
        is Propagation.PROPAGATED


def test_set_config_inside_a_function_body_is_warned_about() -> None:
    note = predicted("CREATE FUNCTION app.use_org(p uuid) RETURNS void LANGUAGE sql AS "
                     "$$ SELECT set_config('app.org_id', p::text, true) $$")
    assert note.propagation is Propagation.PROPAGATED and note.warnings


def test_a_file_turning_ddl_propagation_off_keeps_its_later_ddl_on_the_coordinator() -> None:
    session = Session()
    predicted("SET LOCAL citus.enable_ddl_propagation = off", session)
    assert predicted("CREATE SCHEMA app_more", session).propagation is Propagation.COORDINATOR


def test_a_column_referencing_another_distributed_table_without_the_distribution_column_is_rejected() -> None:
    note = predicted("ALTER TABLE app.items ADD COLUMN parent_org uuid REFERENCES app.orgs (organization_id)")
    assert note.propagation is Propagation.REJECTED and "distribution columns" in note.reason


def test_trigger_on_a_reference_table_is_rejected_while_unsafe_triggers_are_off() -> None:
    note = predicted("CREATE TRIGGER trg_models_touch BEFORE UPDATE ON app.models FOR EACH ROW "
                     "EXECUTE FUNCTION suppress_redundant_updates_trigger()", Session(unsafe_triggers=False))
    assert note.propagation is Propagation.REJECTED


def test_ddl_on_a_distributed_table_as_a_nologin_role_is_rejected() -> None:
    session = Session(nologin={"app_owner"})
    predicted("SET LOCAL ROLE app_owner", session)
    note = predicted("ALTER TABLE app.items ADD COLUMN note text", session)
    assert note.propagation is Propagation.REJECTED and "cannot log in" in note.reason


def test_a_role_created_nologin_in_the_file_counts_as_one_that_cannot_log_in() -> None:
    session = Session()
    predicted("CREATE ROLE app_reader NOLOGIN", session)
    predicted("CREATE USER app_service", session)
    assert session.nologin == {"app_reader"}
