"""`dbrun docs`: the reference and snapshot are deterministic, complete, and `--check` catches drift."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg

from dbrun import api
from dbrun.config import load_settings

Generate = Callable[[Path], api.ReferenceOutcome]
ReadBytes = Callable[[Path], dict[str, bytes]]


def test_two_runs_write_identical_bytes(repo_copy: Path, generate: Generate, generated_bytes: ReadBytes) -> None:
    generate(repo_copy)
    first = generated_bytes(repo_copy)
    second_outcome = generate(repo_copy)
    assert second_outcome.differences == []
    assert generated_bytes(repo_copy) == first
    assert "docs/reference/core.md" in first and "schema/schema.sql" in first


def test_committed_reference_and_snapshot_match_the_repository(product_url: str, repo_root: Path) -> None:
    outcome = api.reference(load_settings(repo_root, product_url), check=True)
    assert [(d.path.as_posix(), d.status) for d in outcome.differences] == [], \
        "regenerate with `.venv/bin/dbrun docs` and commit docs/reference/ and schema/schema.sql"


def test_throwaway_database_gives_the_same_reference_and_is_dropped(
        repo_copy: Path, generate: Generate, generated_bytes: ReadBytes, dbrun_server: Any,
        product_url: str, tmp_path: Path) -> None:
    generate(repo_copy)
    from_product = generated_bytes(repo_copy)
    other = tmp_path / "other"
    other.mkdir()
    for part in ("sql", "policies", "views", "pyproject.toml"):
        (other / part).symlink_to(repo_copy / part)
    cluster_dir = dbrun_server.cluster.base_dir
    settings = replace(load_settings(other, product_url), database_url=None, local_dir=cluster_dir)
    outcome = api.reference(settings)
    assert outcome.source == "a throwaway database with the repository applied"
    assert generated_bytes(other) == from_product
    with psycopg.connect(product_url, autocommit=True) as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (api.SCRATCH_PREFIX + "%",))
        assert left.fetchall() == []


def test_check_exits_1_and_prints_the_diff_of_an_edited_page(
        repo_copy: Path, generate: Generate, dbrun_cli: Callable[..., Any], product_url: str) -> None:
    generate(repo_copy)
    page = repo_copy / "docs" / "reference" / "core.md"
    page.write_text(page.read_text().replace("Tenants.", "Customers.", 1))
    result = dbrun_cli("docs", "--check", url=product_url, root=repo_copy)
    assert result.exit_code == 1
    assert "changed  docs/reference/core.md" in result.stdout
    assert re.search(r"^-.*Customers\.", result.stdout, re.MULTILINE)
    assert re.search(r"^\+.*Tenants\.", result.stdout, re.MULTILINE)
    assert "Customers." in page.read_text(), "--check must not write"


def test_check_detects_an_edited_snapshot(repo_copy: Path, generate: Generate, product_url: str) -> None:
    generate(repo_copy)
    snapshot = repo_copy / "schema" / "schema.sql"
    snapshot.write_text(snapshot.read_text().replace("role text DEFAULT 'member'::text NOT NULL",
                                                     "role text NOT NULL"))
    outcome = api.reference(load_settings(repo_copy, product_url), check=True)
    assert [(d.path.as_posix(), d.status) for d in outcome.differences] == [("schema/schema.sql", "changed")]
    assert "+    role text DEFAULT 'member'::text NOT NULL," in outcome.differences[0].diff


def test_check_reports_a_page_no_longer_generated(repo_copy: Path, generate: Generate, product_url: str) -> None:
    generate(repo_copy)
    (repo_copy / "docs" / "reference" / "billing.md").write_text("# Schema `billing`\n")
    outcome = api.reference(load_settings(repo_copy, product_url), check=True)
    assert [(d.path.as_posix(), d.status) for d in outcome.differences] == [("docs/reference/billing.md", "stale")]
    generate(repo_copy)
    assert not (repo_copy / "docs" / "reference" / "billing.md").exists()


def test_entity_dictionary_lists_what_a_table_is(repo_copy: Path, generate: Generate) -> None:
    generate(repo_copy)
    core = (repo_copy / "docs" / "reference" / "core.md").read_text()
    start = core.index("\n### core.users\n")
    users = core[start:core.index("\n### ", start + 1)]
    assert "| `email_hmac` | `bytea` | null | — | pii |" in users
    assert "| `role` | `text` | not null | `'member'::text` | internal |" in users
    assert "| `ck_users_role` | `role IN ('owner', 'admin', 'member', 'viewer')` | owner, admin, member, viewer |" in users
    assert ("| `fk_users_organization_id` | `organization_id` | [`core.organizations`](core.md#coreorganizations) "
            "(organization_id) | RESTRICT |") in users
    assert "- **Row level security:** enabled, forced (the owner is filtered too)" in users
    assert re.search(r"\| `users_select_tenant` \| SELECT \| [a-z_, ]*app_rw[a-z_, ]* \| permissive \|", users)
    assert re.search(r"\| `app_rw` \| INSERT, SELECT, UPDATE \(.*display_name.*\) \|", users)
    assert "#### Triggers" in users and "#### Indexes" in users


def test_erd_shows_a_composite_foreign_key_as_one_relationship(repo_copy: Path, generate: Generate) -> None:
    generate(repo_copy)
    core = (repo_copy / "docs" / "reference" / "core.md").read_text()
    whole = (repo_copy / "docs" / "reference" / "model.md").read_text()
    edge = '"core.users" ||--o{ "core.api_keys" : "fk_api_keys_user_id (organization_id, user_id)"'
    assert edge in core and edge in whole
    assert "        uuid organization_id PK, FK" in core


def test_partitioned_table_documents_its_key_and_not_its_partitions(repo_copy: Path, generate: Generate) -> None:
    generate(repo_copy)
    usage = (repo_copy / "docs" / "reference" / "usage.md").read_text()
    assert "- **Partitioned by:** `RANGE (occurred_at)`" in usage
    assert not re.search(r"events_y\d{4}m\d{2}", usage)
    assert not re.search(r"events_y\d{4}m\d{2}", (repo_copy / "schema" / "schema.sql").read_text())


def test_change_log_is_newest_first_with_purpose_and_locks(repo_copy: Path, generate: Generate) -> None:
    generate(repo_copy)
    changelog = (repo_copy / "docs" / "reference" / "changelog.md").read_text()
    versions = re.findall(r"^## (\d{12}) ", changelog, re.MULTILINE)
    on_disk = sorted((p.name[:12] for p in (repo_copy / "sql" / "up").glob("*.sql")), reverse=True)
    assert versions == on_disk
    audit = changelog[changelog.index("## 202611230920 audit_log"):]
    audit = audit[:audit.index("\n## ")]
    assert "2026-11-23 09:20 UTC · [`sql/up/202611230920_audit_log.sql`](../../sql/up/202611230920_audit_log.sql)" in audit
    assert "Creates the append-only audit log (schema audit)" in audit
    assert "**Locks:** SHARE ROW EXCLUSIVE on governance.column_classifications" in audit


def test_index_links_every_schema_page_and_the_snapshot(repo_copy: Path, generate: Generate) -> None:
    generate(repo_copy)
    reference = repo_copy / "docs" / "reference"
    index = (reference / "README.md").read_text()
    pages = sorted(p.name for p in reference.glob("*.md") if p.name != "README.md")
    for page in pages:
        assert f"]({page}" in index
    assert "](../../schema/schema.sql)" in index


def test_index_lists_every_enumeration_with_its_values(repo_copy: Path, generate: Generate) -> None:
    generate(repo_copy)
    index = (repo_copy / "docs" / "reference" / "README.md").read_text()
    assert "| [`core.users.role`](core.md#coreusers) | owner, admin, member, viewer | `ck_users_role` |" in index
    assert "| [`usage.events.status`](usage.md#usageevents) | success, client_error, server_error, timeout, " \
           "rate_limited | `ck_events_status` |" in index


def test_database_not_at_the_repository_version_gets_a_note(repo_copy: Path, db_url: str) -> None:
    outcome = api.reference(load_settings(repo_copy, db_url), check=True)
    newest = max(p.name[:12] for p in (repo_copy / "sql" / "up").glob("*.sql"))
    assert outcome.notes == (f"the database is at schema version none, the repository at {newest}: "
                             "the reference describes the database as it is",)
