"""Rich renderables for people and plain dicts (for JSON) for machines. Nothing here prints."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from dbrun.api import (
    AdoptOutcome,
    DriftOutcome,
    HistoryEntry,
    ReferenceOutcome,
    RepairOutcome,
    RunOutcome,
    StatusReport,
)
from dbrun.catalog import Engine
from dbrun.checks import CheckResult
from dbrun.errors import DbrunError, MigrationFailed, Problem, ProblemsFound, StatementError
from dbrun.history import MigrationState
from dbrun.plan import MigrationStatus, Plan

if TYPE_CHECKING:  # applying and the local cluster pay for importing these, not status
    from dbrun.execute import Event
    from dbrun.local import ClusterStatus


def to_jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    return value


def _jsonable_dict(value: dict[str, Any]) -> dict[str, Any]:
    converted = to_jsonable(value)
    assert isinstance(converted, dict)
    return converted


def dumps(value: Any) -> str:
    return json.dumps(to_jsonable(value), indent=2, default=str)


def event_line(event: Event) -> str:
    return json.dumps(to_jsonable(event.as_dict()), default=str)


# -- errors ---------------------------------------------------------------------------------

def problem_dict(problem: Problem) -> dict[str, Any]:
    return _jsonable_dict({"code": problem.code, "message": problem.message, "path": problem.path,
                        "line": problem.line, "hint": problem.hint})


def error_dict(error: DbrunError) -> dict[str, Any]:
    data: dict[str, Any] = {"error": error.message, "exit_code": error.exit_code, "hint": error.hint}
    if isinstance(error, ProblemsFound):
        data["problems"] = [problem_dict(p) for p in error.problems]
    if isinstance(error, MigrationFailed):
        data["statement_error"] = to_jsonable(error.error)
        data["partially_applied"] = error.partially_applied
    return data


def statement_error_lines(error: StatementError, *, markdown: bool = False) -> list[str]:
    """Where and why PostgreSQL refused a statement: the one rendering used by every report."""
    if markdown:
        head = f"`{error.path}:{error.line}` SQLSTATE `{error.sqlstate or '-'}`: {error.message}"
    else:
        head = f"{error.path}:{error.line}: SQLSTATE {error.sqlstate or '-'}: {error.message}"
    details = [("statement", f"`{error.excerpt}`" if markdown else error.excerpt), ("detail", error.detail),
               ("context", error.context), ("server hint", error.hint)]
    prefix = "- " if markdown else "  "
    return [head, *(f"{prefix}{label}: {value}" for label, value in details if value)]


def problems_table(problems: list[Problem]) -> Table:
    table = Table(show_header=True, header_style="bold", expand=False)
    for column in ("where", "code", "problem", "fix"):
        table.add_column(column, overflow="fold")
    for problem in problems:
        table.add_row(problem.location() or "-", problem.code, problem.message, problem.hint or "")
    return table


def error_renderable(error: DbrunError) -> RenderableType:
    parts: list[RenderableType] = [Text(f"error: {error.message}", style="bold red")]
    if isinstance(error, ProblemsFound) and error.problems:
        parts.append(problems_table(error.problems))
    if isinstance(error, MigrationFailed):
        parts.append(Text("\n".join(statement_error_lines(error.error))))
        parts.append(Text("earlier statements of this non-transactional file were committed" if error.partially_applied
                          else "nothing of this migration was committed", style="yellow"))
    if error.hint and not (isinstance(error, MigrationFailed) and error.hint == error.error.hint):
        parts.append(Text(f"hint: {error.hint}", style="cyan"))
    return Group(*parts)


# -- runs -----------------------------------------------------------------------------------

def plan_renderable(plan: Plan) -> RenderableType:
    if plan.empty:
        return Text("nothing to do: the database is up to date" if plan.direction == "up"
                    else "nothing to roll back")
    table = Table(title=f"plan ({plan.direction})", show_header=True, header_style="bold")
    for column in ("version", "name", "kind"):
        table.add_column(column)
    for repeatable in plan.before:
        table.add_row("-", repeatable.key, f"{repeatable.requires_extension} only, before the migrations (changed)")
    for step in plan.steps:
        directives = step.script.directives
        kind = (f"batch of {directives.batch.size} rows" if directives.batch else
                "transactional" if directives.transactional else "non-transactional")
        table.add_row(step.migration.version, step.migration.slug, kind + (" (resume)" if step.resume else ""))
    for repeatable in plan.repeatables:
        table.add_row("-", repeatable.key, "repeatable (changed)")
    for repeatable in plan.after:
        table.add_row("-", repeatable.key, f"{repeatable.requires_extension} only, after the repeatables (changed)")
    return table


def checks_renderable(title: str, results: list[CheckResult]) -> RenderableType:
    failed = [r for r in results if not r.passed]
    skipped = sum(1 for r in results if r.skipped)
    warned = [r for r in results if r.warned]
    if not failed:
        note = f" ({skipped} skipped: what they check does not exist yet)" if skipped else ""
        passed = Text(f"{title}: {len(results) - skipped} passed{note}", style="green")
        return Group(passed, *(_violations(r, "warning") for r in warned)) if warned else passed
    parts: list[RenderableType] = [Text(f"{title}: {len(failed)} of {len(results)} failed", style="bold red")]
    for result in failed:
        if result.error:
            parts.append(Text(f"  {result.path}: could not run (SQLSTATE {result.sqlstate}): {result.error}",
                              style="red"))
            continue
        parts.append(_violations(result, "violation"))
    parts.extend(_violations(r, "warning") for r in warned)
    return Group(*parts)


def _violations(result: CheckResult, kind: str) -> Table:
    table = Table(title=f"{result.path}: {len(result.rows)} {kind}(s)", title_justify="left",
                  title_style="yellow" if kind == "warning" else None)
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows[:50]:
        table.add_row(*("NULL" if v is None else str(v) for v in row))
    return table


def run_renderable(outcome: RunOutcome) -> RenderableType:
    parts: list[RenderableType] = []
    if outcome.pre_checks:
        parts.append(checks_renderable("pre-checks", outcome.pre_checks))
    if outcome.result is None and not outcome.plan.empty and outcome.pre_checks:
        parts.append(Text("nothing was applied: pre-checks failed", style="bold red"))
    if outcome.result is not None:
        result = outcome.result
        count = len(result.migrations)
        verb = "applied" if result.direction == "up" else "rolled back"
        summary = f"{verb} {count} migration{'s' if count != 1 else ''}"
        if result.repeatables:
            summary += f" and {len(result.repeatables)} repeatable{'s' if len(result.repeatables) != 1 else ''}"
        parts.append(Text(summary + f" (run {result.run_id})", style="bold green"))
        if result.deadline_reached:
            parts.append(Text(f"--max-duration reached: {len(result.remaining)} migration(s) remain "
                              f"({', '.join(result.remaining)})" + (", and the repeatables" if
                                                                     outcome.plan.repeatables else "")
                              + "; run `dbrun up` again in the next window (a batch migration resumes where it "
                              "stopped)", style="bold yellow"))
    elif outcome.plan.empty:
        parts.append(plan_renderable(outcome.plan))
    for note in outcome.plan.notes:
        parts.append(Text(f"note: {note}", style="yellow"))
    if outcome.post_checks:
        parts.append(checks_renderable("post-checks", outcome.post_checks))
    return Group(*parts)


def run_dict(outcome: RunOutcome) -> dict[str, Any]:
    return _jsonable_dict({
        "database": (outcome.target.embedded and "embedded") or "url",
        "direction": outcome.plan.direction,
        "run_id": outcome.result.run_id if outcome.result else None,
        "migrations": outcome.result.migrations if outcome.result else [],
        "repeatables": outcome.result.repeatables if outcome.result else [],
        "pre_checks": [check_dict(c) for c in outcome.pre_checks],
        "post_checks": [check_dict(c) for c in outcome.post_checks],
        "notes": outcome.plan.notes,
        "deadline_reached": outcome.result.deadline_reached if outcome.result else False,
        "remaining": outcome.result.remaining if outcome.result else [],
        "ok": not outcome.checks_failed,
    })


def check_dict(result: CheckResult) -> dict[str, Any]:
    return _jsonable_dict({"name": result.name, "path": result.path, "passed": result.passed, "error": result.error,
                        "sqlstate": result.sqlstate, "skipped": result.skipped, "warning": result.warned,
                        "violations": [dict(zip(result.columns, row, strict=False)) for row in result.rows]})


# -- status and health ------------------------------------------------------------------------

_STATE_STYLE = {"applied": "green", "pending": "yellow", "partial": "bold red", "changed": "bold red",
                "missing": "bold red", "failed": "bold red", "held": "bold red"}


# Applied migrations older than the newest this many are folded into one row unless asked for.
STATUS_RECENT_APPLIED = 20


def _visible_migrations(report: StatusReport, show_all: bool) -> tuple[list[MigrationStatus], int]:
    if show_all:
        return report.migrations, 0
    applied = [m for m in report.migrations if m.state is MigrationState.APPLIED]
    hidden = {id(m) for m in applied[:-STATUS_RECENT_APPLIED]}
    return [m for m in report.migrations if id(m) not in hidden], len(hidden)


def status_renderable(report: StatusReport, show_all: bool = False) -> RenderableType:
    table = Table(show_header=True, header_style="bold")
    for column in ("version", "name", "state", "applied at", "ms"):
        table.add_column(column)
    visible, folded = _visible_migrations(report, show_all)
    if folded:
        table.add_row("…", f"{folded} older applied migrations", Text("applied", style="green"), "",
                      "", end_section=False)
    for m in visible:
        table.add_row(m.version, m.name.split("_", 1)[1] if "_" in m.name else m.name,
                      Text(m.state, style=_STATE_STYLE.get(m.state, "")),
                      m.applied_at.strftime("%Y-%m-%d %H:%M:%S %Z") if m.applied_at else "",
                      str(m.duration_ms) if m.duration_ms is not None else "")
    for path, state in sorted(report.repeatables.items()):
        table.add_row("-", path, Text(state, style=_STATE_STYLE.get(state, "")), "", "")
    parts: list[RenderableType] = [table, Text(_summary(report) + ("; `dbrun status --all` lists every migration"
                                                                   if folded else ""))]
    if report.engine is not None:
        parts.append(Text(f"engine: {engine_line(report.engine)}"))
        parts.extend(Text(f"warning: {w}", style="yellow") for w in report.engine.warnings())
    parts.extend(Text(f"{m.name} {m.state}: {m.error}" + (f" — `dbrun repair {m.version} --retry` releases it"
                                                          if m.state == MigrationState.HELD else ""), style="red")
                 for m in report.migrations if m.error)
    if report.problems:
        parts.append(problems_table(report.problems))
    if report.warnings:
        parts.append(warnings_renderable(report.warnings))
    if report.lock_holder:
        parts.append(Text(f"a run is in progress: {report.lock_holder}", style="yellow"))
    if report.last_failure:
        f = report.last_failure
        parts.append(Text(f"last failure: {f['name']} ({f['direction']}) SQLSTATE {f['sqlstate']}: {f['error']}",
                          style="red"))
    return Group(*parts)


def _summary(report: StatusReport) -> str:
    counts = ", ".join(f"{report.count(s)} {s}" for s in MigrationState
                       if report.count(s))
    return f"schema version {report.schema_version or 'none'}; {counts or 'no migrations'}; state {report.health}"


def status_dict(report: StatusReport) -> dict[str, Any]:
    return _jsonable_dict({
        "schema_version": report.schema_version,
        "state": report.health,
        "counts": {s: report.count(s) for s in MigrationState},
        "migrations": report.migrations,
        "repeatables": report.repeatables,
        "problems": [problem_dict(p) for p in report.problems],
        "warnings": [problem_dict(p) for p in report.warnings],
        "last_failure": report.last_failure,
        "last_migration_at": report.last_migration_at,
        "lock_holder": report.lock_holder,
        "engine": engine_dict(report.engine),
    })


def health_dict(report: StatusReport) -> dict[str, Any]:
    return _jsonable_dict({
        "state": report.health,
        "schema_version": report.schema_version,
        "last_migration_at": report.last_migration_at,
        "pending": report.count(MigrationState.PENDING),
        "failed": report.failed,
        "failures": [{"version": m.version, "name": m.name, "state": m.state, "error": m.error}
                     for m in report.migrations if m.error],
        "changed": report.count(MigrationState.CHANGED),
        "missing": report.count(MigrationState.MISSING),
        "repeatables_pending": sum(1 for v in report.repeatables.values() if v is not MigrationState.APPLIED),
        "warnings": [problem_dict(p) for p in report.warnings],
        "security_warnings": report.security_warnings,
        "engine": engine_dict(report.engine),
        "engine_warnings": report.engine.warnings() if report.engine else [],
    })


def health_renderable(report: StatusReport) -> RenderableType:
    data = health_dict(report)
    style = "green" if report.health == "ok" else "red"
    line = Text.assemble((f"{data['state']}", f"bold {style}"),
                         f"  schema version {data['schema_version'] or 'none'}, last migration "
                         f"{data['last_migration_at'] or 'never'}, {data['pending']} pending, {data['failed']} failed")
    engine_warnings = report.engine.warnings() if report.engine else []
    parts: list[RenderableType] = [line]
    if report.engine is not None:
        parts.append(Text(f"engine: {engine_line(report.engine)}"))
    parts.extend(Text(f"warning: {w}", style="yellow") for w in [*engine_warnings, *report.security_warnings])
    return Group(*parts)


def engine_line(engine: Engine) -> str:
    """The engine, with the table counts a Citus operator checks first."""
    c = engine.citus
    if c is None or c.metadata_error:
        return engine.describe()
    return (f"{engine.describe()} ({c.distributed_tables} distributed table{'s' if c.distributed_tables != 1 else ''},"
            f" {c.reference_tables} reference table{'s' if c.reference_tables != 1 else ''})")


def engine_dict(engine: Engine | None) -> dict[str, Any] | None:
    """The engine for --json: `citus` is null on plain PostgreSQL."""
    if engine is None:
        return None
    data: dict[str, Any] = {"description": engine.describe(), "postgres": engine.postgres, "citus": None}
    c = engine.citus
    if c is not None:
        data["citus"] = {"version": c.version, "node": "coordinator" if c.coordinator else "worker",
                         "active_workers": [n.address for n in c.active_workers],
                         "inactive_workers": [n.address for n in c.workers if not n.active],
                         "distributed_tables": c.distributed_tables, "reference_tables": c.reference_tables,
                         "metadata_error": c.metadata_error}
    return data


def warnings_renderable(warnings: list[Problem]) -> RenderableType:
    return Group(Text(f"warning: {len(warnings)} problem(s) in the working tree; they block `dbrun up` only",
                      style="yellow"), problems_table(warnings))


def repair_renderable(outcome: RepairOutcome) -> Text:
    what = {"marked": "marked as applied", "forgotten": "record removed (it is pending again)",
            "released": "released: the next `dbrun up` applies it again"}.get(outcome.action, outcome.action)
    return Text(f"{outcome.name}: {what}", style="green")


def cluster_renderable(status: ClusterStatus) -> RenderableType:
    if not status.initialized:
        return Text("no local cluster yet: `dbrun local start` (or any command without --database-url) creates it")
    table = Table(show_header=False, box=None)
    table.add_row("state", Text("running" if status.running else "stopped",
                                style="green" if status.running else "yellow"))
    table.add_row("data directory", str(status.data_dir))
    table.add_row("socket directory", str(status.socket_dir))
    table.add_row("runs as OS user", status.os_user or "")
    table.add_row("server binaries", str(status.bindir))
    table.add_row("log", str(status.log_file))
    table.add_row("url", status.url or "(start it first)")
    table.add_row("stop with", "dbrun local stop")
    return table


# -- docs and diff ---------------------------------------------------------------------------

def reference_dict(outcome: ReferenceOutcome) -> dict[str, Any]:
    return _jsonable_dict({
        "source": outcome.source, "checked": outcome.checked, "up_to_date": not outcome.differences,
        "files": sorted(outcome.files),
        "differences": [{"path": d.path, "status": d.status, "diff": d.diff} for d in outcome.differences]})


def reference_renderable(outcome: ReferenceOutcome) -> RenderableType:
    count = len(outcome.files)
    if not outcome.differences:
        return Text(f"the reference and the snapshot are up to date ({count} files, from {outcome.source})",
                    style="green")
    done = {} if outcome.checked else {"missing": "created", "changed": "updated", "stale": "removed"}
    listing = "\n".join(f"  {done.get(d.status, d.status):<8} {d.path.as_posix()}" for d in outcome.differences)
    if not outcome.checked:
        return Text(f"updated {len(outcome.differences)} of {count} files (from {outcome.source}):\n{listing}")
    diffs = "".join(d.diff for d in outcome.differences)
    return Group(
        Text(f"{len(outcome.differences)} generated file(s) differ from what the repository produces "
             f"(from {outcome.source}):\n{listing}", style="red"),
        Text(diffs),
        Text("regenerate them with `dbrun docs` and commit the result", style="yellow"))


def drift_dict(outcome: DriftOutcome) -> dict[str, Any]:
    drift = outcome.drift
    return _jsonable_dict({
        "snapshot": outcome.snapshot, "drift": drift.drifted, "notes": list(outcome.notes),
        "added": [{"kind": key.kind, "name": key.name, "sql": text} for key, text in drift.added],
        "missing": [{"kind": key.kind, "name": key.name, "sql": text} for key, text in drift.missing],
        "changed": [{"kind": c.key.kind, "name": c.key.name, "diff": list(c.diff)} for c in drift.changed]})


def drift_renderable(outcome: DriftOutcome) -> RenderableType:
    drift = outcome.drift
    if not drift.drifted:
        return Text(f"no drift: the database matches {outcome.snapshot}", style="green")
    table = Table(title=f"drift from {outcome.snapshot}", show_lines=True)
    for column in ("state", "kind", "object", "detail"):
        table.add_column(column, overflow="fold")
    for key, text in drift.added:
        table.add_row(Text("added", style="red"), key.kind, key.name, "not in the snapshot: created outside the "
                      "repository, or the snapshot is older than this database\n" + text.splitlines()[0])
    for key, _text in drift.missing:
        table.add_row(Text("missing", style="red"), key.kind, key.name, "in the snapshot, not in the database")
    for change in drift.changed:
        table.add_row(Text("changed", style="yellow"), change.key.kind, change.key.name,
                      "\n".join(line for line in change.diff if line[:1] in "+-" and line[:3] not in ("---", "+++")))
    summary = (f"{len(drift.added)} added, {len(drift.missing)} missing, {len(drift.changed)} changed "
               "(exit 1)")
    return Group(table, Text(summary, style="red"))


# -- batch files, adoption, history -------------------------------------------------------------

def batch_summary(event: Event) -> str:
    """Rows, batches and rows per second of a batch migration in progress."""
    rate = f", {event.rows_per_s:,.0f} rows/s" if event.rows_per_s is not None else ""
    return f"{event.rows or 0:,} rows in {event.batches or 0:,} batches{rate}"


def adopt_renderable(outcome: AdoptOutcome) -> RenderableType:
    source = f" from {outcome.source}" if outcome.source else ""
    checked = "their objects were checked" if outcome.checked_objects else "objects not checked (--no-check)"
    last = outcome.marked[-1] if outcome.marked else "none"
    parts: list[RenderableType] = [Text(
        f"{outcome.operation}{source}: {len(outcome.marked)} migration(s) recorded as applied, up to {last}; "
        f"{checked}", style="bold green")]
    parts.extend(Text(f"note: {note}", style="yellow") for note in outcome.notes)
    parts.append(Text("`dbrun up` applies what comes after them, and the policies/views", style="dim"))
    return Group(*parts)


_STATUS_STYLE = {"ok": "green", "failed": "bold red", "marked": "cyan", "forgotten": "yellow"}


def history_renderable(entries: list[HistoryEntry]) -> RenderableType:
    if not entries:
        return Text("no history: dbrun has not migrated this database")
    table = Table(show_header=True, header_style="bold")
    for column in ("when", "operation", "migration", "status", "ms", "rows", "who", "error"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        who = entry.db_user + (f" ({entry.os_user}@{entry.hostname})" if entry.os_user else "")
        error = f"{entry.sqlstate}: {entry.error}" if entry.error else ""
        table.add_row(entry.started_at.strftime("%Y-%m-%d %H:%M:%S %Z"), entry.operation,
                      entry.name or entry.version or "", Text(entry.status, style=_STATUS_STYLE.get(entry.status, "")),
                      "" if entry.duration_ms is None else str(entry.duration_ms),
                      "" if entry.rows is None else str(entry.rows), who, error)
    return table
