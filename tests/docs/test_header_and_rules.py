"""Reading migration headers and CHECK constraints for the reference (no database)."""

from __future__ import annotations

from dbrun.docs import allowed_values, readable_rule
from dbrun.source import migration_header


def test_header_purpose_joins_wrapped_lines_and_stops_at_locks() -> None:
    header = migration_header(
        "-- Migration: add_things\n"
        "-- Creates things: one per organiz-\n"
        "-- ation, and their history.\n"
        "-- dbrun: lock_timeout=2s\n"
        "-- Locks: SHARE ROW EXCLUSIVE on core.users\n"
        "-- (CREATE TRIGGER).\n"
        "\n"
        "-- Why: not part of the header.\n"
        "CREATE TABLE things ();\n")
    assert header.purpose == ("Creates things: one per organiz-ation, and their history.",)
    assert header.locks == "SHARE ROW EXCLUSIVE on core.users (CREATE TRIGGER)."


def test_header_list_items_and_paragraphs_stay_apart() -> None:
    header = migration_header("-- Migration: x\n-- Fix forward.\n--\n-- Second paragraph.\n"
                              "-- - one\n-- - two\n--   wrapped\n")
    assert header.purpose == ("Fix forward.", "Second paragraph.", "- one", "- two wrapped")
    assert header.locks is None


def test_enumeration_check_reads_as_in_list_with_its_values() -> None:
    definition = "CHECK ((status = ANY (ARRAY['trial'::text, 'active'::text, 'it''s'::text])))"
    assert readable_rule(definition) == "status IN ('trial', 'active', 'it''s')"
    assert allowed_values(definition) == ("trial", "active", "it's")


def test_array_containment_check_lists_allowed_values() -> None:
    definition = "CHECK ((scopes <@ ARRAY['models:read'::text, 'usage:read'::text]))"
    assert allowed_values(definition) == ("models:read", "usage:read")


def test_other_checks_have_no_allowed_values_and_lose_only_noise() -> None:
    definition = "CHECK (((char_length(name) >= 1) AND (amount >= (0)::numeric)))"
    assert readable_rule(definition) == "(char_length(name) >= 1) AND (amount >= 0)"
    assert allowed_values(definition) == ()
