"""`dbrun` and `python -m dbrun`: `--version` is answered before the CLI is imported, because
importing typer, rich and psycopg costs most of a command's start-up (~0.3 s here)."""

from __future__ import annotations

import gc
import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from dbrun import __version__

        sys.stdout.write(f"dbrun {__version__}\n")
        return
    # Importing the CLI creates ~40 000 objects the cyclic collector tracks, nearly all of them living
    # until exit (modules, classes, functions). The collector would walk them again and again while they
    # are created, and once more at exit: ~50 ms of CPU in a `dbrun status`. So it is off while
    # importing, and what the imports built is frozen (never walked again); everything the command
    # itself creates is collected as usual.
    gc.disable()
    try:
        from dbrun.cli import main as cli_main
    finally:
        gc.freeze()
        gc.enable()
    cli_main()


if __name__ == "__main__":
    main()
