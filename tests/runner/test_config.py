"""Settings: a flag beats the environment, which beats [tool.dbrun] in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbrun.config import load_settings


def test_local_dir_from_the_environment_beats_pyproject(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dbrun]\nlocal_dir = "from-pyproject"\n')
    assert load_settings(tmp_path).cluster_dir == tmp_path / "from-pyproject"
    monkeypatch.setenv("DBRUN_LOCAL_DIR", "/srv/cluster")
    assert load_settings(tmp_path).cluster_dir == Path("/srv/cluster")
    monkeypatch.setenv("DBRUN_LOCAL_DIR", "relative")
    assert load_settings(tmp_path).cluster_dir == tmp_path / "relative"
