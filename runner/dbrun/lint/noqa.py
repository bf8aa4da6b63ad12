"""`-- noqa: CODE[,CODE...] reason`: silence findings on one line, for every lint source alike.

The reason is mandatory: a silenced finding is a decision a reviewer must be able to read. A noqa
without codes or without a reason silences nothing and is itself a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dbrun.lint.findings import Finding, Severity, Silenced

# Comment syntax, not SQL: the SQL itself is read by sqlfluff and Squawk.
_NOQA = re.compile(r"(?:^|\s)--\s*noqa\b\s*(?P<colon>:?)\s*(?P<rest>.*)$", re.IGNORECASE)
CODE_MISSING_REASON = "LINT-NOQA"
CODE_UNUSED = "LINT-NOQA-UNUSED"


@dataclass(frozen=True)
class Noqa:
    path: Path
    line: int
    col: int
    codes: tuple[str, ...]
    reason: str

    def covers(self, finding: Finding) -> bool:
        return finding.line == self.line and finding.code.upper() in self.codes


def parse_noqa(path: Path, text: str) -> tuple[list[Noqa], list[Finding]]:
    """The valid noqa comments of a file, and a finding for each malformed one."""
    comments: list[Noqa] = []
    problems: list[Finding] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        match = _NOQA.search(raw)
        if not match:
            continue
        col = match.start() + 1 + (1 if raw[match.start()].isspace() else 0)
        codes_part, _, reason = match.group("rest").strip().partition(" ")
        codes = tuple(c.strip().upper() for c in codes_part.split(",") if c.strip())
        if not match.group("colon") or not codes:
            problems.append(_malformed(path, number, col, "noqa does not name the codes it silences"))
        elif not reason.strip():
            problems.append(_malformed(path, number, col, f"noqa: {','.join(codes)} has no reason"))
        else:
            comments.append(Noqa(path, number, col, codes, reason.strip()))
    return comments, problems


def _malformed(path: Path, line: int, col: int, message: str) -> Finding:
    return Finding(path, line, col, CODE_MISSING_REASON, message + "; it silences nothing",
                   fix="write `-- noqa: CODE why this is safe here`", source="dbrun")


def apply_noqa(findings: Iterable[Finding], comments: Iterable[Noqa]) -> tuple[list[Finding], list[Silenced]]:
    """Split findings into kept and silenced; a noqa code that silenced nothing becomes a warning."""
    by_place: dict[tuple[Path, int], list[Noqa]] = {}
    for comment in comments:
        by_place.setdefault((comment.path, comment.line), []).append(comment)
    kept: list[Finding] = []
    silenced: list[Silenced] = []
    used: set[tuple[Noqa, str]] = set()
    for finding in findings:
        match = next((c for c in by_place.get((finding.path, finding.line), []) if c.covers(finding)), None)
        if match is None:
            kept.append(finding)
            continue
        used.add((match, finding.code.upper()))
        silenced.append(Silenced(finding, match.reason))
    for group in by_place.values():
        for comment in group:
            kept.extend(
                Finding(comment.path, comment.line, comment.col, CODE_UNUSED,
                        f"noqa: {code} silences nothing on this line", Severity.WARNING,
                        fix=f"remove {code} from the noqa comment", source="dbrun")
                for code in comment.codes if (comment, code) not in used
            )
    return kept, silenced
