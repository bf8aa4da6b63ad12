"""The CLI through typer's CliRunner, and as real subprocesses (including a kill -9 mid-migration)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.helpers.runner import A_DOWN, A_UP, query, subprocess_env, two_migrations

Make = Callable[..., Path]


def test_up_status_health_down_with_exit_codes(make_repo: Make, db_url: str, dbrun_cli: Any) -> None:
    root = make_repo(two_migrations())
    health = dbrun_cli("--json", "health", url=db_url, root=root)
    assert health.exit_code == 1 and json.loads(health.stdout)["pending"] == 2
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 0, result.stderr
    assert "applied 2 migrations" in result.stdout
    status = json.loads(dbrun_cli("--json", "status", url=db_url, root=root).stdout)
    assert status["state"] == "ok" and status["counts"]["applied"] == 2
    assert dbrun_cli("health", url=db_url, root=root).exit_code == 0
    result = dbrun_cli("down", url=db_url, root=root)
    assert result.exit_code == 2 and "exactly one of" in result.stderr
    assert dbrun_cli("down", "--all", "--yes", url=db_url, root=root).exit_code == 0


def test_json_log_lines_carry_the_run_facts(make_repo: Make, db_url: str, dbrun_cli: Any) -> None:
    result = dbrun_cli("--log-format", "json", "up", url=db_url, root=make_repo(two_migrations()))
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [line["version"] for line in lines] == ["202601010000", "202601020000"]
    assert {"event", "version", "name", "direction", "status", "duration_ms", "statements", "rows", "relations",
            "checksum", "run_id"} <= set(lines[1])
    assert len({line["run_id"] for line in lines}) == 1


def test_failed_migration_exits_3_with_file_line_and_sqlstate(make_repo: Make, db_url: str, dbrun_cli: Any) -> None:
    root = make_repo({"sql/up/202601010000_create_accounts.sql": A_UP + "SELECT * FROM nowhere;\n",
                      "sql/down/202601010000_create_accounts.sql": A_DOWN})
    result = dbrun_cli("up", url=db_url, root=root)
    assert result.exit_code == 3
    assert "sql/up/202601010000_create_accounts.sql:12: SQLSTATE 42P01" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    data = json.loads(dbrun_cli("--json", "up", url=db_url, root=root).stdout)
    assert data["exit_code"] == 3 and data["statement_error"]["sqlstate"] == "42P01"


@pytest.mark.parametrize(("args", "code"), [
    (["--database-url", "postgresql://nobody@127.0.0.1:1/x", "status"], 2),
    (["--lock-timeout", "soon", "status"], 2),
    (["render", "views/nothing.sql"], 2),
    (["new", "Bad Slug"], 2),
])
def test_bad_input_gets_a_message_and_exit_code_not_a_traceback(make_repo: Make, args: list[str], code: int,
                                                                dbrun_cli: Any, db_url: str) -> None:
    root = make_repo(two_migrations())
    url = None if args[0] == "--database-url" else db_url
    result = dbrun_cli(*args, url=url, root=root)
    assert result.exit_code == code
    assert "error:" in result.stderr and "Traceback" not in result.stderr


def test_malformed_repository_applies_nothing(make_repo: Make, db_url: str, dbrun_cli: Any) -> None:
    files = two_migrations()
    files["sql/up/202601030000_x.sql"] = b"\xef\xbb\xbfSELECT 1;"
    files["sql/down/202601030000_x.sql"] = "SELECT 1;"
    result = dbrun_cli("up", url=db_url, root=make_repo(files))
    assert result.exit_code == 1 and "SRC-BOM" in result.stderr
    assert query(db_url, "SELECT to_regnamespace('dbrun'), to_regclass('accounts')") == [(None, None)]


def test_new_creates_a_stamped_pair_after_the_newest_version(make_repo: Make, dbrun_cli: Any) -> None:
    root = make_repo(two_migrations())
    result = dbrun_cli("new", "add_phone", root=root)
    assert result.exit_code == 0, result.stderr
    ups = sorted(p.name for p in (root / "sql/up").iterdir())
    assert ups[-1].endswith("_add_phone.sql") and ups[-1] > "202601020000"
    text = (root / "sql/up" / ups[-1]).read_text()
    assert text.startswith("-- Migration: add_phone") and (root / "sql/down" / ups[-1]).exists()
    assert "\n-- Locks: " in text and "-- Version:" not in text and "-- Purpose:" not in text
    nontx = dbrun_cli("new", "index_phone", "--non-transactional", root=root)
    created = sorted((root / "sql/up").glob("*index_phone.sql"))[0]
    assert nontx.exit_code == 0 and "transactional=false" in created.read_text()


def test_render_prints_the_rendered_template(make_repo: Make, dbrun_cli: Any) -> None:
    root = make_repo({**two_migrations(), "policies/public.accounts.sql.j2":
                      "{% for r in ['app_rw', 'app_ro'] %}GRANT SELECT ON accounts TO {{ r }};\n{% endfor %}"})
    result = dbrun_cli("render", "policies/public.accounts.sql.j2", root=root)
    assert result.stdout == "GRANT SELECT ON accounts TO app_rw;\nGRANT SELECT ON accounts TO app_ro;\n"


def test_verify_reports_violations_and_exits_1(make_repo: Make, db_url: str, dbrun_cli: Any) -> None:
    root = make_repo({**two_migrations(), "sql/checks/post/no_rows.sql": "SELECT name FROM accounts;\n"})
    dbrun_cli("up", url=db_url, root=root)
    result = dbrun_cli("verify", url=db_url, root=root)
    assert result.exit_code == 1 and "sql/checks/post/no_rows.sql: 2 violation(s)" in result.stdout


def test_real_subprocess_runs_python_m_dbrun(make_repo: Make, db_url: str) -> None:
    root = make_repo(two_migrations())
    result = subprocess.run([sys.executable, "-m", "dbrun", "--root", str(root), "--database-url", db_url, "up"],
                            capture_output=True, text=True, env=subprocess_env(), timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert query(db_url, "SELECT count(*) FROM dbrun.migrations") == [(2,)]


@pytest.mark.slow
def test_kill_9_mid_migration_leaves_history_consistent_and_rerun_succeeds(make_repo: Make, db_url: str) -> None:
    sleepy = A_UP + "SELECT pg_sleep(CASE WHEN current_setting('test.sleep', true) = 'on' THEN 60 ELSE 0 END);\n"
    root = make_repo({"sql/up/202601010000_create_accounts.sql": sleepy,
                      "sql/down/202601010000_create_accounts.sql": A_DOWN})
    runner = subprocess.Popen([sys.executable, "-m", "dbrun", "--root", str(root), "--database-url", db_url, "up"],
                              env=subprocess_env(PGOPTIONS="-c test.sleep=on"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not query(db_url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%%pg_sleep(CASE%%' "
                                "AND state = 'active' AND pid <> pg_backend_pid()"):
            assert time.monotonic() < deadline and runner.poll() is None, "the runner never reached pg_sleep"
            time.sleep(0.1)
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(10)
    finally:
        if runner.poll() is None:
            runner.kill()
    # The server notices the dead client (client_connection_check_interval), rolls back, frees the lock.
    result = subprocess.run([sys.executable, "-m", "dbrun", "--root", str(root), "--database-url", db_url,
                             "--lock-wait", "30", "up"], capture_output=True, text=True, env=subprocess_env(),
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert query(db_url, "SELECT version, status FROM dbrun.migrations") == [("202601010000", "applied")]
    assert query(db_url, "SELECT count(*) FROM accounts") == [(2,)]
    with psycopg.connect(db_url) as conn:
        assert conn.execute("SELECT count(*) FROM dbrun.log WHERE status = 'ok'").fetchone() == (1,)


def test_seed_refuses_a_database_not_marked_development(make_repo: Make, db_url: str, dbrun_cli: Any) -> None:
    root = make_repo({**two_migrations(), "seeds/10_accounts.sql":
                      "INSERT INTO accounts (name) SELECT 'seeded' WHERE NOT EXISTS "
                      "(SELECT 1 FROM accounts WHERE name = 'seeded');\n"})
    dbrun_cli("up", url=db_url, root=root)
    refused = dbrun_cli("seed", url=db_url, root=root)
    assert refused.exit_code == 1 and "SEED-NOT-DEVELOPMENT" in refused.stderr
    runs = [dbrun_cli("--json", "seed", "--force", url=db_url, root=root) for _ in range(2)]
    assert [r.exit_code for r in runs] == [0, 0]
    assert [json.loads(r.stdout)["rows"] for r in runs] == [1, 0]  # idempotent: the second run writes nothing
    assert query(db_url, "SELECT count(*) FROM accounts WHERE name = 'seeded'") == [(1,)]
