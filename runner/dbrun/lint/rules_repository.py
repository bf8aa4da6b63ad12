"""Rules that need the whole file or the repository around it (codes DR01-DR05; DF01 is in rules_frozen).

They run inside the sqlfluff pass so each file is parsed once. What only dbrun knows (where the
policies live, which tables are frozen) reaches them as rule configuration set by dbrun.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlfluff.core.parser import BaseSegment
from sqlfluff.core.rules import BaseRule, LintResult, RuleContext
from sqlfluff.core.rules.crawlers import RootOnlyCrawler

from dbrun.lint.rules_naming import describe
from dbrun.lint.segments import all_keywords, keywords, qualified_name, statements, unquote
from dbrun.source import Directives, parse_directives

TENANT_COLUMN = "organization_id"


def created_tables(root: BaseSegment) -> list[tuple[BaseSegment, str]]:
    """(statement, schema.table) of every CREATE TABLE in the file."""
    found = []
    for statement in statements(root):
        reference = statement.get_child("table_reference")
        if statement.is_type("create_table_statement") and reference is not None:
            found.append((statement, qualified_name(reference)))
    return found


def has_tenant_column(statement: BaseSegment) -> bool:
    bracketed = statement.get_child("bracketed")
    if bracketed is None:
        return False
    for column in bracketed.get_children("column_definition"):
        identifier = column.get_child("naked_identifier", "quoted_identifier")
        if identifier is not None and unquote(identifier.raw) == TENANT_COLUMN:
            return True
    return False


def rls_switches(root: BaseSegment) -> dict[str, set[str]]:
    """schema.table -> {'ENABLE', 'FORCE'} from ALTER TABLE ... ROW LEVEL SECURITY in the file."""
    switches: dict[str, set[str]] = {}
    for statement in statements(root):
        reference = statement.get_child("table_reference")
        if not statement.is_type("alter_table_statement") or reference is None:
            continue
        for action in statement.get_children("alter_table_action_segment"):
            words = keywords(action)
            if words[1:4] == ["ROW", "LEVEL", "SECURITY"] and words[0] in ("ENABLE", "FORCE"):
                switches.setdefault(qualified_name(reference), set()).add(words[0])
    return switches


def file_directives(context: RuleContext) -> Directives:
    """The file's `-- dbrun:` directives, read by dbrun's own parser (its problems are SRC-* findings)."""
    path = context.path or Path("<string>")
    text = context.templated_file.source_str if context.templated_file else context.segment.raw
    return parse_directives(text, path)


class Rule_DR01(BaseRule):
    """A tenant table enables and forces row level security in the file that creates it.

    Without FORCE the owner bypasses the policies; without ENABLE nobody is filtered.

    **Anti-pattern**

    .. code-block:: sql

        CREATE TABLE app.orders (organization_id uuid NOT NULL, ...);

    **Best practice**

    .. code-block:: sql

        CREATE TABLE app.orders (organization_id uuid NOT NULL, ...);
        ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
        ALTER TABLE app.orders FORCE ROW LEVEL SECURITY;
    """

    name = "dbrun.tenant_rls"
    groups = ("all", "dbrun")
    crawl_behaviour = RootOnlyCrawler()

    def _eval(self, context: RuleContext) -> list[LintResult]:
        switches = rls_switches(context.segment)
        results = []
        for statement, table in created_tables(context.segment):
            missing = {"ENABLE", "FORCE"} - switches.get(table, set())
            if has_tenant_column(statement) and missing:
                fix = "; ".join(f"ALTER TABLE {table} {word} ROW LEVEL SECURITY" for word in sorted(missing))
                results.append(LintResult(statement, description=describe(
                    f"tenant table {table} has {TENANT_COLUMN} but this file does not "
                    f"{' and '.join(sorted(missing))} ROW LEVEL SECURITY", f"add `{fix};` after it")))
        return results


def dropped_later(path: Path | None, table: str) -> bool:
    """Whether an up migration after this one drops `table` (its policy file may then be gone)."""
    if path is None or path.parent.name != "up":
        return False
    drop = re.compile(rf"\bDROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{re.escape(table)}\b", re.IGNORECASE)
    return any(drop.search(later.read_text(encoding="utf-8", errors="replace"))
               for later in path.parent.glob("*.sql") if later.name > path.name)


class Rule_DR02(BaseRule):
    """A tenant table has its policy file policies/<schema>.<table>.sql.

    Checked in up migrations, for tables that no later up migration drops: a down file that
    restores a dropped table carries that table's policies itself.

    **Anti-pattern**

    A tenant table with no file in policies/: nobody reviews who can read it.

    **Best practice**

    Write policies/app.orders.sql with DROP POLICY IF EXISTS + CREATE POLICY and the grants.
    """

    name = "dbrun.tenant_policy_file"
    groups = ("all", "dbrun")
    config_keywords = ["policies_dir"]  # noqa: RUF012 (sqlfluff declares it a list)
    crawl_behaviour = RootOnlyCrawler()
    policies_dir: str

    def _eval(self, context: RuleContext) -> list[LintResult]:
        folder = Path(self.policies_dir or "policies")
        path = Path(context.path) if context.path else None
        if path is not None and path.parent.name == "down":
            return []
        results = []
        for statement, table in created_tables(context.segment):
            if not has_tenant_column(statement) or dropped_later(path, table):
                continue
            candidates = [folder / f"{table}.sql", folder / f"{table}.sql.j2"]
            if not any(candidate.is_file() for candidate in candidates):
                results.append(LintResult(statement, description=describe(
                    f"tenant table {table} has no policy file {folder.name}/{table}.sql",
                    f"write {folder.name}/{table}.sql with its policies and grants")))
        return results


class Rule_DR03(BaseRule):
    """Every CREATE TABLE has a COMMENT ON TABLE in the same file.

    **Anti-pattern**

    A table whose purpose only its author knows.

    **Best practice**

    .. code-block:: sql

        COMMENT ON TABLE app.orders IS 'One customer order; ...';
    """

    name = "dbrun.table_comment"
    groups = ("all", "dbrun")
    crawl_behaviour = RootOnlyCrawler()

    def _eval(self, context: RuleContext) -> list[LintResult]:
        commented = set()
        for statement in statements(context.segment):
            reference = statement.get_child("table_reference")
            if statement.is_type("comment_clause") and keywords(statement)[:3] == ["COMMENT", "ON", "TABLE"] \
                    and reference is not None:
                commented.add(qualified_name(reference))
        return [
            LintResult(statement, description=describe(
                f"table {table} has no COMMENT ON TABLE in this file",
                f"add COMMENT ON TABLE {table} IS '<what one row is>';"))
            for statement, table in created_tables(context.segment)
            if table not in commented
        ]


class Rule_DR04(BaseRule):
    """CONCURRENTLY runs only in files marked `-- dbrun: transactional=false`.

    PostgreSQL refuses CREATE/DROP INDEX CONCURRENTLY inside a transaction block, and dbrun runs
    every other file in one.

    **Anti-pattern**

    A transactional migration with ``CREATE INDEX CONCURRENTLY``.

    **Best practice**

    Put it in its own file whose header says ``-- dbrun: transactional=false``.
    """

    name = "dbrun.concurrently_transactional"
    groups = ("all", "dbrun")
    crawl_behaviour = RootOnlyCrawler()

    def _eval(self, context: RuleContext) -> list[LintResult]:
        if not file_directives(context).transactional:
            return []
        return [
            LintResult(keyword, description=describe(
                "CONCURRENTLY cannot run inside the transaction dbrun wraps this file in",
                "move the statement to its own migration with `-- dbrun: transactional=false` in the header"))
            for keyword in all_keywords(context.segment) if keyword.raw_upper == "CONCURRENTLY"
        ]


class Rule_DR05(BaseRule):
    """A file marked transactional=false needs it: it runs a CONCURRENTLY statement.

    A non-transactional file is applied statement by statement with no rollback: a failure
    half-way leaves half a change.

    **Anti-pattern**

    ``-- dbrun: transactional=false`` on a file of plain ALTER TABLEs.

    **Best practice**

    Remove the directive so the file is atomic.
    """

    name = "dbrun.nontransactional_needed"
    groups = ("all", "dbrun")
    crawl_behaviour = RootOnlyCrawler()

    def _eval(self, context: RuleContext) -> LintResult | None:
        directives = file_directives(context)
        if directives.transactional or directives.batch is not None:  # a batch file: one transaction per batch
            return None
        if any(k.raw_upper == "CONCURRENTLY" for k in all_keywords(context.segment)):
            return None
        anchor = next(statements(context.segment), context.segment)
        return LintResult(anchor, description=describe(
            "file is marked transactional=false but runs no CONCURRENTLY statement",
            "remove `transactional=false` so the file applies atomically"))
