"""The "product schema" filter is defined once (dbrun.catalog.PRODUCT_SCHEMAS); SQL files paste it."""

from __future__ import annotations

import re
from pathlib import Path

from dbrun.catalog import PRODUCT_SCHEMAS

REPO_ROOT = Path(__file__).resolve().parents[2]
# A schema filter in SQL: a NOT IN list on some alias's nspname, and the pg_* exclusion after it if any.
_SCHEMA_FILTER = re.compile(r"\w+\.nspname\s+NOT\s+IN\s*\([^)]*\)(?:\s+AND\s+\w+\.nspname\s+!~\s+'[^']*')?",
                            re.IGNORECASE)


def _filters_in_sql_checks() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((REPO_ROOT / "sql/checks").rglob("*.sql")):
        for match in _SCHEMA_FILTER.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(str(path.relative_to(REPO_ROOT)), []).append(match.group())
    return found


def test_every_sql_check_pastes_the_product_schema_filter_verbatim() -> None:
    found = _filters_in_sql_checks()
    assert found, "no SQL check filters schemas: the pattern no longer matches how they are written"
    different = {path: f for path, filters in found.items() for f in filters if f != PRODUCT_SCHEMAS}
    assert different == {}, f"write the filter exactly as dbrun.catalog.PRODUCT_SCHEMAS: {PRODUCT_SCHEMAS}"


def test_the_pattern_catches_a_filter_that_drifted() -> None:
    drifted = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_'"
    assert [m.group() for m in _SCHEMA_FILTER.finditer(f"WHERE {drifted} AND true")] == [drifted] != [PRODUCT_SCHEMAS]
