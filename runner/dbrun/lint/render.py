"""The report as text, JSON or GitHub workflow annotations (strings; cli.py prints them)."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from dbrun.lint.findings import Finding, LintReport, Silenced


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def render(report: LintReport, output_format: OutputFormat | str) -> str:
    chosen = OutputFormat(output_format)
    if chosen is OutputFormat.JSON:
        return render_json(report)
    if chosen is OutputFormat.GITHUB:
        return render_github(report)
    return render_text(report)


def text_line(finding: Finding) -> str:
    line = (f"{finding.path.as_posix()}:{finding.line}:{finding.col}  {finding.code}  "
            f"{finding.severity.value}  {finding.message}")
    return f"{line}  (fix: {finding.fix})" if finding.fix else line


def render_text(report: LintReport) -> str:
    lines = [text_line(f) for f in report.findings]
    if report.show_silenced and report.silenced:
        lines.append("")
        lines.append(f"silenced ({len(report.silenced)}):")
        lines.extend(f"{text_line(s.finding)}  [noqa: {s.reason}]" for s in report.silenced)
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _summary(report: LintReport) -> str:
    files = len(report.files)
    summary = (f"{len(report.errors)} error(s), {len(report.warnings)} warning(s), {len(report.silenced)} "
               f"silenced in {files} file{'s' if files != 1 else ''}")
    if report.baseline_written is not None:
        return f"{summary}; wrote {report.baselined} finding(s) to the baseline {report.baseline_written.as_posix()}"
    if report.baselined:
        summary += f"; {report.baselined} accepted by the baseline"
    if report.stale_baseline:
        summary += (f"; {report.stale_baseline} baseline entr{'y' if report.stale_baseline == 1 else 'ies'} "
                    "no longer found (run `dbrun lint --update-baseline` to drop them)")
    return summary


def _finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "path": finding.path.as_posix(),
        "line": finding.line,
        "col": finding.col,
        "code": finding.code,
        "severity": finding.severity.value,
        "message": finding.message,
        "fix": finding.fix,
        "source": finding.source,
    }


def _silenced_dict(silenced: Silenced) -> dict[str, Any]:
    return _finding_dict(silenced.finding) | {"reason": silenced.reason}


def render_json(report: LintReport) -> str:
    document: dict[str, Any] = {
        "findings": [_finding_dict(f) for f in report.findings],
        "summary": {"errors": len(report.errors), "warnings": len(report.warnings),
                    "silenced": len(report.silenced), "files": len(report.files),
                    "baselined": report.baselined, "stale_baseline": report.stale_baseline},
        "exit_code": report.exit_code,
    }
    if report.show_silenced:
        document["silenced"] = [_silenced_dict(s) for s in report.silenced]
    return json.dumps(document, indent=2) + "\n"


def _escape_data(value: str) -> str:
    # GitHub's workflow command encoding: %, CR and LF in the message.
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(report: LintReport) -> str:
    lines = []
    for finding in report.findings:
        command = "error" if finding.severity.value == "error" else "warning"
        properties = ",".join([
            f"file={_escape_property(finding.path.as_posix())}",
            f"line={finding.line}",
            f"col={finding.col}",
            f"title={_escape_property(finding.code)}",
        ])
        message = finding.message + (f" (fix: {finding.fix})" if finding.fix else "")
        lines.append(f"::{command} {properties}::{_escape_data(message)}")
    if report.show_silenced:
        lines.extend(f"::notice file={_escape_property(s.finding.path.as_posix())},line={s.finding.line},"
                     f"title={_escape_property(s.finding.code)}::{_escape_data('silenced: ' + s.reason)}"
                     for s in report.silenced)
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"
