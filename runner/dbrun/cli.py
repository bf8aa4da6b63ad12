"""The `dbrun` command line: parse options, call one function, render its result, map errors to exit codes."""

# No `from __future__ import annotations` here: typer reads every command's option annotations at each
# start, and a string annotation costs it an eval() (~8 ms over all commands). Names imported only for
# type checking are quoted instead.

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import psycopg
import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from dbrun import __version__, api, errors, report
from dbrun.config import Settings, load_settings
from dbrun.errors import EXIT_OK, EXIT_PROBLEMS, ConfigError, DbrunError
from dbrun.plan import Plan

if TYPE_CHECKING:
    from rich.progress import Progress

    from dbrun import review_model
    from dbrun.execute import Event
    from dbrun.local import LocalCluster

T = TypeVar("T")


class GlobalOptionsAnywhere(TyperGroup):
    """Accepts the global options after the command too (`dbrun status --json`), as git, kubectl and
    Flyway users type them: they are moved before the command, then parsed as usual."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer's vendored click.Context
        return super().parse_args(ctx, _hoist_global_options(self, args))


def _hoist_global_options(group: TyperGroup, args: list[str]) -> list[str]:
    takes_value = {name: not getattr(option, "is_flag", False) for option in group.params
                   if option.param_type_name == "option" for name in option.opts}
    command_at = next((i for i, arg in enumerate(args) if arg in group.commands
                       and (i == 0 or not takes_value.get(args[i - 1], False))), None)
    if command_at is None:
        return args
    before, after = list(args[:command_at + 1]), args[command_at + 1:]
    rest: list[str] = []
    position = 0
    while position < len(after):
        arg = after[position]
        if arg == "--":
            rest.extend(after[position:])
            break
        name = arg.split("=", 1)[0]
        if name in takes_value:
            needs_value = takes_value[name] and "=" not in arg
            moved = after[position:position + 2] if needs_value else [arg]
            before[command_at:command_at] = moved
            command_at += len(moved)
            position += len(moved)
            continue
        rest.append(arg)
        position += 1
    return before + rest


app = typer.Typer(cls=GlobalOptionsAnywhere, no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help="Apply a pure-SQL PostgreSQL schema repository safely. Without --database-url / "
                       "DATABASE_URL, commands use the embedded local cluster in .dbrun/.")
local_app = typer.Typer(no_args_is_help=True, help="The embedded local PostgreSQL cluster (.dbrun/).")
app.add_typer(local_app, name="local")

# Rich progress shows for runs longer than this many migrations.
PROGRESS_THRESHOLD = 3


class LogFormat(StrEnum):
    text = "text"
    json = "json"


@dataclass
class Context:
    root: Path | None
    database_url: str | None
    json: bool
    log_format: LogFormat
    overrides: dict[str, Any]
    out: Console
    err: Console

    def settings(self) -> Settings:
        return load_settings(self.root, self.database_url, self.overrides)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dbrun {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    database_url: Annotated[str | None, typer.Option("--database-url", envvar="DATABASE_URL",
                            help="postgresql:// URL; default: the embedded local cluster", show_envvar=True)] = None,
    root: Annotated[Path | None, typer.Option("--root", envvar="DBRUN_ROOT",
                    help="repository folder (holding sql/up)", show_default="current folder")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON document to stdout")] = False,
    log_format: Annotated[LogFormat, typer.Option("--log-format", envvar="DBRUN_LOG_FORMAT",
                          help="per-migration log lines on stderr: text or json")] = LogFormat.text,
    lock_wait: Annotated[float | None, typer.Option("--lock-wait", help="seconds to wait for another runner's lock")] = None,
    lock_timeout: Annotated[str | None, typer.Option("--lock-timeout", help="per migration, e.g. 5s")] = None,
    statement_timeout: Annotated[str | None, typer.Option("--statement-timeout", help="per migration, e.g. 15min")] = None,
    lock_retries: Annotated[int | None, typer.Option(
        "--lock-retries", help="retries after a lock timeout or a deadlock")] = None,
    concurrent_wait: Annotated[str | None, typer.Option(
        "--concurrent-wait", help="how long CREATE INDEX CONCURRENTLY and friends may wait for older "
        "transactions (instead of --lock-timeout), e.g. 30min")] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    ctx.obj = Context(
        root=root, database_url=database_url, json=json_output, log_format=log_format,
        overrides={"lock_wait": lock_wait, "lock_timeout": lock_timeout, "statement_timeout": statement_timeout,
                   "lock_retries": lock_retries, "concurrent_wait": concurrent_wait},
        # markup=False, emoji=False: SQL and data are shown as they are. A CHECK's '[a-z]{2}', a column named
        # "[/x]" or ':ok:' in a comment must never be read as rich markup (it was mangled, or crashed after
        # the commit); styling comes from Text objects only.
        out=Console(highlight=False, soft_wrap=True, markup=False, emoji=False),
        err=Console(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False),
    )


def _ctx(ctx: typer.Context) -> Context:
    assert isinstance(ctx.obj, Context)
    return ctx.obj


def _guard(c: Context, action: Callable[[], T]) -> T:
    """Run a command body; expected failures become a message and their exit code, never a traceback."""
    try:
        try:
            return action()
        except (psycopg.Error, OSError) as unexpected:
            # The last net: a database or file-system failure no module turned into its own message.
            raise errors.from_environment(unexpected) from unexpected
    except DbrunError as error:
        if c.json:
            c.out.print_json(report.dumps(report.error_dict(error)))
        else:
            c.err.print(report.error_renderable(error))
        raise typer.Exit(error.exit_code) from None
    except KeyboardInterrupt:
        c.err.print("interrupted: the current migration's transaction was rolled back by the server")
        raise typer.Exit(130) from None


@contextmanager
def _run_display(c: Context) -> Iterator[tuple[Callable[[Plan], None], Callable[["Event"], None]]]:
    """Listeners that show a progress bar (long runs, on a terminal) and per-migration log lines."""
    progress: Progress | None = None
    task = None

    def on_plan(plan: Plan) -> None:
        nonlocal progress, task
        if not c.json and c.log_format is LogFormat.text:
            for note in plan.notes:
                c.err.print(f"note: {note}", style="yellow")
        total = len(plan.steps) + len(plan.repeatables) + len(plan.before) + len(plan.after)
        if total > PROGRESS_THRESHOLD and c.err.is_terminal and c.log_format is LogFormat.text:
            # Imported here: rich.progress costs start-up that status, health and history do not need.
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=c.err, transient=True)
            progress.start()
            task = progress.add_task(plan.direction, total=total)

    batches = _BatchDisplay(c)

    def on_event(event: "Event") -> None:
        if event.event == "batch" or (event.event == "migration" and batches.active):
            batches.show(event, progress)
        if c.log_format is LogFormat.json:
            c.err.out(report.event_line(event), highlight=False)
        elif event.event == "deadline":
            (progress.console if progress else c.err).print(f"stopped: {event.message}", style="yellow")
        elif event.event in ("migration", "repeatable") and event.status == "ok":
            line = Text.assemble(f"✓ {event.direction or 'up':<4} {event.name}  ",
                                 (f"{event.duration_ms} ms, {event.statements} statements, {event.rows} rows", "dim"))
            (progress.console if progress else c.err).print(line)
        elif event.event == "note":
            (progress.console if progress else c.err).print(f"note: {event.name}: {event.message}", style="yellow")
        elif event.event == "retry":
            (progress.console if progress else c.err).print(f"… {event.name}: {event.message}", style="yellow")
        if progress is not None and task is not None and event.event in ("migration", "repeatable"):
            progress.advance(task)

    try:
        yield on_plan, on_event
    finally:
        batches.stop()
        if progress is not None:
            progress.stop()


class _BatchDisplay:
    """A live line per batch migration on a terminal: rows, batches and rows per second."""

    def __init__(self, c: Context) -> None:
        self.c = c
        self.progress: Progress | None = None
        self.task: Any = None
        self.active = False

    def show(self, event: "Event", run_progress: "Progress | None") -> None:
        if event.event == "migration":  # the batch migration finished or failed: its line goes
            self.stop()
            return
        self.active = True
        if not self.c.err.is_terminal or self.c.log_format is LogFormat.json:
            return
        description = f"batch {event.name}: {report.batch_summary(event)}"
        if self.progress is None:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = run_progress or Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                                     TimeElapsedColumn(), console=self.c.err, transient=True)
            if run_progress is None:
                self.progress.start()
            self.task = self.progress.add_task(description, total=None)
        self.progress.update(self.task, description=description)

    def stop(self) -> None:
        if self.progress is not None and self.task is not None:
            self.progress.remove_task(self.task)
            if not self.progress.tasks:
                self.progress.stop()
        self.progress, self.task, self.active = None, None, False


def _notes(c: Context, outcome_target: Any) -> None:
    if not c.json:
        for note in getattr(outcome_target, "notes", ()):
            c.err.print(f"note: {note}", style="dim")


def _finish_run(c: Context, outcome: api.RunOutcome) -> None:
    _notes(c, outcome.target)
    if c.json:
        c.out.print_json(report.dumps(report.run_dict(outcome)))
    else:
        c.out.print(report.run_renderable(outcome))
    if outcome.checks_failed:
        raise typer.Exit(EXIT_PROBLEMS)


class ReviewFormat(StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


DryRunOption = Annotated[bool, typer.Option("--dry-run", help="run it in a transaction that is always rolled "
                                            "back; report statements, locks, rewrites and objects")]
FormatOption = Annotated[ReviewFormat, typer.Option("--format",
                                                    help="dry-run report: text, json or markdown")]
OfflineOption = Annotated[bool, typer.Option("--offline", help="dry-run without a database: plan from files, "
                                             "static lock estimates")]


def _dry_run(c: Context, fmt: ReviewFormat, run: Callable[[Settings], "review_model.DryRun"]) -> None:
    """Render a dry-run in the chosen format; exit 3 if a migration would fail, 1 if checks fail."""
    from dbrun import review_report  # only dry-runs pay for importing the review machinery

    result = _guard(c, lambda: run(c.settings()))
    if c.json or fmt is ReviewFormat.json:
        c.out.print_json(report.dumps(review_report.as_dict(result)))
    elif fmt is ReviewFormat.markdown:
        sys.stdout.write(review_report.markdown(result))
    else:
        c.out.print(review_report.renderable(result))
    raise typer.Exit(result.exit_code)


def _dry_run_usage(dry_run: bool, fmt: ReviewFormat, offline: bool) -> None:
    if not dry_run and (offline or fmt is not ReviewFormat.text):
        raise typer.BadParameter("--offline and --format apply to --dry-run only", param_hint="--dry-run")


@app.command()
def up(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="apply up to and including this version")] = None,
    dry_run: DryRunOption = False,
    fmt: FormatOption = ReviewFormat.text,
    offline: OfflineOption = False,
    max_duration: Annotated[str | None, typer.Option(
        "--max-duration", help="maintenance window, e.g. 10min: no migration starts after it, batch files stop "
        "between batches; the run says what remains")] = None,
    max_rate: Annotated[float | None, typer.Option(
        "--max-rate", help="batch files: at most this many rows per second")] = None,
) -> None:
    """Apply pending migrations (then changed policies/views), each atomically, under the migration lock."""
    c = _ctx(ctx)
    c.overrides.update(max_duration=max_duration, max_rate=max_rate)
    _dry_run_usage(dry_run, fmt, offline)
    if dry_run:
        from dbrun import review

        _dry_run(c, fmt, lambda settings: review.dry_run_up(settings, to, offline=offline))
    with _run_display(c) as (on_plan, on_event):
        outcome = _guard(c, lambda: api.up(c.settings(), to=to, listener=on_event, on_plan=on_plan,
                                           on_target=lambda where: _show_target(c, where)))
    _finish_run(c, outcome)


def _show_target(c: Context, where: str) -> None:
    """Which database is about to change (never its password): stderr, so --json stdout stays one document."""
    c.err.print(Text.assemble(("target: ", "bold"), where))


def _confirmer(c: Context, yes: bool) -> api.Confirm:
    def confirm(where: str, plan: Plan) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise ConfigError(f"{where} is not marked as a development database: rolling back needs confirmation, "
                              "and there is no terminal to ask", hint="pass --yes to roll back without asking")
        names = ", ".join(step.migration.name for step in plan.steps)
        return typer.confirm(f"Roll back {len(plan.steps)} migration(s) ({names}) on {where}, which is not marked "
                             "as development?", default=False, err=True)

    return confirm


@app.command()
def down(
    ctx: typer.Context,
    to: Annotated[str | None, typer.Option("--to", help="roll back everything after this version")] = None,
    steps: Annotated[int | None, typer.Option("--steps", help="roll back this many migrations")] = None,
    everything: Annotated[bool, typer.Option("--all", help="roll back every applied migration")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask before rolling back a database not marked "
                                      "development (required without a terminal)")] = False,
    dry_run: DryRunOption = False,
    fmt: FormatOption = ReviewFormat.text,
    offline: OfflineOption = False,
) -> None:
    """Roll back applied migrations with their down files, newest first."""
    c = _ctx(ctx)
    _dry_run_usage(dry_run, fmt, offline)
    if dry_run:
        from dbrun import review

        _dry_run(c, fmt, lambda settings: review.dry_run_down(
            settings, to=to, steps=steps, everything=everything, offline=offline))
    with _run_display(c) as (on_plan, on_event):
        outcome = _guard(c, lambda: api.down(c.settings(), to=to, steps=steps, everything=everything,
                                             listener=on_event, on_plan=on_plan,
                                             on_target=lambda where: _show_target(c, where),
                                             confirm=_confirmer(c, yes)))
    _finish_run(c, outcome)


@app.command()
def status(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="list every applied migration, not only the newest")] = False,
) -> None:
    """Applied, pending, failed (partial), changed and missing migrations, and repeatables."""
    c = _ctx(ctx)
    result = _guard(c, lambda: api.status(c.settings()))
    _notes(c, result.target)
    if c.json:
        c.out.print_json(report.dumps(report.status_dict(result)))
    else:
        c.out.print(report.status_renderable(result, show_all))


@app.command()
def health(ctx: typer.Context) -> None:
    """Schema version, last migration time, pending count and state; exits 1 unless the state is ok."""
    c = _ctx(ctx)
    result = _guard(c, lambda: api.status(c.settings()))
    if c.json:
        c.out.print_json(report.dumps(report.health_dict(result)))
    else:
        c.out.print(report.health_renderable(result))
    raise typer.Exit(EXIT_OK if result.health == "ok" else EXIT_PROBLEMS)


@app.command()
def verify(ctx: typer.Context) -> None:
    """Run the post-checks (sql/checks/post and built-ins) only; exits 1 on any violation."""
    c = _ctx(ctx)
    target, results, warnings = _guard(c, lambda: api.verify(c.settings()))
    _notes(c, target)
    if c.json:
        c.out.print_json(report.dumps({"post_checks": [report.check_dict(r) for r in results],
                                       "warnings": [report.problem_dict(p) for p in warnings],
                                       "ok": all(r.passed for r in results)}))
    else:
        if warnings:
            c.err.print(report.warnings_renderable(warnings))
        c.out.print(report.checks_renderable("post-checks", results))
    if not all(r.passed for r in results):
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def baseline(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="the version the existing database is at")],
    no_check: Annotated[bool, typer.Option("--no-check", help="do not check that the migrations' tables, "
                                           "columns, indexes, functions ... exist")] = False,
) -> None:
    """Adopt an existing database: record every migration up to VERSION as applied, with its checksum."""
    c = _ctx(ctx)
    outcome = _guard(c, lambda: api.baseline(c.settings(), version, check_objects=not no_check))
    _print_adopted(c, outcome)


class ImportTool(StrEnum):
    yoyo = "yoyo"
    dbmate = "dbmate"
    flyway = "flyway"


@app.command("import")
def import_(
    ctx: typer.Context,
    tool: Annotated[ImportTool, typer.Argument(help="whose history: yoyo (_yoyo_migration), dbmate "
                                               "(schema_migrations) or flyway (flyway_schema_history)")],
    table: Annotated[str | None, typer.Option("--table", help="the tool's history table, if not the default")]
    = None,
    no_check: Annotated[bool, typer.Option("--no-check", help="do not check that the migrations' objects "
                                           "exist")] = False,
) -> None:
    """Adopt a database another tool migrated: record its applied versions as applied here."""
    c = _ctx(ctx)
    outcome = _guard(c, lambda: api.import_history(c.settings(), tool.value, table, check_objects=not no_check))
    _print_adopted(c, outcome)


def _print_adopted(c: Context, outcome: api.AdoptOutcome) -> None:
    _notes(c, outcome.target)
    if c.json:
        c.out.print_json(report.dumps(outcome))
    else:
        c.out.print(report.adopt_renderable(outcome))


@app.command("history")
def history_(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", help="how many entries, newest first")] = 20,
) -> None:
    """Who applied, rolled back, repaired or adopted what, when, for how long, with rows and status."""
    c = _ctx(ctx)
    entries = _guard(c, lambda: api.history_log(c.settings(), limit))
    if c.json:
        c.out.print_json(report.dumps({"entries": entries}))
    else:
        c.out.print(report.history_renderable(entries))


@app.command()
def repair(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="version (or file name) of the partial migration")],
    forget: Annotated[bool, typer.Option("--forget", help="remove its record instead (it was undone by hand)")] = False,
    retry: Annotated[bool, typer.Option("--retry", help="release a migration held after its rollback: the next "
                                        "`up` applies it again")] = False,
) -> None:
    """Resolve a non-transactional migration that stopped part-way, after a human finished or undid it."""
    c = _ctx(ctx)
    if forget and retry:
        raise typer.BadParameter("--forget and --retry exclude each other", param_hint="--retry")
    outcome = _guard(c, lambda: api.repair(c.settings(), version, forget=forget, retry=retry))
    if c.json:
        c.out.print_json(report.dumps(outcome))
    else:
        c.out.print(report.repair_renderable(outcome))


@app.command()
def new(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="lowercase snake_case description, e.g. add_users_email")],
    non_transactional: Annotated[bool, typer.Option("--non-transactional",
                                 help="for CREATE INDEX CONCURRENTLY and friends")] = False,
) -> None:
    """Create sql/up and sql/down files stamped with the current UTC time and the header template."""
    c = _ctx(ctx)
    up_path, down_path = _guard(c, lambda: api.new_migration(c.settings(), slug, not non_transactional))
    if c.json:
        c.out.print_json(report.dumps({"up": up_path, "down": down_path}))
    else:
        c.out.print(f"created {up_path}\ncreated {down_path}")


@app.command()
def render(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="a file under policies/ or views/ (.sql or .sql.j2)")],
) -> None:
    """Print the SQL a repeatable will run (templates rendered with jinja2)."""
    c = _ctx(ctx)
    text = _guard(c, lambda: api.render(c.settings(), path))
    sys.stdout.write(text)


@app.command()
def seed(
    ctx: typer.Context,
    force: Annotated[bool, typer.Option("--force", help="seed a database not marked as development")] = False,
) -> None:
    """Load the deterministic development data in seeds/ (idempotent; development databases only)."""
    c = _ctx(ctx)
    outcome = _guard(c, lambda: api.seed(c.settings(), force=force))
    _notes(c, outcome.target)
    if c.json:
        c.out.print_json(report.dumps({"files": outcome.files, "statements": outcome.statements,
                                       "rows": outcome.rows}))
    else:
        c.out.print(f"seeded {len(outcome.files)} file(s): {outcome.statements} statements, {outcome.rows} rows")


class LintFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"


@app.command()
def lint(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="files or folders; default: sql/, policies/, "
                                                            "views/, seeds/")] = None,
    since: Annotated[str | None, typer.Option("--since", help="only files changed since this git revision; "
                                              "an edited applied migration is an error")] = None,
    fmt: Annotated[LintFormat, typer.Option("--format", help="text, json or github (workflow annotations)")]
    = LintFormat.text,
    show_silenced: Annotated[bool, typer.Option("--show-silenced", help="also list findings silenced by "
                                                "`-- noqa: CODE reason`")] = False,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="write every current finding to the "
                                                  "baseline file ([tool.dbrun.lint] baseline); later runs "
                                                  "report only new ones")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="lint every file again instead of reusing "
                                           ".dbrun/lint-cache.json")] = False,
) -> None:
    """Lint the SQL: sqlfluff naming/type rules, Squawk's locking rules, dbrun's repository rules; exits 1 on errors."""
    # Imported here: sqlfluff is slow to import and only this command needs it.
    from dbrun.lint import render as render_lint
    from dbrun.lint import run_lint

    c = _ctx(ctx)
    result = _guard(c, lambda: run_lint(c.settings(), paths or None, since, show_silenced,
                                        use_cache=not no_cache, update_baseline=update_baseline))
    sys.stdout.write(render_lint(result, "json" if c.json else fmt.value))
    raise typer.Exit(result.exit_code)


@app.command()
def docs(
    ctx: typer.Context,
    check: Annotated[bool, typer.Option("--check", help="write nothing; exit 1 and print the diff when the "
                                        "committed reference or snapshot differ")] = False,
) -> None:
    """Generate docs/reference/ (entity dictionary, ERDs, change log) and schema/schema.sql.

    Without --database-url the repository is applied to a throwaway database on the embedded cluster;
    with it, that database is read as it is.
    """
    c = _ctx(ctx)
    outcome = _guard(c, lambda: api.reference(c.settings(), check=check))
    _notes(c, outcome)
    if c.json:
        c.out.print_json(report.dumps(report.reference_dict(outcome)))
    else:
        c.out.print(report.reference_renderable(outcome))
    if check and outcome.differences:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
def diff(
    ctx: typer.Context,
    snapshot: Annotated[Path | None, typer.Option("--snapshot", help="snapshot to compare with",
                                                  show_default="schema/schema.sql")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="print one JSON document (as the global --json)")]
    = False,
) -> None:
    """Compare a live database's schema with the committed snapshot (read-only); exit 1 on drift."""
    c = _ctx(ctx)
    outcome = _guard(c, lambda: api.diff(c.settings(), snapshot))
    _notes(c, outcome.target)
    _notes(c, outcome)
    if c.json or json_output:
        c.out.print_json(report.dumps(report.drift_dict(outcome)))
    else:
        c.out.print(report.drift_renderable(outcome))
    if outcome.drift.drifted:
        raise typer.Exit(EXIT_PROBLEMS)


