"""The `dbrun` entry point answers --version before importing the CLI's heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

from dbrun import __version__

PROBE = ("import sys; sys.argv = ['dbrun', '--version']; from dbrun.__main__ import main; main(); "
         "print(sorted(m for m in ('typer', 'rich', 'psycopg', 'dbrun.cli') if m in sys.modules))")


def test_version_is_printed_without_importing_typer_rich_or_psycopg() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [f"dbrun {__version__}", "[]"]


def test_other_commands_go_to_the_cli() -> None:
    done = subprocess.run([sys.executable, "-m", "dbrun", "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "baseline" in done.stdout and "history" in done.stdout


GC_PROBE = ("import gc, sys; sys.argv = ['dbrun', '--help']; from dbrun.__main__ import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(gc.isenabled(), gc.get_freeze_count() > 10_000)")


def test_the_cli_is_imported_with_its_objects_frozen_and_the_collector_back_on() -> None:
    # Frozen: the collector does not walk the imports' objects again (during the command, at exit);
    # back on: a long `up` still has its own garbage cycles collected.
    done = subprocess.run([sys.executable, "-c", GC_PROBE], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "True True"
