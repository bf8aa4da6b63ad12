"""The lint baseline: findings a team accepted when it adopted dbrun, committed so only new ones fail.

`dbrun lint --update-baseline` writes every current finding to the baseline file ([tool.dbrun.lint]
baseline, default lint-baseline.json). A finding is matched by file, code and the text of its line
(stripped), not by its line number, so lines moving in an edited repeatable keep their match; each
entry matches one finding, so a second copy of an accepted problem is new.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbrun.errors import ConfigError
from dbrun.lint.findings import Finding

FORMAT = 1
Fingerprint = tuple[str, str, str]  # path, code, stripped text of the finding's line
LineText = Callable[[Path, int], str]


@dataclass(frozen=True)
class BaselineSplit:
    new: list[Finding]  # not in the baseline: reported
    baselined: int  # matched an entry: not reported
    stale: int  # entries no finding matched any more: the baseline can shrink


def fingerprint(finding: Finding, line_text: LineText) -> Fingerprint:
    return (finding.path.as_posix(), finding.code, line_text(finding.path, finding.line).strip())


def load(path: Path) -> Counter[Fingerprint]:
    """The accepted findings (none when the file does not exist)."""
    if not path.is_file():
        return Counter()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = document["findings"]
        return Counter((str(e["path"]), str(e["code"]), str(e["context"])) for e in entries)
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a dbrun lint baseline ({exc})",
                          hint="regenerate it with `dbrun lint --update-baseline`") from exc


def split(findings: Iterable[Finding], accepted: Counter[Fingerprint], line_text: LineText) -> BaselineSplit:
    remaining = Counter(accepted)
    new: list[Finding] = []
    for finding in findings:
        key = fingerprint(finding, line_text)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            new.append(finding)
    matched = sum(accepted.values()) - sum(remaining.values())
    return BaselineSplit(new=new, baselined=matched, stale=sum(remaining.values()))


def write(path: Path, findings: Iterable[Finding], line_text: LineText) -> int:
    """Write the baseline (sorted, one entry per finding, readable in review); returns the count."""
    entries: list[dict[str, Any]] = []
    for finding in sorted(findings, key=Finding.sort_key):
        path_text, code, context = fingerprint(finding, line_text)
        # `line` and `message` are for the reader; matching uses path, code and context only.
        entries.append({"path": path_text, "code": code, "context": context, "line": finding.line,
                        "message": finding.message})
    document = {"format": FORMAT, "generated_by": "dbrun lint --update-baseline", "findings": entries}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write the baseline {path}: {exc}",
                          hint="check the folder's permissions or [tool.dbrun.lint] baseline") from exc
    return len(entries)
