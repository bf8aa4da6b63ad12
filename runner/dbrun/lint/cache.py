"""A cache of each file's SQL findings (sqlfluff + Squawk), keyed as ruff keys its cache.

An entry's key is a sha256 of everything the findings depend on: the file's path and text, the lint
configuration (.sqlfluff, .squawk.toml, frozen tables), the versions of dbrun's lint code, sqlfluff,
sqlfluffrs and squawk, and what the file's cross-file rules read (see `context`). A changed input
gives a different key, so an entry is never stale; it is simply not found. Entries a whole-repository
run did not use are dropped when it saves.

The cache lives in .dbrun/ (git-ignored, beside the local cluster); `dbrun lint --no-cache` skips it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from dbrun import __version__
from dbrun.lint.findings import Finding, Severity

CACHE_FILE = Path(".dbrun") / "lint-cache.json"
FORMAT = 1  # bump when the stored shape changes
_TOOLS = ("sqlfluff", "sqlfluffrs", "squawk-cli")
_CONFIG_FILES = (".sqlfluff", ".squawk.toml")


def environment_digest(root: Path, frozen_tables: Sequence[str], policies_dir: Path) -> str:
    """What every file's findings depend on besides the file itself."""
    digest = hashlib.sha256(f"format={FORMAT}\0dbrun={__version__}\0".encode())
    for tool in _TOOLS:
        try:
            digest.update(f"{tool}={importlib.metadata.version(tool)}\0".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{tool}=absent\0".encode())
    # The rules' own source: a development checkout changes them without changing __version__.
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for name in _CONFIG_FILES:
        path = root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"<absent>") + b"\0")
    digest.update(("frozen=" + ",".join(sorted(frozen_tables)) + f"\0policies={policies_dir}\0").encode())
    return digest.hexdigest()


def file_key(environment: str, rel: Path, text: str, context: Iterable[str] = ()) -> str:
    """The key of one file's findings: the environment, its path and text, and its context strings."""
    digest = hashlib.sha256(f"{environment}\0{rel.as_posix()}\0".encode())
    digest.update(text.encode("utf-8", errors="surrogatepass"))
    for item in context:
        digest.update(b"\0" + item.encode("utf-8", errors="surrogatepass"))
    return digest.hexdigest()


def _to_json(finding: Finding) -> dict[str, Any]:
    return {"path": finding.path.as_posix(), "line": finding.line, "col": finding.col, "code": finding.code,
            "message": finding.message, "severity": finding.severity.value, "fix": finding.fix,
            "source": finding.source}


def _from_json(item: dict[str, Any]) -> Finding:
    return Finding(path=Path(item["path"]), line=int(item["line"]), col=int(item["col"]), code=str(item["code"]),
                   message=str(item["message"]), severity=Severity(item["severity"]),
                   fix=None if item["fix"] is None else str(item["fix"]), source=str(item["source"]))


class LintCache:
    """Findings by key, read once at the start of a run and written once at its end."""

    def __init__(self, path: Path | None, entries: dict[str, list[dict[str, Any]]]) -> None:
        self.path = path  # None: caching is off
        self._entries = entries
        self._used: set[str] = set()
        self.hits = 0

    @classmethod
    def open(cls, root: Path, enabled: bool) -> LintCache:
        if not enabled:
            return cls(None, {})
        path = root / CACHE_FILE
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path, {})  # absent or unreadable (an interrupted write): start empty
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            return cls(path, {})
        entries = document.get("entries")
        return cls(path, entries if isinstance(entries, dict) else {})

    def get(self, key: str) -> list[Finding] | None:
        stored = self._entries.get(key)
        if stored is None or self.path is None:
            return None
        try:
            findings = [_from_json(item) for item in stored]
        except (KeyError, TypeError, ValueError):
            return None  # written by a different shape: treat as a miss
        self._used.add(key)
        self.hits += 1
        return findings

    def put(self, key: str, findings: Iterable[Finding]) -> None:
        self._entries[key] = [_to_json(f) for f in findings]
        self._used.add(key)

    def save(self, prune: bool) -> None:
        """Write the cache atomically; `prune` (a whole-repository run) keeps only this run's entries."""
        if self.path is None:
            return
        entries = {k: v for k, v in self._entries.items() if k in self._used} if prune else self._entries
        temporary: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".lint-cache-", dir=self.path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "entries": entries}, out)
            os.replace(temporary, self.path)  # atomic: a concurrent run reads the old or the new cache
        except OSError:
            # A read-only checkout lints as well without a cache; the next run is simply cold.
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
