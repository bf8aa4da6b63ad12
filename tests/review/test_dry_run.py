"""`dbrun up/down --dry-run` against a real PostgreSQL: it writes nothing and reports what it did."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbrun import api, locks, review, review_report
from dbrun.locks import ACCESS_EXCLUSIVE, SHARE, SHARE_ROW_EXCLUSIVE, SHARE_UPDATE_EXCLUSIVE
from dbrun.review_model import DryRun, StatementReport
from tests.helpers.runner import table_counts

Make = Callable[..., Path]
SNAPSHOTS = Path(__file__).parent / "snapshots"

BASE_UP = """-- Migration: base
CREATE TABLE accounts (id int CONSTRAINT pk_accounts PRIMARY KEY, name text);
CREATE TABLE orders (id int CONSTRAINT pk_orders PRIMARY KEY, account_id int, note text);
CREATE TABLE events (id int CONSTRAINT pk_events PRIMARY KEY, at timestamptz);
INSERT INTO accounts SELECT g, 'n' || g FROM generate_series(1, 50) g;
INSERT INTO orders SELECT g, g FROM generate_series(1, 50) g;
INSERT INTO events SELECT g, now() FROM generate_series(1, 50) g;
"""
BASE_DOWN = "DROP TABLE events;\nDROP TABLE orders;\nDROP TABLE accounts;\n"

LOCKS_UP = """-- Migration: lock_levels
ALTER TABLE accounts ADD COLUMN email text;
CREATE INDEX idx_accounts_email ON accounts (email);
ALTER TABLE orders ADD CONSTRAINT fk_orders_account_id
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_account_id;
CREATE FUNCTION tg_events_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.at := now();  -- a semicolon inside the body
    RETURN NEW;
