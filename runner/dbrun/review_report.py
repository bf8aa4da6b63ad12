"""The dry-run report in three forms: rich renderables (people), a dict (JSON), markdown (PR comments).

Nothing here prints or touches a database: each function turns a `review_model.DryRun` into output.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from dbrun.catalog import ChangeAction, ObjectChange
from dbrun.checks import CheckResult
from dbrun.locks import lock_blocks, strength
from dbrun.report import check_dict, checks_renderable, statement_error_lines, to_jsonable
from dbrun.review_model import DryRun, LockSource, LockUse, MigrationReport, Risk, StatementReport

_LEVEL_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
_LEVEL_ICON = {"high": "🔴", "medium": "🟠", "low": "⚪"}
_SOURCE_SUFFIX = {LockSource.OBSERVED: "", LockSource.ESTIMATED: " (estimated)", LockSource.HELD: " (already held)"}


# -- shared wording ---------------------------------------------------------------------------

def headline(review: DryRun) -> str:
    count = sum(1 for m in review.migrations if m.kind == "versioned")
    repeatables = sum(1 for m in review.migrations if m.kind == "repeatable")
    what = f"{count} migration{'s' if count != 1 else ''}" + (
        f", {repeatables} repeatable{'s' if repeatables != 1 else ''}" if repeatables else "")
    if review.offline:
        return f"dry-run {review.direction} (offline, estimated): {what}"
    if review.sequences_advanced:
        # Sequences are not transactional: never claim nothing changed when one moved.
        moved = len(review.sequences_advanced)
        return (f"dry-run {review.direction}: {what}, {review.total_ms:.0f} ms, rolled back — nothing was written "
                f"except {moved} sequence advance{'s' if moved != 1 else ''} (see the notes)")
    return f"dry-run {review.direction}: {what}, {review.total_ms:.0f} ms, rolled back — nothing was written"


def outcome(review: DryRun) -> str:
    if review.failure is not None:
        f = review.failure
        return f"would FAIL: {review.failed_migration} at {f.path}:{f.line} (SQLSTATE {f.sqlstate})"
    if review.checks_failed:
        return "would apply, but checks fail"
    stopped = next((m for m in review.migrations if m.name == review.stopped_at), None)
    if stopped is not None and stopped.status == "not simulated":
        return f"simulated up to {review.stopped_at}, which one transaction cannot simulate (see the notes)"
    if review.stopped_at:
        return f"simulated up to {review.stopped_at} (non-transactional, not executed)"
    if not review.migrations:
        return "nothing to do" if review.direction == "up" else "nothing to roll back"
    return "would succeed" if not review.offline else "plan estimated from files"


def lock_cell(locks: list[LockUse]) -> str:
    """'public.orders SHARE ROW EXCLUSIVE (writes only)', strongest first, one relation per line."""
    ordered = sorted(locks, key=lambda u: (u.relation, -strength(u.mode)))
    return "\n".join(f"{u.relation} {u.mode_sql} (blocks {u.blocks}){_SOURCE_SUFFIX[u.source]}"
                     for u in ordered)


def rewrite_cell(statement: StatementReport) -> str:
    if statement.rewritten:
        return "REWRITE " + ", ".join(statement.rewritten)
    if statement.rewrite_estimate and not statement.executed:
        return "may rewrite"
    return ""


def citus_cell(statement: StatementReport) -> str:
    """'rejected (observed): SQLSTATE 0A000 …', or 'propagated: runs on every shard of …'."""
    note = statement.citus
    if note is None:
        return ""
    head = note.propagation.value + (" (observed)" if note.source == "observed" else "")
    lines = [f"{head}: {note.reason}"]
    if note.sqlstate:
        lines.append(f"SQLSTATE {note.sqlstate}: {note.message}")
    if note.distributed:
        lines.append("now distributed: " + ", ".join(note.distributed))
    lines += [f"warning: {w}" for w in note.warnings]
    return "\n".join(lines)


def citus_summary(review: DryRun) -> str:
    """'Citus 13.2.2 coordinator, 2 workers: 40 propagated, 12 coordinator only, 1 rejected'."""
    assert review.engine is not None
    counts = ", ".join(f"{n} {what}" for what, n in review.citus_counts().items())
    return f"{review.engine.describe()}: statements {counts}"


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _rows(value: int | None) -> str:
    return "" if value is None else str(value)


# -- text (rich) ------------------------------------------------------------------------------

def renderable(review: DryRun) -> RenderableType:
    parts: list[RenderableType] = [Text(headline(review), style="bold"),
                                   Text(outcome(review), style="bold red" if review.exit_code else "green")]
    if review.database:
        parts.append(Text(f"database: {review.database}", style="dim"))
    if review.on_citus:
        parts.append(Text(citus_summary(review), style="bold"))
    parts.extend(Text(f"note: {note}", style="yellow") for note in review.notes)
    risks = review.risks()
    if risks:
        parts.append(_risk_table(risks))
    if review.pre_checks:
        parts.append(checks_renderable("pre-checks", review.pre_checks))
    parts.extend(_migration_table(m, review.on_citus) for m in review.migrations)
    if review.failure is not None:
        parts.append(_failure_text(review))
    if review.changes:
        parts.append(_changes_table(review.changes))
    if review.post_checks:
        parts.append(checks_renderable("post-checks", review.post_checks))
    return Group(*parts)


def _risk_table(risks: list[Risk]) -> Table:
    table = Table(title="risk summary", title_justify="left", show_header=False, box=None)
    table.add_column("level")
    table.add_column("risk", overflow="fold")
    for risk in risks:
        table.add_row(Text(risk.level, style=_LEVEL_STYLE[risk.level]), risk.text)
    return table


def _migration_title(m: MigrationReport) -> str:
    kind = "" if m.transactional else ", non-transactional"
    time = f", {m.duration_ms:.1f} ms" if m.status == "executed" else ""
    return f"{m.name} ({m.path}{kind}) — {m.status}{time}"


_CITUS_STYLE = {"propagated": "cyan", "coordinator only": "", "rejected": "bold red"}


def _migration_table(m: MigrationReport, on_citus: bool = False) -> RenderableType:
    table = Table(title=_migration_title(m), title_justify="left", show_header=True, header_style="bold")
    for column in ("line", "statement", "ms", "rows", "locks on existing relations", "rewrite"):
        table.add_column(column, overflow="fold")
    if on_citus:
        table.add_column("Citus", overflow="fold")
    for s in m.statements:
        cells: list[RenderableType] = [str(s.line), s.excerpt, _ms(s.duration_ms), _rows(s.rows), lock_cell(s.locks),
                                       Text(rewrite_cell(s), style="bold red")]
        if on_citus:
            style = _CITUS_STYLE[s.citus.propagation.value] if s.citus else ""
            cells.append(Text(citus_cell(s), style=style))
        table.add_row(*cells)
    parts: list[RenderableType] = [table]
    if m.note:
        parts.append(Text(m.note, style="yellow"))
    if m.query_plan:
        parts.append(Text("plan of one batch:\n" + "\n".join(f"  {line}" for line in m.query_plan), style="dim"))
    return Group(*parts) if len(parts) > 1 else table


def _failure_text(review: DryRun) -> Text:
    f = review.failure
    assert f is not None
    lines = statement_error_lines(f)
    lines += [f"  {wait}" for wait in review.lock_waits]
    lines.append("the transaction was rolled back: the database is unchanged")
    return Text("\n".join(lines), style="red")


def _changes_table(changes: list[ObjectChange]) -> Table:
    table = Table(title="objects (catalog before vs after, inside the transaction)", title_justify="left",
                  show_header=True, header_style="bold")
    for column in ("change", "kind", "object", "details"):
        table.add_column(column, overflow="fold")
    style = {ChangeAction.CREATED: "green", ChangeAction.ALTERED: "yellow", ChangeAction.DROPPED: "red"}
    for c in changes:
        table.add_row(Text(c.action, style=style[c.action]), c.kind, c.name, "\n".join(c.details))
    return table


# -- json -------------------------------------------------------------------------------------

def as_dict(review: DryRun) -> dict[str, Any]:
    data: dict[str, Any] = to_jsonable(review)
    data["outcome"] = outcome(review)
    data["exit_code"] = review.exit_code
    data["risks"] = to_jsonable(review.risks())
    for migration in data["migrations"]:
        for statement in migration["statements"]:
            for lock in statement["locks"]:
                lock["blocks"] = lock_blocks(lock["mode"])
    if review.on_citus:
        data["citus"] = {"engine": review.engine.describe() if review.engine else None,
                         "statements": review.citus_counts()}
    else:
        # On plain PostgreSQL the report is what it always was: no engine, no Citus annotations.
        del data["engine"]
        for migration in data["migrations"]:
            for statement in migration["statements"]:
                del statement["citus"]
    data["pre_checks"] = [check_dict(c) for c in review.pre_checks]
    data["post_checks"] = [check_dict(c) for c in review.post_checks]
    return data


# -- markdown ---------------------------------------------------------------------------------

def markdown(review: DryRun) -> str:
    """A PR comment: outcome and risks first, then the plan, objects, checks and per-migration detail."""
    lines = [f"## {headline(review)}", "", f"**{outcome(review)}**", ""]
    if review.database:
        lines += [f"Database: `{review.database}`", ""]
    if review.on_citus:
        lines += [f"**{citus_summary(review)}**", ""]
    lines += [f"> note: {note}" for note in review.notes]
    lines += [""] if review.notes else []
    lines += _md_risks(review.risks())
    lines += _md_plan(review)
    if review.failure is not None:
        lines += _md_failure(review)
    lines += _md_changes(review.changes)
    lines += _md_checks("Pre-checks", review.pre_checks) + _md_checks("Post-checks", review.post_checks)
    for m in review.migrations:
        lines += _md_migration(m, review.on_citus)
    return "\n".join(lines).rstrip() + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def _md_risks(risks: list[Risk]) -> list[str]:
    if not risks:
        return ["### Risk summary", "", "No blocking locks on existing relations, no rewrites.", ""]
    lines = ["### Risk summary", "", "| | risk |", "|---|---|"]
    lines += [f"| {_LEVEL_ICON[r.level]} {r.level} | {_cell(r.text)} |" for r in risks]
    return [*lines, ""]


def _md_plan(review: DryRun) -> list[str]:
    if not review.migrations:
        return []
    lines = ["### Plan", "", "| # | migration | kind | status | statements | ms | rows |",
             "|---|---|---|---|---|---|---|"]
    for number, m in enumerate(review.migrations, start=1):
        kind = m.kind if m.transactional else "non-transactional"
        ms = f"{m.duration_ms:.1f}" if m.status in ("executed", "failed") else ""
        lines.append(f"| {number} | `{m.name}` | {kind} | {m.status} | {len(m.statements)} | {ms} "
                     f"| {m.rows} |")
    return [*lines, ""]


def _md_failure(review: DryRun) -> list[str]:
    f = review.failure
    assert f is not None
    head, *details = statement_error_lines(f, markdown=True)
    lines = ["### Failure", "", head, "", *details]
    lines += [f"- {wait}" for wait in review.lock_waits]
    return [*lines, "- the transaction was rolled back: the database is unchanged", ""]


def _md_changes(changes: list[ObjectChange]) -> list[str]:
    if not changes:
        return []
    lines = ["### Objects", "", "| change | kind | object | details |", "|---|---|---|---|"]
    lines += [f"| {c.action} | {c.kind} | `{_cell(c.name)}` | {_cell('; '.join(c.details))} |"
              for c in changes]
    return [*lines, ""]


def _md_checks(title: str, results: list[CheckResult]) -> list[str]:
    if not results:
        return []
    failed = [r for r in results if not r.passed]
    lines = [f"### {title}: {len(results) - len(failed)} of {len(results)} passed", ""]
    for r in failed:
        what = (f"could not run (SQLSTATE {r.sqlstate}): {r.error}" if r.error
                else f"{len(r.rows)} violation(s)")
        lines.append(f"- `{r.path}`: {what}")
    return [*lines, ""] if failed else lines


def _md_migration(m: MigrationReport, on_citus: bool = False) -> list[str]:
    lines = [f"#### {_migration_title(m)}", ""]
    lines += [f"> {m.note}", ""] if m.note else []
    lines += ["Plan of one batch:", "", "```", *m.query_plan, "```", ""] if m.query_plan else []
    if m.statements:
        citus_head, citus_rule = (" Citus |", "---|") if on_citus else ("", "")
        lines += [f"| line | statement | ms | rows | locks on existing relations | rewrite |{citus_head}",
                  f"|---|---|---|---|---|---|{citus_rule}"]
        lines += [f"| {s.line} | `{_cell(s.excerpt)}` | {_ms(s.duration_ms)} | {_rows(s.rows)} | "
                  f"{_cell(lock_cell(s.locks))} | {rewrite_cell(s)} |"
                  + (f" {_cell(citus_cell(s))} |" if on_citus else "") for s in m.statements]
        lines.append("")
    sql = "\n\n".join(s.sql for s in m.statements)
    fence = "````" if "```" in sql else "```"
    return [*lines, "<details><summary>SQL</summary>", "", f"{fence}sql", sql, fence, "", "</details>", ""]
