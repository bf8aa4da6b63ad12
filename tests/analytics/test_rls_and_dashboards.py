"""Row-level security on events, rollups, the dirty queue and the dashboard views and functions, and
the seeded sample the dashboards show after `dbrun up` and `dbrun seed`."""

from __future__ import annotations

from datetime import date

from psycopg import errors

from tests.helpers.analytics import MODEL, raw_totals, rollup_totals
from tests.helpers.schema import ORG_A, ORG_B, REPO_ROOT, Conn, acting, expect_error

TENANT_READS = [
    "SELECT DISTINCT organization_id::text FROM usage.events",
    "SELECT DISTINCT organization_id::text FROM usage.hourly_rollups",
    "SELECT DISTINCT organization_id::text FROM usage.daily_rollups",
    "SELECT DISTINCT organization_id::text FROM usage.daily_usage",
]


def test_tenants_see_only_their_own_usage(seeded: Conn) -> None:
    for role in ("app_rw", "app_ro"):
        for org in (ORG_A, ORG_B):
            with acting(seeded, role, org):
                for query in TENANT_READS:
                    assert [r[0] for r in seeded.execute(query)] == [org], (role, query)
                own = seeded.execute("SELECT sum(requests) FROM usage.error_rate_by_model('2026-01-01', '2026-12-31')"
                                     ).fetchone()[0]
            total = seeded.execute("SELECT sum(requests) FROM usage.daily_rollups WHERE organization_id = %s",
                                   (org,)).fetchone()[0]
            assert own == total
        with acting(seeded, role, None):
            for query in TENANT_READS:
                assert seeded.execute(query).fetchall() == [], (role, query)
            assert seeded.execute("SELECT count(*) FROM usage.error_rate_by_model('2026-01-01', '2026-12-31')"
                                  ).fetchone()[0] == 0


def test_services_write_only_their_tenant_and_only_measured_figures(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, """INSERT INTO usage.events (organization_id, request_id, occurred_at, model_id, status)
                                      VALUES (%s, 'x', now(), %s, 'success')""", (ORG_B, MODEL))
        assert isinstance(exc, errors.InsufficientPrivilege) and "row-level security" in exc.diag.message_primary
        assert seeded.execute("UPDATE usage.events SET status = 'timeout' WHERE organization_id = %s",
                              (ORG_B,)).rowcount == 0
        assert seeded.execute("UPDATE usage.events SET status = 'timeout' WHERE request_id = 'seed-acme-2-0'"
                              ).rowcount == 1
        for statement in ("UPDATE usage.events SET request_id = 'y'", "UPDATE usage.events SET occurred_at = now()",
                          "UPDATE usage.events SET organization_id = organization_id", "DELETE FROM usage.events",
                          "INSERT INTO usage.hourly_rollups SELECT * FROM usage.hourly_rollups LIMIT 1",
                          "DELETE FROM usage.daily_rollups", "SELECT count(*) FROM usage.rollup_marks",
                          "SELECT count(*) FROM usage.rollup_dirty_buckets",
                          "TRUNCATE usage.events"):
            exc = expect_error(seeded, statement)
            assert isinstance(exc, errors.InsufficientPrivilege), statement
        # The correction above marked its bucket dirty through the trigger, without any grant on the queue.
    assert seeded.execute("""SELECT count(*) FROM usage.rollup_dirty_buckets WHERE organization_id = %s
                             AND hour_start = '2026-10-26 02:00+00'""", (ORG_A,)).fetchone()[0] == 1


def test_top_organizations_by_cost_is_for_the_reporting_role(seeded: Conn) -> None:
    with acting(seeded, "app_ro", None):
        rows = seeded.execute("SELECT organization_id::text, cost FROM usage.top_organizations_by_cost(%s, %s, 5)",
                              (date(2026, 10, 1), date(2026, 11, 30))).fetchall()
    assert [r[0] for r in rows] == [ORG_A, ORG_B]  # acme is the busier tenant
    assert rows[0][1] > rows[1][1] > 0
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, "SELECT * FROM usage.top_organizations_by_cost('2026-10-01', '2026-11-30')")
    assert isinstance(exc, errors.InsufficientPrivilege)
    # The owner's opt-out does not leak out of the call.
    assert seeded.execute("SELECT coalesce(current_setting('app.all_tenants', true), '')").fetchone()[0] == ""


