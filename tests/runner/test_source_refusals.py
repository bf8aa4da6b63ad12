"""Inputs refused before anything runs, each naming the file and the fix (issue 12), and the one splitter."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dbrun import source
from dbrun.errors import ProblemsFound
from dbrun.source import load_repository, split_sql, split_statements
from tests.helpers.runner import problems_of

UP = "sql/up/202601010000_create_things.sql"
DOWN = "sql/down/202601010000_create_things.sql"
GOOD = "-- Migration: create_things\nCREATE TABLE things (id bigint);\n"
GOOD_DOWN = "DROP TABLE things;\n"

Make = Callable[[dict[str, str | bytes]], Path]



def test_dangling_symlink_in_sql_up_is_refused(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN})
    os.symlink("/nonexistent/202601020000_x.sql", root / "sql/up/202601020000_x.sql")
    assert ("SRC-NOT-FILE", "sql/up/202601020000_x.sql", None) in problems_of(root)


def test_looping_symlink_in_sql_down_is_refused(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN})
    loop = root / "sql/down/202601020000_loop.sql"
    os.symlink(loop, loop)
    assert ("SRC-NOT-FILE", "sql/down/202601020000_loop.sql", None) in problems_of(root)


def test_symlink_to_a_real_file_is_refused(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN, "elsewhere.sql": GOOD})
    os.symlink(root / "elsewhere.sql", root / "sql/up/202601020000_linked.sql")
    assert ("SRC-NOT-FILE", "sql/up/202601020000_linked.sql", None) in problems_of(root)


def test_directory_in_sql_up_is_refused(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN})
    (root / "sql/up/202601020000_folder.sql").mkdir()
    assert ("SRC-NOT-FILE", "sql/up/202601020000_folder.sql", None) in problems_of(root)


def test_fifo_in_sql_up_is_refused(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN})
    os.mkfifo(root / "sql/up/202601020000_pipe.sql")
    assert ("SRC-NOT-FILE", "sql/up/202601020000_pipe.sql", None) in problems_of(root)


def test_unreadable_file_is_a_problem_not_a_traceback(make_repo: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file whatever its mode, so the denial is injected at the file-system call.
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN})
    real_read = source._read_bytes

    def read_bytes(path: str) -> bytes:
        if Path(path).name == Path(UP).name and "up" in Path(path).parts:
            raise PermissionError(13, "Permission denied", path)
        return real_read(path)

    monkeypatch.setattr(source, "_read_bytes", read_bytes)
    assert ("SRC-UNREADABLE", UP, None) in problems_of(root)


@pytest.mark.parametrize("header", [
    "-- dbrun: transactional=false\n-- dbrun: transactional=true\n",
    "-- transactional: false\n-- dbrun: transactional=true\n",
    "-- dbrun: lock_timeout=1s lock_timeout=2s\n",
])
def test_contradictory_directives_are_refused(make_repo: Make, header: str) -> None:
    root = make_repo({UP: header + GOOD, DOWN: GOOD_DOWN})
    assert [p for p in problems_of(root) if p[0] == "SRC-DIRECTIVE" and p[1] == UP]


def test_repeated_agreeing_directives_are_accepted(make_repo: Make) -> None:
    root = make_repo({UP: "-- transactional: false\n-- dbrun: transactional=false\n"
                          "CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON things (id);\n", DOWN: GOOD_DOWN})
    assert not load_repository(root).migrations[0].up.directives.transactional


@pytest.mark.parametrize(("command", "line"), [("\\set owner app_owner", 2), ("\\i other.sql", 3),
                                               ("SELECT 'x' \\gexec", 2), ("\\connect other", 2)])
def test_psql_meta_commands_are_refused(make_repo: Make, command: str, line: int) -> None:
    text = "-- Migration: x\n" + ("CREATE TABLE t (a int);\n" if line == 3 else "") + command + "\nSELECT 1;\n"
    root = make_repo({UP: text, DOWN: GOOD_DOWN})
    assert ("SRC-PSQL-META", UP, line) in problems_of(root)


def test_backslash_inside_strings_and_comments_is_not_a_meta_command(make_repo: Make) -> None:
    text = "-- \\set in a comment\nSELECT E'\\\\set', '\\i', $$\\gexec$$;\n"
    root = make_repo({UP: text, DOWN: GOOD_DOWN})
    assert load_repository(root).migrations


@pytest.mark.parametrize("statement", [
    "CREATE INDEX CONCURRENTLY ix ON things (id);",
    "DROP INDEX CONCURRENTLY IF EXISTS ix;",
    "REINDEX INDEX CONCURRENTLY ix;",
    "VACUUM things;",
    "ALTER TABLE things DETACH PARTITION things_2026 CONCURRENTLY;",
])
def test_statement_that_cannot_run_in_a_transaction_is_refused_in_a_transactional_file(
        make_repo: Make, statement: str) -> None:
    root = make_repo({UP: GOOD + statement + "\n", DOWN: GOOD_DOWN})
    with pytest.raises(ProblemsFound) as caught:
        load_repository(root)
    [problem] = [p for p in caught.value.problems if p.code == "SRC-NEEDS-NON-TRANSACTIONAL"]
    assert problem.line == 3 and problem.hint and "transactional=false" in problem.hint


def test_cic_in_a_non_transactional_file_is_accepted(make_repo: Make) -> None:
    root = make_repo({UP: "-- dbrun: transactional=false\nCREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON t (a);\n",
                      DOWN: GOOD_DOWN})
    assert load_repository(root).migrations


def test_begin_atomic_body_is_one_statement() -> None:
    text = ("CREATE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\n"
            "SELECT E'\\';' /* a /* nested */ ; comment */;\n")
    statements = split_statements(text)
    assert [(s.index, s.line) for s in statements] == [(0, 1), (1, 6)]
    assert statements[0].text.endswith("END;") and split_sql(text).note is None


def test_statement_offsets_locate_statements_in_the_file() -> None:
    text = "-- header é\nSELECT 1;\n\nSELECT 'é';\n"
    statements = split_statements(text)
    assert [text[s.offset:s.offset + len(s.text)] for s in statements] == ["SELECT 1;", "SELECT 'é';"]


def test_unparsable_sql_falls_back_to_the_scanner_with_a_note() -> None:
    split = split_sql("SELECT 1;\nSELEC oops 'a;b';\nSELECT 3;\n")
    assert [s.line for s in split.statements] == [1, 2, 3]
    assert split.note is not None and "line 2" in split.note
