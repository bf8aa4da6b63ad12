"""`dbrun status` imports only what it uses: applying, dry-runs, lint, docs, the local cluster, SQL
parsing and templating are imported by the commands that need them (each costs status start-up time)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# Modules the status path must not import (when no file needs parsing and no repeatable is a template).
NOT_FOR_STATUS = ("dbrun.execute", "dbrun.local", "dbrun.review", "dbrun.locks", "dbrun.docs", "dbrun.snapshot",
                  "dbrun.adopt", "dbrun.lint", "pglast", "yoyo", "jinja2", "sqlfluff", "rich.progress")

UP = "sql/up/202401010000_create_things.sql"
DOWN = "sql/down/202401010000_create_things.sql"
FILES = {UP: "-- Migration: create_things\nCREATE TABLE things (id bigint);\n",
         DOWN: "DROP TABLE things;\n",
         "policies/public.things.sql": "COMMENT ON TABLE things IS 'things';\n"}


def imported_after(argv: list[str]) -> list[str]:
    """Run the CLI with `argv` in a fresh interpreter; which of NOT_FOR_STATUS it imported."""
    probe = ("import json, sys\n"
             f"sys.argv = ['dbrun', *{argv!r}]\n"
             "from dbrun.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             f"print(json.dumps(sorted(m for m in {NOT_FOR_STATUS!r} if m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout.splitlines()[-1]))


def test_status_imports_nothing_only_other_commands_use(make_repo: Callable[[dict[str, str]], Path],
                                                         db_url: str) -> None:
    root = make_repo(FILES)
    assert imported_after(["--root", str(root), "--database-url", db_url, "status"]) == []


def test_the_probe_sees_a_command_that_imports_them(make_repo: Callable[[dict[str, str]], Path],
                                                    db_url: str) -> None:
    # `up` applies through dbrun.execute: the probe would catch status importing it.
    root = make_repo(FILES)
    assert "dbrun.execute" in imported_after(["--root", str(root), "--database-url", db_url, "up"])
