"""Helpers for the lint tests: a minimal schema repository written from a dict of files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

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
