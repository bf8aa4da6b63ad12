"""Type rules of DESIGN.md §5, as sqlfluff rules (codes DT01-DT05).

Only the types of table columns are checked (CREATE TABLE and ALTER TABLE): a `::timestamp` cast
or a function signature is not a storage decision.
"""

from __future__ import annotations

from sqlfluff.core.parser import BaseSegment
from sqlfluff.core.rules import BaseRule, LintResult, RuleContext
from sqlfluff.core.rules.crawlers import SegmentSeekerCrawler

from dbrun.lint.rules_naming import describe

_COLUMN_PARENTS = ("column_definition", "alter_table_action_segment")
_CHARACTER = frozenset({"varchar", "char", "character", "bpchar", "nchar", "nvarchar"})
_SERIAL = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_FLOATING = frozenset({"float", "float4", "float8", "real", "money"})


def column_type_words(context: RuleContext) -> list[str] | None:
    """Lower-case words of a column's data type ('timestamp', 'with', 'time', 'zone'), else None."""
    if not context.parent_stack or not context.parent_stack[-1].is_type(*_COLUMN_PARENTS):
        return None
    return type_words(context.segment)


def type_words(data_type: BaseSegment) -> list[str]:
    # Words only: the length in varchar(20) and the brackets around it are not part of the type's name.
    return [raw.raw.lower() for raw in data_type.raw_segments if raw.is_code and raw.raw[:1].isalpha()]


class Rule_DT01(BaseRule):
    """Use timestamptz, not timestamp (without time zone).

    **Anti-pattern**

    .. code-block:: sql

        created_at timestamp NOT NULL

    **Best practice**

    .. code-block:: sql

        created_at timestamptz NOT NULL
    """

    name = "dbrun.type_timestamptz"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"data_type"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        words = column_type_words(context)
        if words and words[0] == "timestamp" and "with" not in words:
            return LintResult(context.segment, description=describe(
                "timestamp without time zone drops the offset; instants become ambiguous",
                "use timestamptz"))
        return None


class Rule_DT02(BaseRule):
    """Use text with a CHECK on length, not varchar(n) or char(n).

    **Anti-pattern**

    .. code-block:: sql

        email varchar(320)

    **Best practice**

    .. code-block:: sql

        email text CONSTRAINT ck_users_email_length CHECK (length(email) <= 320)
    """

    name = "dbrun.type_text"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"data_type"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        words = column_type_words(context)
        if words and words[0] in _CHARACTER:
            return LintResult(context.segment, description=describe(
                f"{' '.join(words)}: changing the length later rewrites or locks the table; char pads",
                "use text with a named CHECK (length(col) <= n)"))
        return None


class Rule_DT03(BaseRule):
    """Use bigint GENERATED ALWAYS AS IDENTITY or uuid keys, not serial.

    **Anti-pattern**

    .. code-block:: sql

        id bigserial PRIMARY KEY

    **Best practice**

    .. code-block:: sql

        id bigint GENERATED ALWAYS AS IDENTITY
    """

    name = "dbrun.type_identity"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"data_type"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        words = column_type_words(context)
        if words and words[0] in _SERIAL:
            return LintResult(context.segment, description=describe(
                f"{words[0]} creates a separately owned sequence with its own grants",
                "use bigint GENERATED ALWAYS AS IDENTITY (or uuid)"))
        return None


class Rule_DT04(BaseRule):
    """Use jsonb, not json.

    **Anti-pattern**

    .. code-block:: sql

        payload json

    **Best practice**

    .. code-block:: sql

        payload jsonb
    """

    name = "dbrun.type_jsonb"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"data_type"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        words = column_type_words(context)
        if words and words[0] == "json":
            return LintResult(context.segment, description=describe(
                "json is stored as text: no indexing, no equality, reparsed on every read", "use jsonb"))
        return None


class Rule_DT05(BaseRule):
    """Use numeric for amounts, not float, real, double precision or money.

    **Anti-pattern**

    .. code-block:: sql

        amount double precision

    **Best practice**

    .. code-block:: sql

        amount numeric(12, 2)
    """

    name = "dbrun.type_numeric"
    groups = ("all", "dbrun")
    crawl_behaviour = SegmentSeekerCrawler({"data_type"})

    def _eval(self, context: RuleContext) -> LintResult | None:
        words = column_type_words(context)
        if not words:
            return None
        if words[0] in _FLOATING or words[:2] == ["double", "precision"]:
            why = ("money depends on lc_monetary" if words[0] == "money"
                   else "binary floating point cannot hold 0.10 exactly")
            return LintResult(context.segment, description=describe(
                f"{' '.join(words[:2]) if words[0] == 'double' else words[0]}: {why}",
                "use numeric(precision, scale); for a real measurement, silence with a reason"))
        return None
