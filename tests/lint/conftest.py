"""Fixtures for the lint tests: pure files, no database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlfluff.core import Linter

from dbrun.lint.fluff import make_linter
from tests.helpers.lint import FROZEN, RepoFactory, write_repo


@pytest.fixture
def make_repo(tmp_path: Path) -> RepoFactory:
    def factory(files: dict[str, str], frozen: list[str] | None = None, *, squawk_config: bool | str = True,
                lint_settings: str = "") -> Path:
        return write_repo(tmp_path, files, frozen, squawk_config=squawk_config, lint_settings=lint_settings)

    return factory


@pytest.fixture(scope="session")
def rules_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose policies/ holds only app.orders.sql (for the DR02 cases)."""
    return write_repo(tmp_path_factory.mktemp("rules"), {"policies/app.orders.sql": "SELECT 1;\n"}, FROZEN)


@pytest.fixture(scope="session")
def linter(rules_root: Path) -> Linter:
    """One sqlfluff Linter for every rule case: its start-up is most of a file's lint time."""
    return make_linter(rules_root, rules_root / "policies", FROZEN)
