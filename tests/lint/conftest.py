"""Fixtures for the lint tests: pure files, no database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlfluff.core import Linter

from dbrun.lint.fluff import make_linter

REPOSITORY = Path(__file__).resolve().parents[2]
FROZEN = ["app.organizations"]

RepoFactory = Callable[..., Path]


def write_repo(root: Path, files: dict[str, str], frozen: list[str] | None = None) -> Path:
    """A minimal schema repository: pyproject, the real .sqlfluff/.squawk.toml, and `files`."""
    frozen_list = ", ".join(f'"{name}"' for name in (frozen or []))
    (root / "pyproject.toml").write_text(f"[tool.dbrun]\nfrozen_tables = [{frozen_list}]\n", encoding="utf-8")
    for name in (".sqlfluff", ".squawk.toml"):
        shutil.copy(REPOSITORY / name, root / name)
    for folder in ("sql/up", "sql/down", "policies", "views", "seeds"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_repo(tmp_path: Path) -> RepoFactory:
    def factory(files: dict[str, str], frozen: list[str] | None = None) -> Path:
        return write_repo(tmp_path, files, frozen)

    return factory


@pytest.fixture(scope="session")
def rules_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose policies/ holds only app.orders.sql (for the DR02 cases)."""
    return write_repo(tmp_path_factory.mktemp("rules"), {"policies/app.orders.sql": "SELECT 1;\n"}, FROZEN)


@pytest.fixture(scope="session")
def linter(rules_root: Path) -> Linter:
    """One sqlfluff Linter for every rule case: its start-up is most of a file's lint time."""
    return make_linter(rules_root, rules_root / "policies", FROZEN)
