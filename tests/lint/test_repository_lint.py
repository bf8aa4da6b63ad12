"""CI requirement: the repository's own SQL passes its own lint."""

from __future__ import annotations

from dbrun.lint import render, run_lint
from tests.helpers.lint import REPOSITORY


def test_repository_passes_its_own_lint() -> None:
    report = run_lint(REPOSITORY, None, None, False)
    assert report.files, "no SQL found under sql/, policies/, views/, seeds/"
    assert report.errors == [], render(report, "text")
