"""Naming rules of DESIGN.md §5, as sqlfluff rules (codes DN01-DN07).

Each rule reads the parse tree, never the raw text: names inside strings and function bodies are
never mistaken for identifiers. A description is 'message | fix: hint' (see findings.FIX_MARKER).
"""

from __future__ import annotations

import re

from sqlfluff.core.parser import BaseSegment
from sqlfluff.core.rules import BaseRule, LintResult, RuleContext
from sqlfluff.core.rules.crawlers import SegmentSeekerCrawler

from dbrun.lint.findings import FIX_MARKER
from dbrun.lint.segments import IDENTIFIER_TYPES, keywords, object_name, unquote

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: PostgreSQL silently truncates longer names
# Last words that look singular by their ending but are not ("status", "class", "analysis").
_SINGULAR_ENDINGS = ("ss", "us", "is")
_CONSTRAINT_PREFIX = {"PRIMARY": "pk", "FOREIGN": "fk", "REFERENCES": "fk", "UNIQUE": "uq", "CHECK": "ck",
                      "EXCLUDE": "ex"}
_POLICY_COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")


def describe(message: str, fix: str) -> str:
    return f"{message}{FIX_MARKER}{fix}"


def enclosing_table(context: RuleContext) -> str | None:
    """The table a constraint belongs to: the CREATE TABLE or ALTER TABLE around it."""
    for parent in reversed(context.parent_stack):
        if parent.is_type("create_table_statement", "alter_table_statement"):
            reference = parent.get_child("table_reference")
            return object_name(reference) if reference else None
    return None


def constraint_kind(constraint: BaseSegment) -> str | None:
    """pk/fk/uq/ck/ex for a key-like constraint; None for NOT NULL, DEFAULT, GENERATED..."""
    for word in keywords(constraint):
        if word in _CONSTRAINT_PREFIX:
            return _CONSTRAINT_PREFIX[word]
    return None


def constraint_name(constraint: BaseSegment) -> BaseSegment | None:
    if "CONSTRAINT" not in keywords(constraint):
        return None
    return constraint.get_child("object_reference")


def is_plural(name: str, exceptions: set[str]) -> bool:
    last = name.rsplit("_", 1)[-1]
    if last in exceptions:
        return True
    return last.endswith("s") and not last.endswith(_SINGULAR_ENDINGS)


class Rule_DN01(BaseRule):
    """Table names are plural snake_case (a partition is named after its parent).

    **Anti-pattern**

    .. code-block:: sql

        CREATE TABLE app.Order (...);

    **Best practice**

    .. code-block:: sql

        CREATE TABLE app.orders (...);
    """

    name = "dbrun.table_names"
    groups = ("all", "dbrun")
    config_keywords = ["plural_exceptions"]  # noqa: RUF012 (sqlfluff declares it a list)
    crawl_behaviour = SegmentSeekerCrawler({"create_table_statement"})
    plural_exceptions: str

    def _eval(self, context: RuleContext) -> LintResult | None:
        reference = context.segment.get_child("table_reference")
        if reference is None:
            return None
        name = object_name(reference)
        if not SNAKE_CASE.match(name):
            return LintResult(reference, description=describe(
                f"table name {name!r} is not snake_case", "use lowercase words joined by underscores"))
        parent = self._partition_parent(context.segment)
        if parent is not None:
            if not name.startswith(parent + "_"):
                return LintResult(reference, description=describe(
                    f"partition {name!r} is not named after its parent {parent!r}",
                    f"name it {parent}_<range or key>, e.g. {parent}_2025_01"))
            return None
        exceptions = set(self.split_comma_separated_string(self.plural_exceptions or ""))
        if not is_plural(name, exceptions):
            return LintResult(reference, description=describe(
                f"table name {name!r} is not plural",
                "name tables after the set of rows they hold, e.g. orders, order_items"))
        return None

    @staticmethod
    def _partition_parent(statement: BaseSegment) -> str | None:
        words = keywords(statement)
        if "PARTITION" not in words or "OF" not in words:
            return None
        references = [s for s in statement.segments if s.is_type("table_reference")]
        return object_name(references[1]) if len(references) > 1 else None


