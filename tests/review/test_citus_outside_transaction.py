"""What the Citus dry-run leaves out (it would commit on the workers outside its transaction) and what
a Citus `down` refuses (a change of a distribution column): the static rules, without a database.
On the cluster: tests/citus/test_dry_run_citus.py and tests/citus/test_round_trip.py."""

from __future__ import annotations

from dbrun import citus

DISTRIBUTED = {"app.items": citus.TableKind("distributed", "organization_id"), "app.models": citus.TableKind(
    "reference", None)}


def lookup(written: str) -> citus.TableKind | None:
    return DISTRIBUTED.get(written)


def test_a_query_calling_run_command_on_workers_is_left_out() -> None:
    why = citus.commits_outside_the_transaction("SELECT * FROM run_command_on_workers('SELECT 1');",
                                                distributes_too=False)
    assert why is not None and why.startswith("it calls run_command_on_workers()")


def test_a_do_block_calling_it_is_left_out_but_a_function_defining_the_call_is_run() -> None:
    do = "DO $$ BEGIN PERFORM run_command_on_all_nodes('SELECT 1'); END $$;"
    function = ("CREATE FUNCTION seal() RETURNS void LANGUAGE plpgsql AS $$ BEGIN "
                "PERFORM run_command_on_workers('SELECT 1'); END $$;")
    assert citus.commits_outside_the_transaction(do, distributes_too=False) is not None
    assert citus.commits_outside_the_transaction(function, distributes_too=False) is None


def test_distributing_is_left_out_only_on_a_coordinator_that_distributes_nothing_yet() -> None:
    call = "SELECT create_distributed_table('app.items', 'organization_id');"
    assert citus.commits_outside_the_transaction(call, distributes_too=False) is None
    why = citus.commits_outside_the_transaction(call, distributes_too=True)
    assert why is not None and why.startswith("create_distributed_table() on a coordinator that distributes nothing")


def test_an_update_setting_the_distribution_column_is_a_change_of_it() -> None:
    why = citus.distribution_column_change("UPDATE app.items SET organization_id = NULL;", lookup)
    assert why is not None and "distribution column of distributed table app.items" in why


def test_an_update_of_other_columns_or_of_a_reference_table_is_not() -> None:
    assert citus.distribution_column_change("UPDATE app.items SET label = 'x';", lookup) is None
    assert citus.distribution_column_change("UPDATE app.models SET organization_id = NULL;", lookup) is None


def test_dropping_or_retyping_the_distribution_column_is_a_change_of_it() -> None:
    assert citus.distribution_column_change("ALTER TABLE app.items DROP COLUMN organization_id;", lookup)
    assert citus.distribution_column_change("ALTER TABLE app.items ALTER COLUMN organization_id TYPE text;", lookup)
    assert citus.distribution_column_change("ALTER TABLE app.items DROP COLUMN label;", lookup) is None


def test_the_dry_run_predicts_a_rejection_for_an_update_of_the_distribution_column() -> None:
    note = citus.classify("UPDATE app.items SET organization_id = NULL;", lookup, citus.Session())
    assert note is not None and note.propagation is citus.Propagation.REJECTED