def _local_cluster(c: Context) -> "LocalCluster":
    from dbrun.local import LocalCluster  # only the `local` commands pay for importing it

    return LocalCluster(_guard(c, c.settings).cluster_dir)


@local_app.command("start")
def local_start(ctx: typer.Context) -> None:
    """Create (first time) and start the local cluster."""
    c = _ctx(ctx)
    cluster = _local_cluster(c)
    _guard(c, cluster.start)
    for note in cluster.notes:
        c.err.print(f"note: {note}", style="dim")
    _print_cluster(c, cluster)


@local_app.command("stop")
def local_stop(ctx: typer.Context) -> None:
    """Stop the local cluster (its data is kept)."""
    c = _ctx(ctx)
    cluster = _local_cluster(c)
    stopped = _guard(c, cluster.stop)
    c.out.print("stopped the local cluster" if stopped else "the local cluster was not running")


@local_app.command("status")
def local_status(ctx: typer.Context) -> None:
    """Where the local cluster lives and whether it runs."""
    c = _ctx(ctx)
    _print_cluster(c, _local_cluster(c))


@local_app.command("url")
def local_url(ctx: typer.Context) -> None:
    """Print the local cluster's connection URL (starting it if needed)."""
    c = _ctx(ctx)
    cluster = _local_cluster(c)
    url = _guard(c, cluster.url)
    sys.stdout.write(url + "\n")


def _print_cluster(c: Context, cluster: "LocalCluster") -> None:
    status_ = _guard(c, cluster.status)
    if c.json:
        c.out.print_json(report.dumps(status_))
    else:
        c.out.print(report.cluster_renderable(status_))


def main() -> None:
    app()
