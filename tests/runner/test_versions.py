"""The oldest supported PostgreSQL (15): older servers are refused with their version and the fix."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from dbrun import versions
from dbrun.errors import EXIT_USAGE, UnsupportedServer


def test_server_older_than_15_is_refused_with_its_version_and_the_fix() -> None:
    with pytest.raises(UnsupportedServer) as caught:
        versions.require_supported(14, "14.11 (Debian 14.11-1)", "the server at db1", fix="upgrade db1")
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.message.startswith("the server at db1 is PostgreSQL 14.11 (Debian 14.11-1); "
                                           "dbrun needs PostgreSQL 15 or newer because")
    assert caught.value.hint == "upgrade db1"


def test_server_15_is_supported() -> None:
    versions.require_supported(15, "15.0", "the server at db1", fix="upgrade db1")


def test_major_of_reads_server_version_num() -> None:
    assert [versions.major_of(n) for n in (90624, 140011, 150000, 180006)] == [9, 14, 15, 18]


def test_cli_refuses_a_server_below_the_minimum_naming_it(monkeypatch: pytest.MonkeyPatch, db_url: str,
                                                          dbrun_cli: Any, make_repo: Any) -> None:
    # The test server is supported; raising the minimum above it exercises the refusal on a real connection.
    with psycopg.connect(db_url) as conn:
        running = conn.info.parameter_status("server_version")
    monkeypatch.setattr(versions, "MIN_MAJOR", 99)
    result = dbrun_cli("status", url=db_url, root=make_repo({}))
    assert result.exit_code == EXIT_USAGE
    assert f"is PostgreSQL {running}; dbrun needs PostgreSQL 99 or newer" in result.stderr
    assert "upgrade that server" in result.stderr