END;
$$;
CREATE TRIGGER trg_events_touch BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION tg_events_touch();
UPDATE orders SET note = 'x' WHERE id <= 10;
"""
LOCKS_DOWN = """DROP TRIGGER trg_events_touch ON events;
DROP FUNCTION tg_events_touch();
ALTER TABLE orders DROP CONSTRAINT fk_orders_account_id;
DROP INDEX idx_accounts_email;
ALTER TABLE accounts DROP COLUMN email;
"""

REWRITE_UP = """-- Migration: rewrites
ALTER TABLE orders ALTER COLUMN account_id TYPE bigint;
ALTER TABLE accounts ADD COLUMN created_at timestamptz DEFAULT now();
ALTER TABLE events ADD COLUMN seen_at timestamptz DEFAULT clock_timestamp();
"""
REWRITE_DOWN = """ALTER TABLE events DROP COLUMN seen_at;
ALTER TABLE accounts DROP COLUMN created_at;
ALTER TABLE orders ALTER COLUMN account_id TYPE int;
"""


def files(*pairs: tuple[str, str, str]) -> dict[str, str | bytes]:
    out: dict[str, str | bytes] = {}
    for name, up, down in pairs:
        out[f"sql/up/{name}.sql"] = up
        out[f"sql/down/{name}.sql"] = down
    return out


BASE = ("202601010000_base", BASE_UP, BASE_DOWN)
LOCKS = ("202601020000_lock_levels", LOCKS_UP, LOCKS_DOWN)
REWRITES = ("202601030000_rewrites", REWRITE_UP, REWRITE_DOWN)


def fingerprint(url: str, dump: Callable[[str], str]) -> tuple[str, dict[str, int], bool]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regnamespace('dbrun') IS NOT NULL").fetchone()
    return dump(url), table_counts(url), bool(row and row[0])


def migrated_to(make_repo: Make, settings_for: Callable[..., Any], db_url: str, version: str,
                *pairs: tuple[str, str, str]) -> Any:
    settings = settings_for(make_repo(files(*pairs)), db_url)
    api.up(settings, to=version)
    return settings


def statement(result: DryRun, migration: str, starts: str) -> StatementReport:
    report = next(m for m in result.migrations if m.name == migration)
    return next(s for s in report.statements if s.excerpt.startswith(starts))


def modes(s: StatementReport, relation: str) -> set[str]:
    return {u.mode for u in s.locks if u.relation == relation}


# -- writes nothing ------------------------------------------------------------------------------


def test_fresh_database_is_left_exactly_as_it_was(make_repo: Make, settings_for: Callable[..., Any], db_url: str,
                                                   pg_dump_schema: Callable[[str], str]) -> None:
    settings = settings_for(make_repo(files(BASE, LOCKS, REWRITES)), db_url)
    before = fingerprint(db_url, pg_dump_schema)

    result = review.dry_run_up(settings)

    assert result.failure is None and result.exit_code == 0
    assert [m.status for m in result.migrations] == ["executed"] * 3
    assert not result.bookkeeping_exists
    assert fingerprint(db_url, pg_dump_schema) == before
    assert before[2] is False, "no bookkeeping schema on a fresh database, before or after"


def test_half_migrated_database_is_left_exactly_as_it_was(make_repo: Make, settings_for: Callable[..., Any],
                                                          db_url: str, pg_dump_schema: Callable[[str], str]) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, LOCKS, REWRITES)
    before = fingerprint(db_url, pg_dump_schema)
    assert before[1]["dbrun.migrations"] == 1

    up = review.dry_run_up(settings)
    down = review.dry_run_down(settings, steps=1)

    assert [m.name for m in up.migrations] == ["202601020000_lock_levels", "202601030000_rewrites"]
    assert [(m.name, m.direction, m.status) for m in down.migrations] == [("202601010000_base", "down", "executed")]
    assert {c.name for c in down.changes if c.action == "dropped"} >= {"public.accounts", "public.orders"}
    assert fingerprint(db_url, pg_dump_schema) == before


# -- locks and rewrites --------------------------------------------------------------------------


def test_observed_lock_modes_match_the_documented_levels(make_repo: Make, settings_for: Callable[..., Any],
                                                         db_url: str) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, LOCKS)
    result = review.dry_run_up(settings)
    name = "202601020000_lock_levels"

    add_column = statement(result, name, "ALTER TABLE accounts ADD COLUMN")
    create_index = statement(result, name, "CREATE INDEX")
    add_fk = statement(result, name, "ALTER TABLE orders ADD CONSTRAINT")
    validate = statement(result, name, "ALTER TABLE orders VALIDATE")
    trigger = statement(result, name, "CREATE TRIGGER")
    update = statement(result, name, "UPDATE orders")

    assert ACCESS_EXCLUSIVE in modes(add_column, "public.accounts")
    assert SHARE in modes(create_index, "public.accounts")
    assert SHARE_ROW_EXCLUSIVE in modes(add_fk, "public.orders")
    assert SHARE_ROW_EXCLUSIVE in modes(add_fk, "public.accounts")
    assert max(modes(validate, "public.orders"), key=locks.strength) == SHARE_UPDATE_EXCLUSIVE
    assert modes(trigger, "public.events") == {SHARE_ROW_EXCLUSIVE}
    assert all(u.source == "observed" for s in (add_column, create_index, add_fk, validate, trigger) for u in s.locks)
    assert update.rows == 10 and update.command == "UPDATE 10"
    assert add_column.line == 2 and add_fk.line == 4 and trigger.line == 13
    words = {u.mode: u.blocks for s in (add_column, create_index, validate) for u in s.locks}
    assert words[ACCESS_EXCLUSIVE] == "reads and writes"
    assert words[SHARE] == "writes only"
    assert words[SHARE_UPDATE_EXCLUSIVE] == "other DDL"


def test_table_rewrites_are_detected_by_relfilenode(make_repo: Make, settings_for: Callable[..., Any],
                                                    db_url: str) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, REWRITES)
    result = review.dry_run_up(settings)
    name = "202601030000_rewrites"

    assert statement(result, name, "ALTER TABLE orders ALTER COLUMN").rewritten == ["public.orders"]
    assert statement(result, name, "ALTER TABLE events ADD COLUMN seen_at").rewritten == ["public.events"]
    assert statement(result, name, "ALTER TABLE accounts ADD COLUMN created_at").rewritten == []
    assert any("rewrites public.orders" in r.text and r.level == "high" for r in result.risks())


def test_a_lock_already_held_by_an_earlier_migration_is_still_reported(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str) -> None:
    second = ("202601040000_more", "ALTER TABLE accounts ADD COLUMN phone text;\n",
              "ALTER TABLE accounts DROP COLUMN phone;\n")
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, LOCKS, second)
    result = review.dry_run_up(settings)

    phone = statement(result, "202601040000_more", "ALTER TABLE accounts ADD COLUMN phone")
    assert [(u.relation, u.mode, u.source) for u in phone.locks] == [("public.accounts", ACCESS_EXCLUSIVE, "held")]


def test_dry_run_gives_up_quickly_on_a_lock_and_names_the_holder(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str, pg_dump_schema: Callable[[str], str]) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, LOCKS)
    before = fingerprint(db_url, pg_dump_schema)
    with psycopg.connect(db_url) as other:  # not autocommit: holds ACCESS SHARE until rollback
        other.execute("SELECT count(*) FROM accounts").fetchone()
        holder_pid = other.info.backend_pid
        result = review.dry_run_up(settings)
        other.rollback()

    assert result.failure is not None and result.failure.sqlstate == "55P03"
    assert result.failure.line == 2 and result.exit_code == 3
    assert any(f"public.accounts held by pid {holder_pid}" in w for w in result.lock_waits), result.lock_waits
    assert fingerprint(db_url, pg_dump_schema) == before


# -- catalog diff --------------------------------------------------------------------------------

CATALOG_UP = """-- Migration: catalog
CREATE SCHEMA app;
CREATE ROLE dbrun_review_reader NOLOGIN;
CREATE TYPE app.status AS ENUM ('new', 'done');
CREATE TABLE app.tasks (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_tasks PRIMARY KEY,
    status app.status NOT NULL DEFAULT 'new',
    title text NOT NULL CONSTRAINT ck_tasks_title_length CHECK (length(title) <= 200)
);
ALTER TABLE app.tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.tasks FORCE ROW LEVEL SECURITY;
CREATE INDEX idx_tasks_status ON app.tasks (status);
CREATE FUNCTION app.tg_tasks_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER trg_tasks_check BEFORE INSERT ON app.tasks FOR EACH ROW EXECUTE FUNCTION app.tg_tasks_check();
CREATE POLICY tasks_select_all ON app.tasks FOR SELECT TO dbrun_review_reader USING (true);
GRANT USAGE ON SCHEMA app TO dbrun_review_reader;
GRANT SELECT ON app.tasks TO dbrun_review_reader;
CREATE VIEW app.open_tasks AS SELECT id, title FROM app.tasks WHERE status = 'new';
ALTER TABLE accounts ADD CONSTRAINT ck_accounts_name_length CHECK (length(name) <= 100) NOT VALID;
ALTER TABLE accounts ALTER COLUMN id TYPE bigint;
"""
CATALOG_DOWN = "SELECT 1;\n"


def test_catalog_diff_names_every_object_the_migration_creates(make_repo: Make, settings_for: Callable[..., Any],
                                                               db_url: str) -> None:
    catalog_step = ("202601050000_catalog", CATALOG_UP, CATALOG_DOWN)
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, catalog_step)
    result = review.dry_run_up(settings)

    changes = {(c.action, c.kind, c.name): c for c in result.changes}
    expected_created = {
        ("schema", "app"), ("role", "dbrun_review_reader"), ("enum", "app.status"), ("table", "app.tasks"),
        ("RLS", "app.tasks"), ("index", "app.idx_tasks_status"), ("function", "app.tg_tasks_check()"),
        ("trigger", "app.tasks.trg_tasks_check"), ("policy", "app.tasks.tasks_select_all"),
        ("grant", "schema app TO dbrun_review_reader"), ("grant", "table app.tasks TO dbrun_review_reader"),
        ("view", "app.open_tasks"), ("index", "app.pk_tasks"), ("sequence", "app.tasks_id_seq"),
        ("constraint", "public.accounts.ck_accounts_name_length"),
    }
    assert expected_created <= {(kind, name) for action, kind, name in changes if action == "created"}
    assert changes[("created", "RLS", "app.tasks")].details == ("enabled: yes", "forced: yes")
    assert changes[("created", "constraint", "public.accounts.ck_accounts_name_length")].details[0].endswith(
        "NOT VALID")
    assert changes[("altered", "column", "public.accounts.id")].details == ("type: integer → bigint",)
    table_details = changes[("created", "table", "app.tasks")].details
    assert {d.split(":")[0] for d in table_details if d.startswith("column")} == {
        "column id", "column status", "column title"}


# -- failure -------------------------------------------------------------------------------------


def test_a_failing_migration_is_reported_and_leaves_the_database_unchanged(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str, pg_dump_schema: Callable[[str], str],
        dbrun_cli: Callable[..., Any]) -> None:
    failing = ("202601060000_failing", "-- Migration: failing\nALTER TABLE accounts ADD COLUMN flag int;\n\n"
               "-- duplicates the primary key\nINSERT INTO accounts (id, name) VALUES (1, 'again');\n",
               "ALTER TABLE accounts DROP COLUMN flag;\n")
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, failing)
    before = fingerprint(db_url, pg_dump_schema)

    result = review.dry_run_up(settings)

    assert result.failure is not None
    assert (result.failure.sqlstate, result.failure.line) == ("23505", 5)
    assert str(result.failure.path) == "sql/up/202601060000_failing.sql"
    assert result.failed_migration == "202601060000_failing" and result.exit_code == 3
    assert [m.status for m in result.migrations] == ["failed"]
    assert fingerprint(db_url, pg_dump_schema) == before

    cli = dbrun_cli("up", "--dry-run", "--format", "json", url=db_url, root=settings.root)
    assert cli.exit_code == 3
    document = json.loads(cli.stdout)
    assert document["failure"]["sqlstate"] == "23505" and document["failure"]["line"] == 5
    assert fingerprint(db_url, pg_dump_schema) == before


# -- non-transactional ---------------------------------------------------------------------------

CIC = ("202601070000_orders_index", "-- dbrun: transactional=false\n"
       "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_orders_account_id ON orders (account_id);\n",
       "-- dbrun: transactional=false\nDROP INDEX CONCURRENTLY IF EXISTS idx_orders_account_id;\n")
USES_INDEX = ("202601080000_cluster", "ALTER TABLE orders CLUSTER ON idx_orders_account_id;\n",
              "ALTER TABLE orders SET WITHOUT CLUSTER;\n")
INDEPENDENT = ("202601080000_independent", "ALTER TABLE events ADD COLUMN kind text;\n",
               "ALTER TABLE events DROP COLUMN kind;\n")


def test_non_transactional_migration_is_not_executed_and_stops_dependents(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str, pg_dump_schema: Callable[[str], str]) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, CIC, USES_INDEX)
    before = fingerprint(db_url, pg_dump_schema)

    result = review.dry_run_up(settings)

    cic, later = result.migrations
    assert (cic.status, later.status) == ("not executed", "skipped")
    assert result.stopped_at == cic.name and "idx_orders_account_id" in (cic.note or "")
    assert [(u.relation, u.mode, u.source) for u in cic.statements[0].locks] == [
        ("public.orders", SHARE_UPDATE_EXCLUSIVE, "estimated")]
    assert result.post_checks == [] and result.exit_code == 0
    assert fingerprint(db_url, pg_dump_schema) == before


def test_simulation_continues_past_a_non_transactional_migration_nothing_depends_on(
        make_repo: Make, settings_for: Callable[..., Any], db_url: str) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, CIC, INDEPENDENT)
    result = review.dry_run_up(settings)

    assert [m.status for m in result.migrations] == ["not executed", "executed"]
    assert result.stopped_at is None and result.post_checks
    assert ("created", "column", "public.events.kind") in {(c.action, c.kind, c.name) for c in result.changes}


# -- offline and CLI -----------------------------------------------------------------------------


def test_offline_estimates_locks_without_a_database(make_repo: Make, dbrun_cli: Callable[..., Any]) -> None:
    root = make_repo(files(BASE, LOCKS, CIC))
    cli = dbrun_cli("up", "--dry-run", "--offline", "--format", "json", root=root,
                    env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})

    assert cli.exit_code == 0, cli.stdout + cli.stderr
    document = json.loads(cli.stdout)
    assert document["offline"] is True
    base, locks, cic = document["migrations"]
    assert all(s["locks"] == [] for s in base["statements"]), "tables created by the plan are not pre-existing"
    fk = next(s for s in locks["statements"] if s["excerpt"].startswith("ALTER TABLE orders ADD CONSTRAINT"))
    assert {(u["relation"], u["mode"]) for u in fk["locks"]} == set()  # both tables are created in the plan
    assert cic["statements"][0]["locks"] == []


def test_offline_down_counts_every_migration_as_applied(make_repo: Make) -> None:
    from dbrun.config import load_settings

    settings = load_settings(make_repo(files(BASE, LOCKS)), None, {})
    result = review.dry_run_down(settings, steps=1, offline=True)

    (step,) = result.migrations
    assert step.name == "202601020000_lock_levels" and step.status == "estimated"
    drop_trigger = step.statements[0]
    assert [(u.relation, u.mode) for u in drop_trigger.locks] == [("public.events", ACCESS_EXCLUSIVE)]


def test_cli_exit_codes_and_usage(make_repo: Make, db_url: str, dbrun_cli: Callable[..., Any],
                                  pg_dump_schema: Callable[[str], str]) -> None:
    root = make_repo(files(BASE, LOCKS))
    before = fingerprint(db_url, pg_dump_schema)

    text = dbrun_cli("up", "--dry-run", url=db_url, root=root)
    markdown = dbrun_cli("up", "--dry-run", "--format", "markdown", url=db_url, root=root)
    usage = dbrun_cli("up", "--offline", url=db_url, root=root)
    down = dbrun_cli("down", "--dry-run", "--all", "--format", "json", url=db_url, root=root)

    assert text.exit_code == 0 and "rolled back" in text.stdout and "trg_events_touch" in text.stdout
    assert markdown.exit_code == 0 and markdown.stdout.startswith("## dry-run up: 2 migrations")
    assert usage.exit_code == 2
    assert down.exit_code == 0 and json.loads(down.stdout)["migrations"] == []
    assert fingerprint(db_url, pg_dump_schema) == before


# -- markdown snapshot ---------------------------------------------------------------------------


def _stable(markdown: str) -> str:
    """Timings and the database URL differ per run; everything else must not."""
    text = re.sub(r"\d+(?:\.\d+)? ms", "<n> ms", markdown)
    text = re.sub(r"\| \d+\.\d+ \|", "| <ms> |", text)
    text = re.sub(r"\| (\d+|) \| (\d+\.\d+) \|", r"| \1 | <ms> |", text)
    return re.sub(r"Database: `[^`]*`", "Database: `<url>`", text)


def test_markdown_report_snapshot(make_repo: Make, settings_for: Callable[..., Any], db_url: str) -> None:
    settings = migrated_to(make_repo, settings_for, db_url, "202601010000", BASE, LOCKS, REWRITES, CIC, USES_INDEX)
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # row estimates in the risk summary come from pg_class.reltuples
    rendered = _stable(review_report.markdown(review.dry_run_up(settings)))

    snapshot = SNAPSHOTS / "dry_run_up.md"
    if os.environ.get("UPDATE_SNAPSHOTS") or not snapshot.exists():
        snapshot.write_text(rendered, encoding="utf-8")
    assert rendered == snapshot.read_text(encoding="utf-8")


# -- the static table ----------------------------------------------------------------------------


@pytest.mark.parametrize(("sql", "expected"), [
    ("ALTER TABLE a ADD COLUMN b int", [("a", ACCESS_EXCLUSIVE)]),
    ("CREATE INDEX i ON a (b)", [("a", SHARE)]),
    ("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY s.a (b)", [("s.a", SHARE_UPDATE_EXCLUSIVE)]),
    ("ALTER TABLE a ADD CONSTRAINT fk FOREIGN KEY (b) REFERENCES c (id) NOT VALID",
     [("a", SHARE_ROW_EXCLUSIVE), ("c", SHARE_ROW_EXCLUSIVE)]),
    ("ALTER TABLE a VALIDATE CONSTRAINT fk", [("a", SHARE_UPDATE_EXCLUSIVE)]),
    ("CREATE TRIGGER t BEFORE INSERT OR UPDATE ON a FOR EACH ROW EXECUTE FUNCTION f()", [("a", SHARE_ROW_EXCLUSIVE)]),
    ("ALTER TABLE p ATTACH PARTITION c FOR VALUES IN (1)", [("p", SHARE_UPDATE_EXCLUSIVE), ("c", ACCESS_EXCLUSIVE)]),
    ("ALTER TABLE a VALIDATE CONSTRAINT x, ADD COLUMN y int", [("a", ACCESS_EXCLUSIVE)]),
    ("COMMENT ON COLUMN s.a.b IS 'x; y'", [("s.a", SHARE_UPDATE_EXCLUSIVE)]),
    ("LOCK TABLE a IN SHARE MODE", [("a", SHARE)]),
    ('DROP INDEX CONCURRENTLY IF EXISTS "Idx"', [('"Idx"', SHARE_UPDATE_EXCLUSIVE)]),
    ("CREATE TABLE c (id int, a_id int REFERENCES a (id))", [("a", SHARE_ROW_EXCLUSIVE)]),
])
def test_static_lock_table(sql: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(locks.estimate(sql).locks) == sorted(expected)


def test_static_rewrite_estimates() -> None:
    assert locks.estimate("ALTER TABLE a ALTER COLUMN b TYPE bigint").rewrite
    assert locks.estimate("ALTER TABLE a ADD COLUMN b timestamptz DEFAULT clock_timestamp()").rewrite
    assert locks.estimate("ALTER TABLE a ADD COLUMN b timestamptz DEFAULT now()").rewrite is None
    assert not locks.estimate("DO $$ BEGIN PERFORM 1; END $$").known


def test_product_database_rollback_dry_run_changes_nothing(product_url: str, repo_root: Path,
                                                           pg_dump_schema: Callable[[str], str]) -> None:
    from dbrun.config import load_settings

    settings = load_settings(repo_root, product_url, {})
    before = fingerprint(product_url, pg_dump_schema)

    up = review.dry_run_up(settings)
    down = review.dry_run_down(settings, steps=1)

    assert up.migrations == [] and up.exit_code == 0
    assert down.failure is None and [m.status for m in down.migrations] == ["executed"]
    assert down.changes, "the newest migration's down file changes the schema"
    assert fingerprint(product_url, pg_dump_schema) == before
