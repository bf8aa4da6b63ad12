"""The row audit of distributed tables on Citus (citus/after/12_audit_nodes.sql): a tenant's write is
audited on the worker that holds its shard, under the table's name, redacted; every node's hash chain
is sealed by audit.seal_events() and verified by `dbrun verify`, which detects an event rewritten on a
worker. Writes log in as the services do (LOGIN roles granted app_rw)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest

from dbrun import api
from dbrun.config import Settings
from tests.helpers.citus import CitusCluster, tenant_session
from tests.helpers.runner import query

ACME = "11111111-1111-4111-8111-111111111111"
ACME_OWNER = "aaaaaaaa-0000-4000-8000-000000000001"


def shard_node(url: str, cluster: CitusCluster, table: str, org: str) -> str:
    """The URL of the worker holding `org`'s shard of `table`."""
    [(port,)] = query(url, """SELECT p.nodeport FROM pg_dist_shard_placement AS p
                              WHERE p.shardid = get_shard_id_for_distribution_column(%s, %s::uuid)""", table, org)
    [node] = [u for u in cluster.node_urls()[1:] if f":{port}/" in u]
    return node


def newest_event(node: str, table: str) -> tuple[Any, ...]:
    [row] = query(node, """SELECT event_id, schema_name, table_name, organization_id::text, action, db_session_user,
                                  new_values
                           FROM audit.events WHERE schema_name || '.' || table_name = %s
                           ORDER BY event_id DESC LIMIT 1""", table)
    return row


def seal(url: str) -> None:
    query(url, "SELECT audit.seal_events()")  # as a superuser; the scheduler's login is tested below


def failed_checks(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    _, results, _ = api.verify(settings)
    return {r.name: r.rows for r in results if not r.passed}


@contextmanager
def renamed_owner(url: str, name: str) -> Iterator[None]:
    """Acme's owner renamed by a service (committed: the event must be visible on the worker), then named back."""
    [(before,)] = query(url, "SELECT display_name FROM core.users WHERE user_id = %s", ACME_OWNER)
    rename(url, name)
    try:
        yield
    finally:
        rename(url, before)


def rename(url: str, name: str) -> None:
    with tenant_session(url, "app_rw", ACME) as conn:
        conn.execute("UPDATE core.users SET display_name = %s WHERE organization_id = %s AND user_id = %s",
                     (name, ACME, ACME_OWNER))
        conn.commit()


def test_a_tenant_write_is_audited_on_the_worker_holding_its_shard(citus_url: str, citus_cluster: CitusCluster) -> None:
    node = shard_node(citus_url, citus_cluster, "core.users", ACME)
    with renamed_owner(citus_url, "Audited On The Worker"):
        event = newest_event(node, "core.users")
    assert event[1:6] == ("core", "users", ACME, "UPDATE", "svc_rw_login")


def test_a_shard_event_redacts_the_tables_pii_columns(citus_url: str, citus_cluster: CitusCluster) -> None:
    node = shard_node(citus_url, citus_cluster, "core.users", ACME)
    with renamed_owner(citus_url, "Never In The Trail"):
        event = newest_event(node, "core.users")
    assert event[6]["display_name"] == "[redacted]"


def test_every_audit_trigger_is_enabled_always_on_citus(citus_product: api.RunOutcome) -> None:
    assert [c.passed for c in citus_product.post_checks if c.name == "audit_triggers_always"] == [True]


def test_verify_passes_after_sealing_every_node(citus_url: str, citus_cluster: CitusCluster,
                                                citus_settings: Settings) -> None:
    with renamed_owner(citus_url, "Sealed"):
        pass
    seal(citus_url)
    node = shard_node(citus_url, citus_cluster, "core.users", ACME)
    assert query(node, """SELECT count(*) FROM audit.events AS e
                          WHERE NOT EXISTS (SELECT FROM audit.chain_links AS c WHERE c.event_id = e.event_id)""") == [(0,)]
    assert "audit_chain_intact" not in failed_checks(citus_settings)


def test_a_login_granted_app_migrator_seals_every_node(citus_url: str, citus_cluster: CitusCluster) -> None:
    with renamed_owner(citus_url, "Sealed By The Scheduler"):
        pass
    with tenant_session(citus_url, "app_migrator", None) as conn:  # the platform scheduler's login
        sealed = conn.execute("SELECT audit.seal_events()").fetchone()
        conn.commit()
    node = shard_node(citus_url, citus_cluster, "core.users", ACME)
    assert sealed is not None and sealed[0] > 0
    assert query(node, """SELECT count(*) FROM audit.events AS e
                          WHERE NOT EXISTS (SELECT FROM audit.chain_links AS c WHERE c.event_id = e.event_id)""") == [(0,)]


def test_an_event_rewritten_on_a_worker_fails_verify(citus_url: str, citus_cluster: CitusCluster,
                                                     citus_settings: Settings) -> None:
    node = shard_node(citus_url, citus_cluster, "core.users", ACME)
    with renamed_owner(citus_url, "Tampered"):
        pass
    seal(citus_url)
    event_id = newest_event(node, "core.users")[0]
    with tampered(node, event_id):
        rows = failed_checks(citus_settings).get("audit_chain_intact")
    assert rows is not None and [r[1] for r in rows] == [event_id]
    assert rows[0][2].startswith("worker ") and rows[0][2].endswith("event payload does not match its checksum")
    assert "audit_chain_intact" not in failed_checks(citus_settings)  # put back: intact again


@contextmanager
def tampered(node: str, event_id: int) -> Iterator[None]:
    """A superuser on the worker rewrites one sealed event (its append-only trigger off), then restores it."""
    with psycopg.connect(node, autocommit=True) as conn:
        [(original,)] = conn.execute("SELECT db_session_user FROM audit.events WHERE event_id = %s", (event_id,)).fetchall()
        rewrite = "UPDATE audit.events SET db_session_user = %s WHERE event_id = %s"
        with conn.transaction():
            conn.execute("ALTER TABLE audit.events DISABLE TRIGGER trg_events_append_only")
            conn.execute(rewrite, ("someone_else", event_id))
            conn.execute("ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_append_only")
        try:
            yield
        finally:
            with conn.transaction():
                conn.execute("ALTER TABLE audit.events DISABLE TRIGGER trg_events_append_only")
                conn.execute(rewrite, (original, event_id))
                conn.execute("ALTER TABLE audit.events ENABLE ALWAYS TRIGGER trg_events_append_only")


def test_the_append_only_guard_holds_on_a_worker(citus_url: str, citus_cluster: CitusCluster) -> None:
    node = shard_node(citus_url, citus_cluster, "core.users", ACME)
    with psycopg.connect(node) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM audit.events")
