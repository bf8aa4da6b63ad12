"""The sqlfluff plugin (entry point group `sqlfluff`, name `dbrun`): dbrun's naming, type and
repository rules, selected with `rules = dbrun` in .sqlfluff.
"""

from __future__ import annotations

from typing import Any

from sqlfluff.core.plugin import hookimpl
from sqlfluff.core.rules import BaseRule, ConfigInfo

# Irregular plurals a table may end with; "status", "class" and "analysis" need a plural form.
DEFAULT_PLURAL_EXCEPTIONS = "data,metadata,people,children,media,criteria,series,news,staff,feedback"


@hookimpl
def get_rules() -> list[type[BaseRule]]:
    # Imported here so that loading the plugin (which sqlfluff does at every start) stays cheap.
    from dbrun.lint.rules_frozen import Rule_DF01
    from dbrun.lint.rules_header import Rule_DH01, Rule_DH02
    from dbrun.lint.rules_naming import (
        Rule_DN01,
        Rule_DN02,
        Rule_DN03,
        Rule_DN04,
        Rule_DN05,
        Rule_DN06,
        Rule_DN07,
    )
    from dbrun.lint.rules_repository import Rule_DR01, Rule_DR02, Rule_DR03, Rule_DR04, Rule_DR05
    from dbrun.lint.rules_types import Rule_DT01, Rule_DT02, Rule_DT03, Rule_DT04, Rule_DT05

    return [
        Rule_DN01, Rule_DN02, Rule_DN03, Rule_DN04, Rule_DN05, Rule_DN06, Rule_DN07,
        Rule_DT01, Rule_DT02, Rule_DT03, Rule_DT04, Rule_DT05,
        Rule_DR01, Rule_DR02, Rule_DR03, Rule_DR04, Rule_DR05, Rule_DF01,
        Rule_DH01, Rule_DH02,
    ]


@hookimpl
def load_default_config() -> dict[str, Any]:
    # A rule with a `name` reads [sqlfluff:rules:<name>], not [sqlfluff:rules:<code>].
    return {
        "rules": {
            "dbrun.table_names": {"plural_exceptions": DEFAULT_PLURAL_EXCEPTIONS},
            "dbrun.tenant_policy_file": {"policies_dir": "policies"},
            "dbrun.frozen_tables": {"frozen_tables": ""},
        }
    }


@hookimpl
def get_configs_info() -> dict[str, ConfigInfo]:
    return {
        "plural_exceptions": {"definition": "Comma-separated last words accepted as plural table names."},
        "policies_dir": {"definition": "Folder holding policies/<schema>.<table>.sql (dbrun sets it)."},
        "frozen_tables": {"definition": "Comma-separated schema.table names (dbrun sets them from "
                                        "[tool.dbrun] frozen_tables)."},
    }
