"""Fixtures for the venture intelligence tests (issue 13): the product database, unseeded (`db`) and
seeded (`seeded`). They are the schema tests' fixtures, shared rather than copied: pytest registers
fixtures a conftest imports. Helpers live in tests/helpers/venture.py."""

from __future__ import annotations

from tests.schema.conftest import db, seeded

__all__ = ["db", "seeded"]
