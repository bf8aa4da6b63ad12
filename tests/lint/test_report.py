"""The merged report, its formats, noqa, --since on a temporary git repository, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbrun.errors import ConfigError
from dbrun.lint import render, run_lint
from tests.helpers.lint import RepoFactory

GOOD_UP = """-- Migration: currencies
CREATE TABLE app.currencies (code text CONSTRAINT pk_currencies PRIMARY KEY);
COMMENT ON TABLE app.currencies IS 'ISO 4217 currencies.';
"""
BAD_UP = """-- Migration: order items
CREATE TABLE app.order_item (id bigint, raw json);
COMMENT ON TABLE app.order_item IS 'x';
CREATE INDEX idx_orders_email ON app.orders (email);
"""
DOWN = "-- Migration: currencies\nDROP TABLE app.currencies;\n"


def test_merged_report_is_sorted_and_mixes_sources(make_repo: RepoFactory) -> None:
    root = make_repo({
        "sql/up/202601010000_currencies.sql": GOOD_UP,
        "sql/down/202601010000_currencies.sql": DOWN,
        "sql/up/202601010100_order_items.sql": BAD_UP,  # and no down file
    })
    report = run_lint(root, None, None, False)
    keys = [(f.path.as_posix(), f.line, f.code) for f in report.findings]
    assert keys == sorted(keys)
    assert ("sql/up/202601010100_order_items.sql", 1, "SRC-MISSING-DOWN") in keys
    assert ("sql/up/202601010100_order_items.sql", 2, "DN01") in keys
    assert ("sql/up/202601010100_order_items.sql", 2, "DT04") in keys
    assert ("sql/up/202601010100_order_items.sql", 4, "SQ-require-concurrent-index-creation") in keys
    assert not [f for f in report.findings if "currencies" in f.path.name]
    assert report.exit_code == 1


def test_clean_repository_exits_zero(make_repo: RepoFactory) -> None:
    root = make_repo({"sql/up/202601010000_currencies.sql": GOOD_UP, "sql/down/202601010000_currencies.sql": DOWN})
    report = run_lint(root, None, None, False)
    assert report.findings == []
    assert report.exit_code == 0
    assert len(report.files) == 2


def test_paths_restrict_the_lint(make_repo: RepoFactory) -> None:
    root = make_repo({
        "sql/up/202601010000_currencies.sql": GOOD_UP,
        "sql/down/202601010000_currencies.sql": DOWN,
        "sql/up/202601010100_order_items.sql": BAD_UP,
    })
    report = run_lint(root, [root / "sql/up/202601010000_currencies.sql"], None, False)
    assert report.files == [Path("sql/up/202601010000_currencies.sql")]
    assert report.findings == []


def test_text_json_and_github_formats(make_repo: RepoFactory) -> None:
    root = make_repo({"sql/up/202601010100_order_items.sql": BAD_UP,
                      "sql/down/202601010100_order_items.sql": "DROP TABLE app.order_item;\n"})
    report = run_lint(root, None, None, False)
    text = render(report, "text")
    assert ("sql/up/202601010100_order_items.sql:2:14  DN01  error  table name 'order_item' is not plural  "
            "(fix: name tables after the set of rows they hold, e.g. orders, order_items)") in text
    document = json.loads(render(report, "json"))
    assert document["exit_code"] == 1
    assert {"path": "sql/up/202601010100_order_items.sql", "line": 2, "code": "DT04"}.items() <= \
        next(f for f in document["findings"] if f["code"] == "DT04").items()
    github = render(report, "github").splitlines()
    annotation = next(line for line in github if "DN01" in line)
    assert annotation.startswith("::error file=sql/up/202601010100_order_items.sql,line=2,col=14,title=DN01::")
    assert all(line.startswith(("::error", "::warning")) for line in github[:-1])


def test_noqa_silences_with_reason_and_lists_when_asked(make_repo: RepoFactory) -> None:
    sql = BAD_UP.replace("raw json);", "raw json); -- noqa: DN01,DT04 legacy name kept for the importer") \
        .replace("(email);", "(email); -- noqa: DN03 wrong code on purpose")
    root = make_repo({"sql/up/202601010100_order_items.sql": sql,
                      "sql/down/202601010100_order_items.sql": "DROP TABLE app.order_item;\n"})
    report = run_lint(root, None, None, show_silenced=True)
    codes = {(f.line, f.code) for f in report.findings}
    assert (2, "DN01") not in codes and (2, "DT04") not in codes
    assert {(s.finding.code, s.reason) for s in report.silenced} >= {("DN01", "legacy name kept for the importer")}
    assert (4, "LINT-NOQA-UNUSED") in codes  # DN03 silenced nothing on that line
    assert (4, "SQ-require-concurrent-index-creation") in codes
    assert "silenced (2):" in render(report, "text")
    assert "silenced (" not in render(run_lint(root, None, None, show_silenced=False), "text")


def test_unparsable_file_is_reported_with_its_line(make_repo: RepoFactory) -> None:
    sql = ("-- Migration: ddl log\n"
           "CREATE EVENT TRIGGER trg_ddl ON ddl_command_end EXECUTE FUNCTION app.tg_ddl();\n"
           "CREATE TABLE app.ddl_entry (at timestamp);\n")
    root = make_repo({"sql/up/202601010000_ddl.sql": sql, "sql/down/202601010000_ddl.sql": DOWN})
    report = run_lint(root, None, None, False)
    found = {(f.line, f.code) for f in report.findings if f.path.name == "202601010000_ddl.sql"
             and f.path.parts[1] == "up"}
    assert (2, "PRS") in found
    assert {(3, "DN01"), (3, "DT01"), (3, "DR03")} <= found
    prs = next(f for f in report.findings if f.code == "PRS")
    assert "unparsable" in prs.message and prs.fix and "noqa: PRS" in prs.fix


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=root, check=True,
                   capture_output=True)


def test_since_lints_only_changes_and_refuses_edited_migrations(make_repo: RepoFactory) -> None:
    root = make_repo({"sql/up/202601010000_currencies.sql": GOOD_UP, "sql/down/202601010000_currencies.sql": DOWN})
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "base")
    (root / "sql/up/202601010000_currencies.sql").write_text(GOOD_UP + "-- edited\n", encoding="utf-8")
    (root / "sql/up/202601010100_order_items.sql").write_text(BAD_UP, encoding="utf-8")
    (root / "sql/down/202601010100_order_items.sql").write_text("DROP TABLE app.order_item;\n", encoding="utf-8")
    report = run_lint(root, None, "HEAD", False)
    assert report.files == sorted([Path("sql/up/202601010000_currencies.sql"),
                                   Path("sql/up/202601010100_order_items.sql"),
                                   Path("sql/down/202601010100_order_items.sql")])
    immutable = [f for f in report.findings if f.code == "LINT-IMMUTABLE"]
    assert [f.path.as_posix() for f in immutable] == ["sql/up/202601010000_currencies.sql"]
    assert "applied migrations are immutable; add a new one" in immutable[0].message
    assert any(f.code == "DN01" for f in report.findings)


def test_bad_since_revision_is_a_clear_error(make_repo: RepoFactory) -> None:
    root = make_repo({"sql/up/202601010000_currencies.sql": GOOD_UP, "sql/down/202601010000_currencies.sql": DOWN})
    _git(root, "init", "-q")
    with pytest.raises(ConfigError) as raised:
        run_lint(root, None, "no-such-branch", False)
    assert "no-such-branch" in raised.value.message and raised.value.hint


def test_missing_squawk_binary_is_a_clear_error(make_repo: RepoFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_repo({"sql/up/202601010000_currencies.sql": GOOD_UP, "sql/down/202601010000_currencies.sql": DOWN})
    # Neither beside this Python nor on PATH (one process: sqlfluff spawns no worker for 2 files).
    monkeypatch.setattr(sys, "executable", str(root / "no-python"))
    monkeypatch.setenv("PATH", str(root))
    with pytest.raises(ConfigError) as raised:
        run_lint(root, None, None, False)
    assert "squawk" in raised.value.message and "pip install" in (raised.value.hint or "")


def test_missing_path_is_a_clear_error(make_repo: RepoFactory) -> None:
    root = make_repo({})
    with pytest.raises(ConfigError, match="no such file"):
        run_lint(root, [root / "sql/up/202601010000_nope.sql"], None, False)


BATCH_UP = """-- Migration: currencies_names
-- Locks: app.currencies (ROW EXCLUSIVE, per batch)
-- dbrun: batch size=1000 pause=10ms
UPDATE app.currencies SET code = upper(code)
WHERE code IN (SELECT code FROM app.currencies WHERE code > coalesce(:last, '') ORDER BY code LIMIT :size)
RETURNING code;
"""
IRREVERSIBLE_DOWN = ("-- Migration: currencies_names\n"
                     "-- dbrun: irreversible the original case of each code is not kept\n")


def test_batch_file_and_irreversible_down_lint_clean(make_repo: RepoFactory) -> None:
    root = make_repo({"sql/up/202601010000_currencies.sql": GOOD_UP, "sql/down/202601010000_currencies.sql": DOWN,
                      "sql/up/202601010100_currencies_names.sql": BATCH_UP,
                      "sql/down/202601010100_currencies_names.sql": IRREVERSIBLE_DOWN})
    report = run_lint(root, None, None, False)
    assert [(f.path.name, f.code) for f in report.findings] == []
