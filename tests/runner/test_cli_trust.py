"""What people see: SQL shown as written, usage errors exit 2, no password anywhere, global options
after the command, the target printed before a change, and a confirmed `down` (issue 12)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

Make = Callable[..., Path]
Cli = Callable[..., Any]

UP = "sql/up/202601010000_create_codes.sql"
DOWN = "sql/down/202601010000_create_codes.sql"
CODES_UP = ("-- Migration: create_codes\nCREATE TABLE codes (\n    code text NOT NULL\n"
            "        CONSTRAINT ck_codes_code_format CHECK (code ~ '^[a-z]{2}$'),\n"
            "    \"[/note]\" text\n);\n")
CODES_DOWN = "DROP TABLE codes;\n"


def codes_repo(make_repo: Make, extra: dict[str, str] | None = None) -> Path:
    root: Path = make_repo({UP: CODES_UP, DOWN: CODES_DOWN, **(extra or {})})
    return root


def with_password(url: str, password: str) -> str:
    """The same (trust-authenticated) database, with a password in the URL's user info."""
    return url.replace("postgresql://postgres@", f"postgresql://postgres:{quote(password)}@")


# -- markup ------------------------------------------------------------------------------------------

def test_dry_run_text_shows_regex_brackets_and_closing_tags_as_written(make_repo: Make, db_url: str,
                                                                       dbrun_cli: Cli) -> None:
    result = dbrun_cli("up", "--dry-run", url=db_url, root=codes_repo(make_repo))
    assert result.exit_code == 0, result.stderr
    assert "'^[a-z]{2}$'" in result.stdout


def test_closing_tag_in_a_statement_is_shown_by_the_dry_run_and_the_error(make_repo: Make, db_url: str,
                                                                          dbrun_cli: Cli) -> None:
    root = make_repo({UP: "-- Migration: x\nSELECT '[/bold]' AS \"[/x]\";\nSELECT '[/i]' FROM missing_table;\n",
                      DOWN: "SELECT 1;\n"})
    dry = dbrun_cli("up", "--dry-run", url=db_url, root=root)
    assert dry.exit_code == 3 and "Traceback" not in dry.stdout + dry.stderr
    assert "SELECT '[/bold]' AS \"[/x]\";" in dry.stdout and "SELECT '[/i]' FROM missing_table;" in dry.stdout
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 3
    assert "SELECT '[/i]' FROM missing_table;" in result.stderr and "42P01" in result.stderr


def test_verify_shows_violation_data_and_column_names_as_written(make_repo: Make, db_url: str,
                                                                 dbrun_cli: Cli) -> None:
    root = codes_repo(make_repo, {"sql/checks/post/brackets.sql": "SELECT '[/x] [bold]{2}' AS \"[/col]\";\n"})
    result = dbrun_cli("verify", url=db_url, root=root)
    assert result.exit_code == 1
    assert "[/x] [bold]{2}" in result.stdout and "[/col]" in result.stdout


def test_up_with_markup_in_a_check_result_reports_after_commit_without_crashing(make_repo: Make, db_url: str,
                                                                                dbrun_cli: Cli) -> None:
    root = codes_repo(make_repo, {"sql/checks/post/brackets.sql": "SELECT '[/oops]' AS problem;\n"})
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 1 and "[/oops]" in result.stdout


# -- usage errors exit 2 -----------------------------------------------------------------------------

@pytest.mark.parametrize("args", [("down", "--steps", "-1"), ("down", "--steps", "0"),
                                  ("up", "--to", "209901010000"), ("repair", "202601019999"),
                                  ("--lock-retries", "-1", "up"), ("--statement-timeout", "1000h", "up"),
                                  ("--lock-timeout", "1000h", "up")])