def test_owner_sees_all_tenants_only_when_it_opts_out(seeded: Conn) -> None:
    with acting(seeded, "app_owner", None):
        assert seeded.execute("SELECT count(*) FROM usage.events").fetchone()[0] == 0
        seeded.execute("SELECT set_config('app.all_tenants', 'on', true)")
        assert seeded.execute("SELECT count(DISTINCT organization_id) FROM usage.events").fetchone()[0] == 2
    with acting(seeded, "app_rw", None):  # the setting means nothing to the app roles
        seeded.execute("SELECT set_config('app.all_tenants', 'on', true)")
        assert seeded.execute("SELECT count(*) FROM usage.events").fetchone()[0] == 0


def test_seeded_dashboards_show_four_weeks(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        days = seeded.execute("SELECT day, requests, errors, cost FROM usage.daily_usage ORDER BY day").fetchall()
        assert len(days) == 28 and days[0][0] == date(2026, 10, 26) and days[-1][0] == date(2026, 11, 22)
        assert all(r[1] > 0 for r in days) and sum(r[2] for r in days) > 0
        late = seeded.execute("SELECT count(*) FROM usage.events WHERE ingested_at - occurred_at > interval '1 day'"
                              ).fetchone()[0]
        assert late == 5
    # The seed leaves two corrected buckets per tenant queued; one refresh reconciles everything.
    assert seeded.execute("SELECT count(DISTINCT organization_id) FROM usage.rollup_dirty_buckets").fetchone()[0] == 2
    seeded.execute("SELECT usage.refresh_rollups()")
    assert rollup_totals(seeded) == raw_totals(seeded) == rollup_totals(seeded, "usage.daily_rollups")


def test_tenant_filter_works_in_parallel_plans(seeded: Conn) -> None:
    """202611231130: the tenant context functions start no subtransaction, so a policy's init-plan
    may run in a parallel query (it failed with 25000 before)."""
    for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0",
                    "max_parallel_workers_per_gather = 2", "enable_indexscan = off", "enable_bitmapscan = off"):
        seeded.execute(f"SET LOCAL {setting}")
    with acting(seeded, "app_ro", ORG_A):
        plan = "\n".join(r[0] for r in seeded.execute("EXPLAIN SELECT sum(cost) FROM usage.daily_rollups"))
        assert "Gather" in plan
        total = seeded.execute("SELECT sum(requests) FROM usage.daily_rollups").fetchone()[0]
    assert total == seeded.execute("SELECT sum(requests) FROM usage.daily_rollups WHERE organization_id = %s",
                                   (ORG_A,)).fetchone()[0]
    with acting(seeded, "app_ro", "not-a-uuid"):
        exc = expect_error(seeded, "SELECT count(*) FROM usage.events")
    assert isinstance(exc, errors.InvalidTextRepresentation) and "app.org_id" in exc.diag.message_primary


def test_policy_files_drop_the_cross_tenant_policies_old_names(db: Conn) -> None:
    # Policy files are repeatables: a database created before the rename must lose the old name.
    tables = ("usage.daily_rollups", "usage.hourly_rollups", "usage.rollup_marks")
    for table in tables:
        db.execute(f"CREATE POLICY {table.split('.')[1]}_all_all_tenants ON {table} FOR ALL TO app_owner USING (true)")
        db.execute((REPO_ROOT / "policies" / f"{table}.sql").read_bytes())
    names = {row[0] for row in db.execute(
        "SELECT polname FROM pg_policy WHERE polrelid = ANY (%s::regclass[])", (list(tables),))}
    assert not {n for n in names if n.endswith("_all_all_tenants")}
    assert {f"{t.split('.')[1]}_all_cross_tenant" for t in tables} <= names