class Rule_DN02(BaseRule):
    """Constraints are named pk_<table>, fk_<table>_<cols>, uq_<table>_<cols>, ck_<table>_<rule>.

    **Anti-pattern**

    .. code-block:: sql

        CONSTRAINT orders_pkey PRIMARY KEY (id)

    **Best practice**

    .. code-block:: sql

        CONSTRAINT pk_orders PRIMARY KEY (id)
    """

    name = "dbrun.constraint_names"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"table_constraint", "column_constraint_segment"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        kind = constraint_kind(context.segment)
        reference = constraint_name(context.segment)
        table = enclosing_table(context)
        if kind is None or reference is None or table is None:
            return None
        name = object_name(reference)
        if kind == "pk":
            if name != f"pk_{table}":
                return LintResult(reference, description=describe(
                    f"primary key {name!r} is not named pk_{table}", f"rename it to pk_{table}"))
            return None
        if not name.startswith(f"{kind}_{table}_"):
            return LintResult(reference, description=describe(
                f"constraint {name!r} does not start with {kind}_{table}_",
                f"name it {kind}_{table}_<{'rule' if kind == 'ck' else 'columns'}>"))
        return None


class Rule_DN03(BaseRule):
    """Every constraint and index is named explicitly.

    PostgreSQL's generated names (orders_pkey, orders_email_key, orders_email_idx) differ between
    versions and cannot be referenced reliably by later migrations.

    **Anti-pattern**

    .. code-block:: sql

        CREATE INDEX ON app.orders (email);

    **Best practice**

    .. code-block:: sql

        CREATE INDEX idx_orders_email ON app.orders (email);
    """

    name = "dbrun.explicit_names"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler(
        {"table_constraint", "column_constraint_segment", "create_index_statement"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        segment = context.segment
        table = enclosing_table(context) or "<table>"
        if segment.is_type("create_index_statement"):
            if segment.get_child("index_reference") is None:
                return LintResult(segment, description=describe(
                    "index has no name", f"write CREATE INDEX idx_{table}_<columns> ..."))
            return None
        kind = constraint_kind(segment)
        if kind is not None and constraint_name(segment) is None:
            suggestion = f"pk_{table}" if kind == "pk" else f"{kind}_{table}_<...>"
            return LintResult(segment, description=describe(
                f"{_KIND_WORDS[kind]} constraint has no name",
                f"write CONSTRAINT {suggestion} before it"))
        return None


_KIND_WORDS = {"pk": "primary key", "fk": "foreign key", "uq": "unique", "ck": "check", "ex": "exclusion"}


class Rule_DN04(BaseRule):
    """Indexes are named idx_<table>_<columns> (a unique index may use uq_<table>_<columns>).

    **Anti-pattern**

    .. code-block:: sql

        CREATE INDEX orders_email ON app.orders (email);

    **Best practice**

    .. code-block:: sql

        CREATE INDEX idx_orders_email ON app.orders (email);
    """

    name = "dbrun.index_names"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"create_index_statement"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        index = context.segment.get_child("index_reference")
        table_reference = context.segment.get_child("table_reference")
        if index is None or table_reference is None:
            return None
        name, table = object_name(index), object_name(table_reference)
        prefixes = [f"idx_{table}_"]
        if "UNIQUE" in keywords(context.segment):
            prefixes.append(f"uq_{table}_")
        if not name.startswith(tuple(prefixes)):
            return LintResult(index, description=describe(
                f"index {name!r} does not start with {' or '.join(prefixes)}",
                f"name it idx_{table}_<columns>"))
        return None


class Rule_DN05(BaseRule):
    """Triggers are named trg_<table>_<purpose>; trigger functions tg_<table>_<purpose> or tg_<purpose>.

    **Anti-pattern**

    .. code-block:: sql

        CREATE TRIGGER touch BEFORE UPDATE ON app.orders ...

    **Best practice**

    .. code-block:: sql

        CREATE TRIGGER trg_orders_touch BEFORE UPDATE ON app.orders ...
    """

    name = "dbrun.trigger_names"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"create_trigger", "create_function_statement"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        if context.segment.is_type("create_trigger"):
            return self._trigger(context.segment)
        return self._trigger_function(context.segment)

    @staticmethod
    def _trigger(statement: BaseSegment) -> LintResult | None:
        trigger = statement.get_child("trigger_reference")
        table_reference = statement.get_child("table_reference")
        if trigger is None or table_reference is None:
            return None
        name, table = object_name(trigger), object_name(table_reference)
        if not name.startswith(f"trg_{table}_"):
            return LintResult(trigger, description=describe(
                f"trigger {name!r} does not start with trg_{table}_", f"name it trg_{table}_<purpose>"))
        return None

    @staticmethod
    def _trigger_function(statement: BaseSegment) -> LintResult | None:
        returns = statement.get_child("data_type")
        function = statement.get_child("function_name")
        if returns is None or function is None or returns.raw.lower() not in ("trigger", "event_trigger"):
            return None
        identifier = function.get_child("function_name_identifier") or function
        name = unquote(identifier.raw)
        if not name.startswith("tg_"):
            return LintResult(identifier, description=describe(
                f"trigger function {name!r} does not start with tg_",
                "name it tg_<table>_<purpose>, or tg_<purpose> when several tables share it"))
        return None


class Rule_DN06(BaseRule):
    """Policies are named <table>_<command>[_<qualifier>].

    **Anti-pattern**

    .. code-block:: sql

        CREATE POLICY tenant_isolation ON app.orders FOR SELECT ...

    **Best practice**

    .. code-block:: sql

        CREATE POLICY orders_select_tenant ON app.orders FOR SELECT ...
    """

    name = "dbrun.policy_names"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"create_policy_statement"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        policy = context.segment.get_child("object_reference")
        table_reference = context.segment.get_child("table_reference")
        if policy is None or table_reference is None:
            return None
        name, table = object_name(policy), object_name(table_reference)
        command = self._command(context.segment).lower()
        expected = f"{table}_{command}"
        if name != expected and not name.startswith(expected + "_"):
            return LintResult(policy, description=describe(
                f"policy {name!r} on {table} FOR {command.upper()} is not named {expected}[_<qualifier>]",
                f"rename it to {expected} or {expected}_<qualifier>"))
        return None

    @staticmethod
    def _command(statement: BaseSegment) -> str:
        words = keywords(statement)
        for index, word in enumerate(words[:-1]):
            if word == "FOR" and words[index + 1] in _POLICY_COMMANDS:
                return words[index + 1]
        return "ALL"  # PostgreSQL's default when FOR is omitted


class Rule_DN07(BaseRule):
    """Identifiers are at most 63 bytes: PostgreSQL truncates longer names without an error.

    **Anti-pattern**

    A 70-character constraint name is stored cut at 63 bytes, so a later
    ``DROP CONSTRAINT`` with the full name fails or two names collide.

    **Best practice**

    Abbreviate the name to 63 bytes or fewer.
    """

    name = "dbrun.identifier_length"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler(set(IDENTIFIER_TYPES) | {"function_name_identifier"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        name = unquote(context.segment.raw)
        size = len(name.encode("utf-8"))
        if size > MAX_IDENTIFIER_BYTES:
            return LintResult(context.segment, description=describe(
                f"identifier {name[:30]}... is {size} bytes; PostgreSQL keeps only the first "
                f"{MAX_IDENTIFIER_BYTES}", f"shorten it to at most {MAX_IDENTIFIER_BYTES} bytes"))
        return None
