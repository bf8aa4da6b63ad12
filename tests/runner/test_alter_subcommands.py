"""source.one_alter_per_subcommand: the ALTER TABLEs dbrun sends one subcommand at a time on Citus (which
refuses ADD CONSTRAINT with other subcommands), and the ones it leaves whole."""

from __future__ import annotations

from dbrun.source import Statement, one_alter_per_subcommand


def parts(sql: str) -> list[str]:
    return [s.text for s in one_alter_per_subcommand(Statement(3, sql, 7))]


def test_drop_then_add_of_a_constraint_becomes_two_alters_in_order() -> None:
    assert parts("ALTER TABLE s.t DROP CONSTRAINT ck_t_a, -- re-added NOT VALID\n"
                 "ADD CONSTRAINT ck_t_a CHECK (a IS NOT NULL) NOT VALID") == [
        "ALTER TABLE s.t DROP CONSTRAINT ck_t_a",
        "ALTER TABLE s.t ADD CONSTRAINT ck_t_a CHECK (a IS NOT NULL) NOT VALID"]


def test_added_columns_come_before_the_constraints_on_them() -> None:
    assert parts("ALTER TABLE ONLY s.t ADD COLUMN a text, ADD CONSTRAINT ck_t_a CHECK (length(a) < 9) NOT VALID") == [
        "ALTER TABLE ONLY s.t ADD COLUMN a text",
        "ALTER TABLE ONLY s.t ADD CONSTRAINT ck_t_a CHECK (length(a) < 9) NOT VALID"]


def test_the_parts_keep_the_statement_index_and_line() -> None:
    split = one_alter_per_subcommand(Statement(3, "ALTER TABLE t DROP CONSTRAINT c, ADD CONSTRAINT c CHECK (a > 0)", 7))
    assert [(s.index, s.line) for s in split] == [(3, 7), (3, 7)]


def test_an_order_postgresql_would_change_stays_one_statement() -> None:
    # One ALTER TABLE drops before it adds, whatever the written order: apart, the add would fail.
    sql = "ALTER TABLE t ADD CONSTRAINT c2 CHECK (a > 0), DROP CONSTRAINT c1"
    assert parts(sql) == [sql]


def test_a_foreign_key_written_before_the_unique_key_it_needs_stays_one_statement() -> None:
    # One ALTER TABLE builds the unique index before it checks the foreign key.
    sql = "ALTER TABLE t ADD CONSTRAINT fk_t_b FOREIGN KEY (b) REFERENCES t (a), ADD CONSTRAINT uq_t_a UNIQUE (a)"
    assert parts(sql) == [sql]


def test_a_unique_key_then_a_foreign_key_on_it_becomes_two_alters() -> None:
    sql = "ALTER TABLE t ADD CONSTRAINT uq_t_a UNIQUE (a), ADD CONSTRAINT fk_t_b FOREIGN KEY (b) REFERENCES t (a)"
    assert parts(sql) == [
        "ALTER TABLE t ADD CONSTRAINT uq_t_a UNIQUE (a)",
        "ALTER TABLE t ADD CONSTRAINT fk_t_b FOREIGN KEY (b) REFERENCES t (a)"]


def test_other_subcommands_stay_one_statement() -> None:
    sql = "ALTER TABLE t ALTER COLUMN a SET NOT NULL, ADD CONSTRAINT c CHECK (a > 0)"
    assert parts(sql) == [sql]


def test_an_alter_without_add_constraint_stays_one_statement() -> None:
    sql = "ALTER TABLE t ADD COLUMN a text, ADD COLUMN b text"
    assert parts(sql) == [sql]


def test_other_statements_are_left_alone() -> None:
    assert parts("CREATE TABLE t (a int)") == ["CREATE TABLE t (a int)"]
