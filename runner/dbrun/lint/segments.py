"""Small readers over sqlfluff parse trees, shared by the plugin's rules."""

from __future__ import annotations

from collections.abc import Iterator

from sqlfluff.core.parser import BaseSegment

IDENTIFIER_TYPES = frozenset({"naked_identifier", "quoted_identifier"})


def unquote(raw: str) -> str:
    """An identifier as PostgreSQL stores it: quoted keeps case, naked folds to lower case."""
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('""', '"')
    return raw.lower()


def reference_parts(reference: BaseSegment) -> list[str]:
    """['schema', 'table'] of a table_reference / object_reference (or ['table'])."""
    return [unquote(s.raw) for s in reference.segments if s.is_type(*IDENTIFIER_TYPES)]


def qualified_name(reference: BaseSegment) -> str:
    """schema.table, with `public` for an unqualified name (the default search_path)."""
    parts = reference_parts(reference)
    if len(parts) == 1:
        return f"public.{parts[0]}"
    return ".".join(parts[-2:])


def object_name(reference: BaseSegment) -> str:
    """The last part of a reference: the table, index or constraint name itself."""
    parts = reference_parts(reference)
    if parts:
        return parts[-1]
    return unquote(reference.raw.split(".")[-1])


def child(segment: BaseSegment, *types: str) -> BaseSegment | None:
    return segment.get_child(*types)


def keywords(segment: BaseSegment) -> list[str]:
    """Upper-case keywords that are direct children of the segment, in order."""
    return [s.raw_upper for s in segment.segments if s.is_type("keyword")]


def all_keywords(segment: BaseSegment) -> Iterator[BaseSegment]:
    """Every keyword below the segment (strings and function bodies are literals, never keywords)."""
    yield from segment.recursive_crawl("keyword")


def statements(root: BaseSegment) -> Iterator[BaseSegment]:
    """The statement bodies of a file (create_table_statement, alter_table_statement, ...)."""
    for statement in root.recursive_crawl("statement", recurse_into=False):
        for part in statement.segments:
            if part.is_code:
                yield part
                break
