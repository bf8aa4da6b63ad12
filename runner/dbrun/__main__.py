"""`dbrun` and `python -m dbrun`: `--version` is answered before the CLI is imported, because
importing typer, rich and psycopg costs most of a command's start-up (~0.3 s here)."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from dbrun import __version__

        sys.stdout.write(f"dbrun {__version__}\n")
        return
    from dbrun.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
