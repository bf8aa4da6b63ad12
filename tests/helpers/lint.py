"""Helpers for the lint tests: a minimal schema repository written from a dict of files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
FROZEN = ["app.organizations"]

RepoFactory = Callable[..., Path]


def write_repo(root: Path, files: dict[str, str], frozen: list[str] | None = None, *,
               squawk_config: bool | str = True, lint_settings: str = "") -> Path:
    """A minimal schema repository: pyproject, the real .sqlfluff and .squawk.toml, and `files`.

    `squawk_config`: True copies the repository's .squawk.toml, False writes none, a string is its text.
    `lint_settings`: TOML lines for [tool.dbrun.lint].
    """
    frozen_list = ", ".join(f'"{name}"' for name in (frozen or []))
    pyproject = f"[tool.dbrun]\nfrozen_tables = [{frozen_list}]\n"
    if lint_settings:
        pyproject += f"\n[tool.dbrun.lint]\n{lint_settings}\n"
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    shutil.copy(REPOSITORY / ".sqlfluff", root / ".sqlfluff")
    squawk = root / ".squawk.toml"
    if squawk_config is True:
        shutil.copy(REPOSITORY / ".squawk.toml", squawk)
    elif isinstance(squawk_config, str):
        squawk.write_text(squawk_config, encoding="utf-8")
    elif squawk.exists():
        squawk.unlink()
    for folder in ("sql/up", "sql/down", "policies", "views", "seeds"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