def test_usage_errors_exit_2(make_repo: Make, db_url: str, dbrun_cli: Cli, args: tuple[str, ...]) -> None:
    root = codes_repo(make_repo)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    result = dbrun_cli(*args, url=db_url, root=root)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_statement_timeout_directive_out_of_range_is_refused_before_running(make_repo: Make, db_url: str,
                                                                            dbrun_cli: Cli) -> None:
    root = make_repo({UP: "-- dbrun: statement_timeout=1000h\nSELECT 1;\n", DOWN: "SELECT 1;\n"})
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 1 and "out of range" in result.stderr


# -- passwords ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", ["userinfo", "query", "keyvalue"])
def test_no_output_shows_the_password(make_repo: Make, db_url: str, dbrun_cli: Cli,
                                      postgresql: psycopg.Connection[Any], form: str) -> None:
    secret = "s3cr3t-pw"
    info = postgresql.info
    url = {"userinfo": with_password(db_url, secret), "query": f"{db_url}&password={secret}",
           "keyvalue": f"host={info.host} port={info.port} dbname={info.dbname} user=postgres password={secret}"}[form]
    root = codes_repo(make_repo)
    outputs = []
    for args in (("up", "--dry-run"), ("--json", "up", "--dry-run"), ("up",), ("status",), ("--json", "status"),
                 ("down", "--all", "--yes"), ("--json", "down", "--all", "--yes")):
        result = dbrun_cli(*args, url=url, root=root)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout + result.stderr)
    assert not [o for o in outputs if secret in o]


def test_connection_error_does_not_show_the_password(make_repo: Make, dbrun_cli: Cli) -> None:
    result = dbrun_cli("status", url="postgresql://u@/nodb?host=/nonexistent&port=1&password=s3cr3t-pw",
                       root=codes_repo(make_repo))
    assert result.exit_code == 2 and "s3cr3t-pw" not in result.stdout + result.stderr


# -- CLI conventions ---------------------------------------------------------------------------------

def test_global_options_are_accepted_after_the_command(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = codes_repo(make_repo)
    result = dbrun_cli("status", "--json", "--database-url", db_url, "--root", str(root))
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["pending"] == 1


def test_global_option_with_equals_after_the_command(make_repo: Make, db_url: str, dbrun_cli: Cli) -> None:
    root = codes_repo(make_repo)
    result = dbrun_cli("up", f"--database-url={db_url}", f"--root={root}", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["migrations"][0]["version"] == "202601010000"


def test_up_and_down_print_the_target_before_changing_anything(make_repo: Make, db_url: str, dbrun_cli: Cli,
                                                               postgresql: psycopg.Connection[Any]) -> None:
    root = codes_repo(make_repo)
    url = with_password(db_url, "s3cr3t-pw")
    for args in (("up",), ("down", "--all", "--yes")):
        result = dbrun_cli(*args, url=url, root=root)
        assert result.exit_code == 0, result.stderr
        target = next(line for line in result.stderr.splitlines() if line.startswith("target:"))
        assert f"database {postgresql.info.dbname}" in target and f"port {postgresql.info.port}" in target
        assert "as postgres" in target and "s3cr3t-pw" not in result.stderr


def test_down_on_a_non_development_database_without_a_terminal_requires_yes(make_repo: Make, db_url: str,
                                                                            dbrun_cli: Cli) -> None:
    root = codes_repo(make_repo)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    refused = dbrun_cli("down", "--all", url=db_url, root=root)
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT to_regclass('public.codes') IS NOT NULL").fetchone() == (True,)
    assert dbrun_cli("down", "--all", "--yes", url=db_url, root=root).exit_code == 0


def test_down_on_a_development_database_does_not_ask(make_repo: Make, db_url: str, dbrun_cli: Cli,
                                                     postgresql: psycopg.Connection[Any]) -> None:
    root = codes_repo(make_repo)
    assert dbrun_cli("up", url=db_url, root=root).exit_code == 0
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{postgresql.info.dbname}" SET dbrun.environment = \'development\'')
    assert dbrun_cli("down", "--all", url=db_url, root=root).exit_code == 0
