"""Repository validation: every malformed input is its own clear problem naming the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dbrun.errors import ConfigError
from dbrun.source import load_repository, next_version, read_directives, split_statements
from tests.helpers.runner import problems_of

UP = "sql/up/202601010000_create_things.sql"
DOWN = "sql/down/202601010000_create_things.sql"
GOOD = "-- Migration: create_things\nCREATE TABLE things (id bigint);\n"
GOOD_DOWN = "DROP TABLE things;\n"

Make = Callable[[dict[str, str | bytes]], Path]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"sql/up/20260101_x.sql": GOOD, "sql/down/20260101_x.sql": GOOD_DOWN},
         ("SRC-NAME", "sql/up/20260101_x.sql", None)),
        ({"sql/up/202601010000_Bad-Slug.sql": GOOD, "sql/down/202601010000_Bad-Slug.sql": GOOD_DOWN},
         ("SRC-NAME", "sql/up/202601010000_Bad-Slug.sql", None)),
        ({"sql/up/202613010000_x.sql": GOOD, "sql/down/202613010000_x.sql": GOOD_DOWN},
         ("SRC-NAME", "sql/up/202613010000_x.sql", None)),
        ({"sql/up/209901010000_x.sql": GOOD, "sql/down/209901010000_x.sql": GOOD_DOWN},
         ("SRC-NAME", "sql/up/209901010000_x.sql", None)),
        ({UP: GOOD}, ("SRC-MISSING-DOWN", UP, None)),
        ({UP: GOOD, DOWN: GOOD_DOWN, "sql/down/202601020000_y.sql": GOOD_DOWN},
         ("SRC-ORPHAN-DOWN", "sql/down/202601020000_y.sql", None)),
        ({UP: GOOD, "sql/down/202601010000_other.sql": GOOD_DOWN}, ("SRC-PAIR-NAME", UP, None)),
        ({UP: GOOD, DOWN: GOOD_DOWN, "sql/up/202601010000_again.sql": GOOD,
          "sql/down/202601010000_again.sql": GOOD_DOWN},
         ("SRC-DUPLICATE", "sql/up/202601010000_create_things.sql", None)),
        ({UP: "-- only a comment\n\n", DOWN: GOOD_DOWN}, ("SRC-EMPTY", UP, None)),
        ({UP: b"", DOWN: GOOD_DOWN}, ("SRC-EMPTY", UP, None)),
        ({UP: b"\xef\xbb\xbfCREATE TABLE things (id int);", DOWN: GOOD_DOWN}, ("SRC-BOM", UP, None)),
        ({UP: b"-- x\nCREATE TABLE caf\xe9 (id int);", DOWN: GOOD_DOWN}, ("SRC-ENCODING", UP, 2)),
        ({UP: "-- dbrun: transactionl=false\n" + GOOD, DOWN: GOOD_DOWN}, ("SRC-DIRECTIVE", UP, 1)),
        ({UP: GOOD + "-- dbrun: transactional=false\n", DOWN: GOOD_DOWN}, ("SRC-DIRECTIVE", UP, 3)),
        ({UP: GOOD + "\nCOMMIT;\n", DOWN: GOOD_DOWN}, ("SRC-TXCONTROL", UP, 4)),
        ({UP: "-- dbrun: depends=202501010000\n" + GOOD, DOWN: GOOD_DOWN}, ("SRC-DEPENDS", UP, None)),
    ],
    ids=["short-version", "bad-slug", "not-a-date", "future", "missing-down", "orphan-down", "pair-name",
         "duplicate-version", "comments-only", "empty", "bom", "not-utf8", "unknown-directive",
         "late-directive", "commit", "unknown-dependency"],
)
def test_each_malformed_input_is_reported_with_its_file(make_repo: Make, files: dict[str, str | bytes],
                                                         expected: tuple[str, str, int | None]) -> None:
    assert expected in problems_of(make_repo(files))


def test_all_problems_are_reported_at_once(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, "sql/up/202601020000_b.sql": b"\xef\xbb\xbfSELECT 1;",
                      "sql/down/202601020000_b.sql": "SELECT 1;"})
    codes = {code for code, _, _ in problems_of(root)}
    assert codes == {"SRC-MISSING-DOWN", "SRC-BOM"}


def test_a_valid_repository_loads_with_checksums_and_directives(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN,
                      "sql/up/202601020000_idx.sql": "-- dbrun: transactional=false lock_timeout=2s\n"
                                                     "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON things (id);\n",
                      "sql/down/202601020000_idx.sql": "-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY i;\n",
                      "policies/public.things.sql": "SELECT 1;\n",
                      "sql/checks/post/no_things.sql": "SELECT * FROM things;\n"})
    repo = load_repository(root)
    assert [m.version for m in repo.migrations] == ["202601010000", "202601020000"]
    idx = repo.migrations[1]
    assert idx.up.directives.transactional is False and idx.up.directives.lock_timeout_ms == 2000
    assert len(idx.checksum) == 64 and idx.checksum != repo.migrations[0].checksum
    assert [r.key for r in repo.repeatables] == ["policies/public.things.sql"]
    assert [c.name for c in repo.post_checks] == ["no_things"]


def test_yoyo_directives_are_understood(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN,
                      "sql/up/202601020000_b.sql": "-- transactional: false\n-- depends: 202601010000_create_things\n"
                                                   "SELECT 1;\n",
                      "sql/down/202601020000_b.sql": "SELECT 1;\n"})
    migration = load_repository(root).migrations[1]
    assert migration.up.directives.transactional is False
    assert migration.up.directives.depends == ("202601010000_create_things",)
    assert migration.bookkeeping().hash == __import__("hashlib").sha256(b"202601020000_b").hexdigest()


def test_template_with_undefined_variable_names_file_and_line(make_repo: Make) -> None:
    root = make_repo({UP: GOOD, DOWN: GOOD_DOWN,
                      "policies/public.things.sql.j2": "-- policy\n\nGRANT SELECT ON things TO {{ reader }};\n"})
    assert ("SRC-TEMPLATE", "policies/public.things.sql.j2", 3) in problems_of(root)


def test_missing_up_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="sql/up"):
        load_repository(tmp_path)


def test_split_keeps_dollar_bodies_and_reports_lines() -> None:
    text = ("-- header\n\nCREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$;\n"
            "-- why\nDO $body$ BEGIN PERFORM 1; END $body$;\n")
    statements = split_statements(text)
    assert [(s.index, s.line) for s in statements] == [(0, 3), (1, 9)]
    assert statements[0].text.endswith("$$;")


def test_next_version_is_after_every_existing_one() -> None:
    assert next_version(["209912312359"]) == "210001010000"
    assert len(next_version([])) == 12


def test_directives_come_with_their_lines_values_and_header_position() -> None:
    text = ("-- Migration: x\n-- dbrun: transactional=false, lock_timeout=2s\n-- dbrun: requires=a.b,c.d\n"
            "SELECT 1;\n-- dbrun: depends=202601010000\n")
    found = [(d.line, d.key, d.values, d.in_header) for d in read_directives(text)]
    assert found == [(2, "transactional", ("false",), True), (2, "lock_timeout", ("2s",), True),
                     (3, "requires", ("a.b", "c.d"), True), (5, "depends", ("202601010000",), False)]
