"""Fixtures for the generated reference and drift tests: a private copy of the repository to write into."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from dbrun import api
from dbrun.config import load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
# What `dbrun docs` reads from a repository (it writes docs/reference/ and schema/ next to them).
REPOSITORY_PARTS = ("sql", "policies", "views", "seeds", "pyproject.toml")


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The repository's SQL in a temporary folder, without its committed reference or snapshot."""
    root = tmp_path / "repo"
    root.mkdir()
    for part in REPOSITORY_PARTS:
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        elif source.is_file():
            shutil.copy2(source, root / part)
    return root


@pytest.fixture
def generate(product_url: str) -> Callable[[Path], api.ReferenceOutcome]:
    """`dbrun docs` on a repository folder, reading this test's migrated product database."""

    def run(root: Path) -> api.ReferenceOutcome:
        return api.reference(load_settings(root, product_url))

    return run


@pytest.fixture
def generated_bytes() -> Callable[[Path], dict[str, bytes]]:
    """Every generated file under a root, by relative path."""

    def read(root: Path) -> dict[str, bytes]:
        paths = [*sorted((root / "docs" / "reference").glob("*.md")), root / "schema" / "schema.sql"]
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in paths}

    return read
