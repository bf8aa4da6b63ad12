"""Every rule, passing and failing, from cases/rules.toml: the finding's code and lines."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from sqlfluff.core import Linter

from dbrun.lint import run_lint
from dbrun.lint.findings import Finding
from dbrun.lint.fluff import lint_text
from dbrun.lint.squawk import SquawkInput, run_squawk
from dbrun.lint.worktree import transactional
from tests.helpers.lint import RepoFactory

CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent / "cases" / "rules.toml").read_text(encoding="utf-8"))["case"]
DEFAULT_PATH = "sql/up/202601010000_change.sql"


def findings_for(case: dict[str, Any], linter: Linter, rules_root: Path, make_repo: RepoFactory) -> list[Finding]:
    """The case's findings: `files` adds files beside it, `frozen` and `squawk_config` set up the repository."""
    rel = Path(case.get("path", DEFAULT_PATH))
    sql: str = case["sql"]
    tool = case.get("tool", "sqlfluff")
    if tool == "sqlfluff":
        return lint_text(linter, rules_root, rules_root / rel, sql)
    files = {rel.as_posix(): sql, **case.get("files", {})}
    down = f"sql/down/{rel.name}"
    if tool == "dbrun" and rel.parent == Path("sql/up") and down not in files:
        files[down] = f"-- Migration: {rel.stem.split('_', 1)[-1]}\nSELECT 1;\n"
    root = make_repo(files, case.get("frozen"), squawk_config=case.get("squawk_config", True))
    if tool == "squawk":
        return run_squawk(root, [SquawkInput(rel, transactional(root, rel, sql), sql)])
    return [f for f in run_lint(root, use_cache=False).findings if f.path == rel]


def test_cases_cover_every_plugin_rule() -> None:
    from dbrun.lint.plugin import get_rules

    covered = {case["code"] for case in CASES}
    assert {rule.code for rule in get_rules()} <= covered


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_rule_case(case: dict[str, Any], linter: Linter, rules_root: Path, make_repo: RepoFactory) -> None:
    found = findings_for(case, linter, rules_root, make_repo)
    lines = sorted(f.line for f in found if f.code == case["code"])
    assert lines == sorted(case["lines"]), "\n".join(f"{f.line}:{f.col} {f.code} {f.message}" for f in found)


def test_policy_file_is_not_required_for_a_table_a_later_migration_drops(make_repo: RepoFactory) -> None:
    """DR02 follows the table's life: a tenant table replaced by a later migration loses its policy
    file, and the down file that restores it carries its policies inline."""
    create = "CREATE TABLE app.queue (organization_id uuid NOT NULL);\nCOMMENT ON TABLE app.queue IS 'A queue.';\n"
    root = make_repo({
        "sql/up/202601010000_queue.sql": create,
        "sql/down/202601010000_queue.sql": "DROP TABLE app.queue;\n",
        "sql/up/202601020000_kept.sql": create.replace("queue", "kept"),
        "sql/down/202601020000_kept.sql": "DROP TABLE app.kept;\n",
        "sql/up/202601030000_drop_queue.sql": "DROP TABLE IF EXISTS app.queue;\n",
        "sql/down/202601030000_drop_queue.sql": create,
    })
    found = [(f.path.as_posix(), f.line) for f in run_lint(root, None, None, False).findings if f.code == "DR02"]
    assert found == [("sql/up/202601020000_kept.sql", 1)]


def test_every_plugin_rule_belongs_to_a_selectable_family() -> None:
    from dbrun.lint.plugin import get_rules
    from dbrun.lint.selection import FAMILIES

    assert all(rule.code[:2] in FAMILIES for rule in get_rules())
