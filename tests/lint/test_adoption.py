"""What a team adopting dbrun with existing SQL relies on: [tool.dbrun.lint] selection, the baseline,
the cache, the design's NOT VALID pattern, and a clean stderr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dbrun.errors import ConfigError
from dbrun.lint import run_lint
from dbrun.lint.cache import CACHE_FILE
from dbrun.source import scaffold_migration
from tests.helpers.lint import RepoFactory

LEGACY_UP = """-- Migration: legacy
CREATE TABLE app.order_item (id bigint, placed_at timestamp);
COMMENT ON TABLE app.order_item IS 'Legacy items.';
"""
LEGACY_DOWN = "-- Migration: legacy\nDROP TABLE app.order_item;\n"
NEW_UP = """-- Migration: invoice
CREATE TABLE app.invoice (id bigint);
COMMENT ON TABLE app.invoice IS 'Invoices.';
"""
NEW_DOWN = "-- Migration: invoice\nDROP TABLE app.invoice;\n"
LEGACY = {
    "sql/up/202601010000_legacy.sql": LEGACY_UP,
    "sql/down/202601010000_legacy.sql": LEGACY_DOWN,
}
BOTH = {
    **LEGACY,
    "sql/up/202602010000_invoice.sql": NEW_UP,
    "sql/down/202602010000_invoice.sql": NEW_DOWN,
}


def codes(root: Path, **kwargs: bool) -> set[tuple[str, str]]:
    return {(f.path.name, f.code) for f in run_lint(root, **kwargs).findings}


def test_ignore_switches_a_rule_family_off(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY, lint_settings='ignore = ["DT"]')
    found = codes(root)
    assert ("202601010000_legacy.sql", "DN01") in found
    assert not [code for _, code in found if code.startswith("DT")]


def test_select_keeps_only_the_named_rules(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY, lint_settings='select = ["DT01"]')
    assert codes(root) == {("202601010000_legacy.sql", "DT01")}


def test_naming_rules_can_start_at_a_version(make_repo: RepoFactory) -> None:
    root = make_repo(BOTH, lint_settings='from_version = { DN = "202602010000" }')
    found = codes(root)
    assert ("202602010000_invoice.sql", "DN01") in found  # from the version on: checked
    assert ("202601010000_legacy.sql", "DN01") not in found  # older, applied, immutable: exempt
    assert ("202601010000_legacy.sql", "DT01") in found  # only the named family starts later


def test_a_selector_naming_no_rule_is_a_config_error(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY, lint_settings='ignore = ["XX99"]')
    with pytest.raises(ConfigError, match="names no rule") as raised:
        run_lint(root)
    assert raised.value.hint and "DN (naming)" in raised.value.hint


def test_parse_errors_cannot_be_ignored(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY, lint_settings='ignore = ["PRS"]')
    with pytest.raises(ConfigError, match="cannot be switched off"):
        run_lint(root)


def test_from_version_must_be_a_version(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY, lint_settings='from_version = { DN = "2026" }')
    with pytest.raises(ConfigError, match="12-digit versions"):
        run_lint(root)


def test_after_update_baseline_only_new_findings_fail(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY)
    written = run_lint(root, update_baseline=True)
    assert written.exit_code == 0 and written.findings == []
    document = json.loads((root / "lint-baseline.json").read_text(encoding="utf-8"))
    assert {(e["path"], e["code"]) for e in document["findings"]} == {
        ("sql/up/202601010000_legacy.sql", "DN01"), ("sql/up/202601010000_legacy.sql", "DT01")}
    assert written.baselined == 2

    accepted = run_lint(root)
    assert accepted.findings == [] and accepted.exit_code == 0 and accepted.baselined == written.baselined

    for rel, text in BOTH.items():
        (root / rel).write_text(text, encoding="utf-8")
    report = run_lint(root)
    assert {(f.path.name, f.code) for f in report.errors} == {("202602010000_invoice.sql", "DN01")}
    assert report.exit_code == 1


def test_baseline_follows_a_finding_whose_line_moved(make_repo: RepoFactory) -> None:
    policy = "CREATE POLICY tenant_isolation ON app.orders FOR SELECT USING (true);\n"
    root = make_repo({"policies/app.orders.sql": policy})
    run_lint(root, update_baseline=True)
    (root / "policies/app.orders.sql").write_text("-- Who reads orders.\n\n" + policy, encoding="utf-8")
    report = run_lint(root)
    assert report.findings == [] and report.baselined == 1


def test_a_fixed_finding_leaves_a_stale_baseline_entry(make_repo: RepoFactory) -> None:
    policy = "CREATE POLICY tenant_isolation ON app.orders FOR SELECT USING (true);\n"
    root = make_repo({"policies/app.orders.sql": policy})
    run_lint(root, update_baseline=True)
    (root / "policies/app.orders.sql").write_text(policy.replace("tenant_isolation", "orders_select"),
                                                  encoding="utf-8")
    report = run_lint(root)
    assert report.findings == [] and report.stale_baseline == 1


def test_update_baseline_refuses_a_partial_lint(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY)
    with pytest.raises(ConfigError, match="whole repository"):
        run_lint(root, [root / "sql/up/202601010000_legacy.sql"], update_baseline=True)


def test_a_corrupt_baseline_is_a_config_error(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY)
    (root / "lint-baseline.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a dbrun lint baseline"):
        run_lint(root)


def test_the_cache_gives_the_same_report(make_repo: RepoFactory) -> None:
    root = make_repo(BOTH)
    cold = run_lint(root)
    assert (root / CACHE_FILE).is_file()
    warm = run_lint(root)
    assert warm.findings == cold.findings
    assert warm.findings == run_lint(root, use_cache=False).findings


def test_the_cache_is_keyed_by_configuration(make_repo: RepoFactory) -> None:
    rename = "-- Migration: rename\n-- Locks: ACCESS EXCLUSIVE on app.orders.\n" \
             "ALTER TABLE app.orders RENAME COLUMN name TO title;\n"
    files = {"sql/up/202601010000_rename.sql": rename, "sql/down/202601010000_rename.sql": "-- Migration: rename\n"
             "-- Locks: ACCESS EXCLUSIVE on app.orders.\nALTER TABLE app.orders RENAME COLUMN title TO name;\n"}
    root = make_repo(files)
    assert "DF01" not in {f.code for f in run_lint(root).findings}
    root = make_repo(files, frozen=["app.orders"])  # same files, app.orders now frozen
    assert ("202601010000_rename.sql", "DF01") in codes(root)


def test_the_cache_sees_a_new_policy_file(make_repo: RepoFactory) -> None:
    up = ("-- Migration: orders\nCREATE TABLE app.orders (organization_id uuid NOT NULL);\n"
          "ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;\nALTER TABLE app.orders FORCE ROW LEVEL SECURITY;\n"
          "COMMENT ON TABLE app.orders IS 'Orders.';\n")
    root = make_repo({"sql/up/202601010000_orders.sql": up,
                      "sql/down/202601010000_orders.sql": "-- Migration: orders\nDROP TABLE app.orders;\n"})
    assert ("202601010000_orders.sql", "DR02") in codes(root)
    (root / "policies/app.orders.sql").write_text("DROP POLICY IF EXISTS orders_select ON app.orders;\n",
                                                  encoding="utf-8")
    assert ("202601010000_orders.sql", "DR02") not in codes(root)


@pytest.mark.parametrize("squawk_config", [True, False], ids=["house .squawk.toml", "no .squawk.toml"])
def test_not_valid_then_validate_in_a_later_migration_lints_clean(make_repo: RepoFactory,
                                                                 squawk_config: bool) -> None:
    root = make_repo({
        "sql/up/202601010000_orders.sql": "-- Migration: orders\n"
        "CREATE TABLE app.orders (id bigint CONSTRAINT pk_orders PRIMARY KEY, total numeric(12, 2));\n"
        "COMMENT ON TABLE app.orders IS 'Orders.';\n",
        "sql/down/202601010000_orders.sql": "-- Migration: orders\nDROP TABLE app.orders;\n",
        "sql/up/202601020000_orders_total.sql": "-- Migration: orders_total\n"
        "-- Locks: ACCESS EXCLUSIVE on app.orders, briefly: NOT VALID skips the scan.\n"
        "ALTER TABLE app.orders ADD CONSTRAINT ck_orders_total_positive CHECK (total >= 0) NOT VALID;\n",
        "sql/down/202601020000_orders_total.sql": "-- Migration: orders_total\n"
        "-- Locks: ACCESS EXCLUSIVE on app.orders, briefly.\n"
        "ALTER TABLE app.orders DROP CONSTRAINT ck_orders_total_positive;\n",
        "sql/up/202601030000_orders_total_validate.sql": "-- Migration: orders_total_validate\n"
        "-- Locks: SHARE UPDATE EXCLUSIVE on app.orders: the scan does not block reads or writes.\n"
        "ALTER TABLE app.orders VALIDATE CONSTRAINT ck_orders_total_positive;\n",
        "sql/down/202601030000_orders_total_validate.sql": "-- Migration: orders_total_validate\n"
        "SELECT 1; -- a validated constraint stays valid; the previous file's down drops it\n",
    }, squawk_config=squawk_config)
    report = run_lint(root)
    assert report.findings == [] and report.silenced == []


def test_a_parallel_lint_prints_nothing_on_stderr(make_repo: RepoFactory) -> None:
    files = {}
    for number in range(4):  # 8 files: above the threshold where two worker processes lint them
        files[f"sql/up/20260101000{number}_items{number}.sql"] = NEW_UP.replace("invoice", f"items{number}")
        files[f"sql/down/20260101000{number}_items{number}.sql"] = NEW_DOWN.replace("invoice", f"items{number}")
    root = make_repo(files)
    done = subprocess.run([sys.executable, "-m", "dbrun", "--root", str(root), "lint", "--no-cache"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout  # every table name is singular
    assert "DN01" in done.stdout
    assert done.stderr == ""


def test_dbrun_new_writes_the_header_the_rules_expect(make_repo: RepoFactory) -> None:
    root = make_repo({})
    up, down = scaffold_migration(root, "orders_note")
    up.write_text(up.read_text(encoding="utf-8") + "ALTER TABLE app.orders ADD COLUMN note text;\n", encoding="utf-8")
    down.write_text(down.read_text(encoding="utf-8") + "ALTER TABLE app.orders DROP COLUMN note;\n",
                    encoding="utf-8")
    found = {f.code for f in run_lint(root).findings}
    assert not {"DH01", "DH02"} & found, found


def test_a_corrupt_cache_is_ignored_and_rewritten(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY)
    expected = run_lint(root, use_cache=False).findings
    (root / CACHE_FILE).parent.mkdir(parents=True, exist_ok=True)
    (root / CACHE_FILE).write_text('{"format": 1, "entries": {"x": [{"path": 3}]', encoding="utf-8")
    assert run_lint(root).findings == expected
    assert json.loads((root / CACHE_FILE).read_text(encoding="utf-8"))["format"] == 1


def test_an_unreadable_squawk_config_is_a_config_error(make_repo: RepoFactory) -> None:
    root = make_repo(LEGACY, squawk_config="excluded_rules = [")
    with pytest.raises(ConfigError, match=r"\.squawk\.toml: not valid TOML"):
        run_lint(root, use_cache=False)
