"""The development seeds on the distributed cluster, loaded the way `dbrun seed` loads them there (each
file in its own transaction): every file of seeds/."""

from __future__ import annotations

from dbrun.execute import seed_files
from tests.helpers.citus import REPO_ROOT, load_citus_seeds, tenant_session
from tests.helpers.runner import query

ACME = "11111111-1111-4111-8111-111111111111"
GLOBEX = "22222222-2222-4222-8222-222222222222"


def test_every_seed_applies_again(citus_url: str) -> None:
    assert load_citus_seeds(citus_url) == [f"seeds/{path.name}" for path in seed_files(REPO_ROOT)]


def test_the_agency_seed_writes_integration_events_into_their_partitions(citus_url: str) -> None:
    rows = query(citus_url, """SELECT tableoid::regclass::text, count(*) FROM agency.integration_events
                               GROUP BY 1 ORDER BY 1""")
    assert rows and all(name.startswith("agency.integration_events_y") for name, _ in rows), rows


def test_a_tenant_reads_only_its_own_seeded_integration_events(citus_url: str) -> None:
    with tenant_session(citus_url, "app_ro", ACME) as conn:
        orgs = conn.execute("SELECT DISTINCT organization_id::text FROM agency.integration_events").fetchall()
    assert orgs == [(ACME,)]


def test_the_marketplace_references_of_the_overrides_are_filled(citus_url: str) -> None:
    assert query(citus_url, """SELECT count(*) FILTER (WHERE activation_status IS NULL), count(*)
                               FROM agency.client_app_overrides""")[0] == (0, 12)
