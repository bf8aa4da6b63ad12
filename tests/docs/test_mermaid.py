"""The generated diagrams parse with Mermaid's own parser (tools/mermaid, run under Node).

CI installs the parser (`npm ci --prefix tools/mermaid`) and sets DBRUN_REQUIRE_MERMAID=1, so
there these tests fail rather than skip when it is absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dbrun import api

TOOL = Path(__file__).resolve().parents[2] / "tools" / "mermaid"


def _validator() -> list[str]:
    node = shutil.which("node")
    missing = ("Node.js is not installed" if node is None else
               "Mermaid's parser is not installed: run `npm ci --prefix tools/mermaid`"
               if not (TOOL / "node_modules" / "mermaid").is_dir() else None)
    if missing:
        if os.environ.get("DBRUN_REQUIRE_MERMAID") == "1":
            pytest.fail(f"{missing} (DBRUN_REQUIRE_MERMAID=1)")
        pytest.skip(f"{missing}; the diagrams cannot be validated here")
    assert node is not None
    return [node, str(TOOL / "validate.mjs")]


def _validate(pages: list[Path]) -> list[dict[str, Any]]:
    result = subprocess.run([*_validator(), *map(str, pages)], capture_output=True, text=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    parsed: list[dict[str, Any]] = json.loads(result.stdout)
    return parsed


def test_every_generated_diagram_parses(repo_copy: Path, generate: Callable[[Path], api.ReferenceOutcome]) -> None:
    generate(repo_copy)
    pages = sorted((repo_copy / "docs" / "reference").glob("*.md"))
    results = _validate(pages)
    diagram_pages = {Path(r["file"]).name for r in results}
    assert {"model.md", "core.md", "usage.md"} <= diagram_pages
    assert [r for r in results if not r["ok"]] == []


def test_validator_rejects_a_broken_diagram(tmp_path: Path) -> None:
    page = tmp_path / "broken.md"
    page.write_text('# x\n\n```mermaid\nerDiagram\n    "a.b" ||--o{ "c.d" :\n```\n')
    [result] = _validate([page])
    assert not result["ok"] and "Parse error" in result["error"]
