"""Integration events (monthly partitions policed like usage.events, a claim that never hands one
event to two processors, processed consistent with its status) and the two cross-system views (counts
equal direct counts for random data, no license keys)."""

from __future__ import annotations

import random
import threading
from typing import Any

import psycopg
from psycopg import errors

from tests.helpers.agency import ADMINS, DIRECT_CLIENT_COUNTS, MODULE_SEO, MODULE_SHOP, VIEW_CLIENT_COUNTS, seed_id
from tests.helpers.runner import execute, query
from tests.helpers.schema import ORG_A, ORG_B, Conn, acting, expect_error, load_seeds

PENDING = "SELECT count(*) FROM agency.integration_events WHERE organization_id = %s AND processing_status = 'pending'"


def _add_pending_events(url: str, org: str, n: int) -> None:
    execute(url, f"""INSERT INTO agency.integration_events
                         (organization_id, created_at, event_type, event_source, event_payload)
                     SELECT '{org}', timestamptz '2026-11-25' + g * interval '1 second', 'module.installed',
                            'marketplace', jsonb_build_object('n', g)
                     FROM generate_series(1, {n}) AS g""")


def test_two_processors_never_claim_the_same_event(product_db: Conn, product_url: str) -> None:
    load_seeds(product_db)
    product_db.commit()
    _add_pending_events(product_url, ORG_A, 300)
    claimed: list[list[str]] = []
    start = threading.Barrier(4)

    def processor(name: str) -> None:
        mine: list[str] = []
        with psycopg.connect(product_url) as conn:
            start.wait()
            while True:
                with conn.transaction():
                    conn.execute("SET LOCAL ROLE app_rw")
                    conn.execute("SELECT set_config('app.org_id', %s, true)", (ORG_A,))
                    rows = conn.execute("SELECT event_id::text FROM agency.claim_integration_events(%s, 7)",
                                        (name,)).fetchall()
                if not rows:
                    break
                mine += [r[0] for r in rows]
        claimed.append(mine)

    workers = [threading.Thread(target=processor, args=(f"processor-{i}",)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    every = [event for mine in claimed for event in mine]
    # The seeded events of acme too: two pending and one whose claim went stale (claimed on 2026-11-22).
    assert len(every) == len(set(every)) == 300 + 2 + 1
    assert sum(1 for mine in claimed if mine) >= 2  # the claims really were concurrent
    assert query(product_url, PENDING, ORG_A) == [(0,)]
    assert query(product_url, "SELECT count(*) FROM agency.integration_events WHERE organization_id = %s "
                              "AND processing_status = 'pending'", ORG_B) == [(2,)]  # another tenant's queue untouched


def test_a_claim_skips_events_another_processor_holds(product_db: Conn, product_url: str) -> None:
    load_seeds(product_db)
    product_db.commit()
    _add_pending_events(product_url, ORG_A, 10)
    claim = "SELECT event_id::text FROM agency.claim_integration_events(%s, %s)"
    with psycopg.connect(product_url) as first, psycopg.connect(product_url) as second:
        for conn in (first, second):
            conn.execute("SET ROLE app_rw")
            conn.execute("SELECT set_config('app.org_id', %s, false)", (ORG_A,))
        held = {r[0] for r in first.execute(claim, ("first", 5)).fetchall()}  # not committed yet
        taken = {r[0] for r in second.execute(claim, ("second", 100)).fetchall()}
        assert len(held) == 5 and len(taken) == 13 - 5 and not held & taken  # 10 + 2 seeded + 1 stale claim
        first.rollback()  # the first processor dies: its events are claimable again
        second.commit()
        again = {r[0] for r in second.execute(claim, ("second", 100)).fetchall()}
        second.commit()
    assert again == held


def test_claims_are_bounded(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        for bad in (0, 1001):
            exc = expect_error(seeded, "SELECT * FROM agency.claim_integration_events('p', %s)", (bad,))
            assert isinstance(exc, errors.InvalidParameterValue)


def test_processed_follows_the_status_and_processed_at_must_agree(seeded: Conn) -> None:
    event = seed_id(ORG_A, "event", 4)  # processing
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("UPDATE agency.integration_events SET processing_status = 'completed', processed_at = now() "
                       "WHERE event_id = %s", (event,))
        assert seeded.execute("SELECT processed FROM agency.integration_events WHERE event_id = %s",
                              (event,)).fetchone() == (True,)
        exc = expect_error(seeded, "UPDATE agency.integration_events SET processed_at = NULL WHERE event_id = %s", (event,))
    assert exc.diag.constraint_name == "ck_integration_events_processed_at_consistent"
    exc = expect_error(seeded, "UPDATE agency.integration_events SET processed = false WHERE event_id = %s", (event,))
    assert isinstance(exc, errors.GeneratedAlways)


def test_event_partitions_are_monthly_and_policed(seeded: Conn) -> None:
    parts = seeded.execute(
        "SELECT partition_name::text FROM usage.partitions_of('agency.integration_events')").fetchall()
    assert ("agency.integration_events_y2026m11",) in parts
    assert seeded.execute("SELECT count(*) FROM pg_partitioned_table "
                          "WHERE partrelid = 'agency.integration_events'::regclass AND partdefid <> 0").fetchone() == (0,)
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, "SELECT count(*) FROM agency.integration_events_y2026m11")
    assert isinstance(exc, errors.InsufficientPrivilege)
    forced = seeded.execute("""SELECT bool_and(c.relforcerowsecurity)
                               FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                               WHERE i.inhparent = 'agency.integration_events'::regclass""").fetchone()
    assert forced == (True,)
    for index in ("correlation_id", "causation_id"):
        assert seeded.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'integration_events_y2026m11' "
                              "AND indexdef LIKE %s", (f"%({'organization_id, ' + index})%",)).fetchone() == (1,)


def _random_agency_data(conn: Conn, rng: random.Random) -> None:
    """Clients with random numbers of rows in every table the dashboard counts (fan-out on purpose)."""
    for c in range(rng.randint(3, 8)):
        client = seed_id(ORG_A, "prop-client", c)
        conn.execute("INSERT INTO agency.clients (organization_id, client_id, name, status) VALUES (%s, %s, %s, 'active')",
                     (ORG_A, client, f"P{c}"))
        for m, module in enumerate(rng.sample([MODULE_SEO, MODULE_SHOP], rng.randint(0, 2))):
            conn.execute("INSERT INTO agency.module_installations (organization_id, client_id, installation_id, module_id, "
                         "status) VALUES (%s, %s, %s, %s, %s)",
                         (ORG_A, client, seed_id(ORG_A, "prop-inst", c, m), module, rng.choice(["active", "suspended"])))
        for k in range(rng.randint(0, 4)):
            conn.execute("INSERT INTO agency.client_app_overrides (organization_id, client_id, app_key, "
                         "activation_status, activation_metadata) VALUES (%s, %s, %s, 'pending', '{}')",
                         (ORG_A, client, f"app-{k}"))
        for k in range(rng.randint(0, 4)):
            conn.execute("INSERT INTO agency.system_configurations (organization_id, client_id, namespace, config_key, "
                         "config_value) VALUES (%s, %s, 'ns', %s, '1')", (ORG_A, client, f"k{k}"))
        for env in rng.sample(["development", "staging", "production"], rng.randint(0, 3)):
            conn.execute("INSERT INTO agency.deployment_configurations (organization_id, client_id, environment) "
                         "VALUES (%s, %s, %s)", (ORG_A, client, env))
        for w in range(rng.randint(0, 3)):
            conn.execute("INSERT INTO agency.orchestration_workflows (organization_id, client_id, workflow_name, "
                         "workflow_type, workflow_definition, status, started_at) "
                         "VALUES (%s, %s, %s, 'deployment', '{}', 'in_progress', now())", (ORG_A, client, f"W{w}"))


def test_dashboard_counts_equal_direct_counts_for_random_data(seeded: Conn) -> None:
    for seed in range(8):
        with seeded.transaction(force_rollback=True):
            _random_agency_data(seeded, random.Random(seed))
            with acting(seeded, "app_ro", ORG_A, ADMINS[ORG_A]):
                direct = seeded.execute(DIRECT_CLIENT_COUNTS).fetchall()
                shown = seeded.execute(VIEW_CLIENT_COUNTS).fetchall()
            assert shown == direct, f"random data seed {seed}"


def test_dashboard_shows_one_row_per_client_with_its_newest_open_workflow(seeded: Conn) -> None:
    client = seed_id(ORG_A, "client", 3)  # has one in-progress workflow; add an older pending one
    seeded.execute("INSERT INTO agency.orchestration_workflows (organization_id, client_id, workflow_name, workflow_type, "
                   "workflow_definition, created_at, updated_at) VALUES (%s, %s, 'Older', 'handover', '{}', "
                   "'2026-01-01', '2026-01-01')", (ORG_A, client))
    with acting(seeded, "app_ro", ORG_A, ADMINS[ORG_A]):
        rows = seeded.execute("SELECT current_workflow, active_modules, configured_apps "
                              "FROM agency.unified_client_dashboard WHERE client_id = %s", (client,)).fetchall()
    assert rows == [("Staging deployment", 3, 3)]


def test_module_view_counts_overrides_per_installation_and_hides_license_keys(seeded: Conn) -> None:
    columns = {r[0] for r in seeded.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'agency' "
        "AND table_name IN ('module_integration_view', 'unified_client_dashboard')").fetchall()}
    assert not {c for c in columns if any(word in c for word in ("key", "hmac", "credential", "payment"))}
    with acting(seeded, "app_ro", ORG_A, ADMINS[ORG_A]):
        rows = seeded.execute("""SELECT module_slug, installation_status, override_count, license_status
                                 FROM agency.module_integration_view
                                 WHERE client_id = %s ORDER BY module_slug""", (seed_id(ORG_A, "client", 3),)).fetchall()
        views: Any = seeded.execute("SELECT count(*) FROM agency.module_integration_view WHERE organization_id = %s",
                                    (ORG_B,)).fetchone()
    assert rows == [("live-chat", "active", 0, None), ("seo-toolkit", "active", 1, "active"),
                    ("shop-cart", "active", 1, "expired")]
    assert views == (0,)
    security_invoker = seeded.execute("""SELECT c.relname, c.reloptions FROM pg_class c
                                         WHERE c.relname IN ('module_integration_view', 'unified_client_dashboard')
                                         ORDER BY 1""").fetchall()
    assert all(options == ["security_invoker=true"] for _name, options in security_invoker)
