"""Customer intelligence: the invariants the CHECKs cannot express alone (ranks unique among live
personas, one live ICP per venture, one live journey row per stage, the ICP score is the sum of its
components), what app roles may change, and the persona dashboard view."""

from __future__ import annotations

from decimal import Decimal

from psycopg import errors

from tests.helpers.schema import acting, expect_error
from tests.helpers.venture import ORG_A, ORG_B, VENTURE_A, Conn, persona_a

NEW_PERSONA = """INSERT INTO venture.customer_personas (organization_id, venture_id, persona_name, persona_type,
                     priority_rank, pain_points, jobs_to_be_done)
                 VALUES (%s, %s, 'Another persona', 'secondary', %s, '{"a pain"}', '{"a job"}')"""


def test_priority_rank_is_unique_among_live_personas_of_a_venture(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, NEW_PERSONA, (ORG_A, VENTURE_A, 1))
        assert isinstance(exc, errors.UniqueViolation)
        assert exc.diag.constraint_name == "uq_customer_personas_organization_id_venture_id_priority_rank"
        # A soft-deleted persona frees its rank.
        seeded.execute("UPDATE venture.customer_personas SET deleted_at = now() WHERE persona_id = %s", (persona_a(1),))
        seeded.execute(NEW_PERSONA, (ORG_A, VENTURE_A, 1))


def test_at_most_one_live_icp_per_venture(seeded: Conn) -> None:
    insert = """INSERT INTO venture.icp_profiles (organization_id, venture_id, profile_name, firmographic_fit_score,
                    pain_intensity_score, ability_to_pay_score, reachability_score, created_at, deleted_at)
                VALUES (%s, %s, 'Second ICP', 10, 10, 10, 5, '2026-01-01', %s)"""
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, insert, (ORG_A, VENTURE_A, None))
        assert isinstance(exc, errors.UniqueViolation)
        assert exc.diag.constraint_name == "uq_icp_profiles_organization_id_venture_id"
        seeded.execute(insert, (ORG_A, VENTURE_A, "2026-02-01"))  # a replaced profile is kept, deleted


def test_icp_score_is_the_sum_of_its_components(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("UPDATE venture.icp_profiles SET pain_intensity_score = 30 WHERE deleted_at IS NULL")
        row = seeded.execute("""SELECT icp_score, firmographic_fit_score + pain_intensity_score + ability_to_pay_score
                                       + reachability_score FROM venture.icp_profiles WHERE deleted_at IS NULL""").fetchone()
        assert row[0] == row[1] == Decimal("86.75")
        exc = expect_error(seeded, "UPDATE venture.icp_profiles SET icp_score = 100")
    assert exc.sqlstate in ("428C9", "42501")  # generated: nobody writes it (app_rw is not even granted it)
    exc = expect_error(seeded, "UPDATE venture.icp_profiles SET icp_score = 100")
    assert exc.sqlstate == "428C9"


def test_one_live_journey_row_per_persona_and_stage(seeded: Conn) -> None:
    insert = """INSERT INTO venture.customer_journeys (organization_id, persona_id, stage, stage_name)
                VALUES (%s, %s, 2, 'consideration')"""
    with acting(seeded, "app_rw", ORG_A):
        exc = expect_error(seeded, insert, (ORG_A, persona_a(1)))
        assert isinstance(exc, errors.UniqueViolation)
        assert exc.diag.constraint_name == "uq_customer_journeys_organization_id_persona_id_stage"
        seeded.execute(insert, (ORG_A, persona_a(3)))


def test_services_cannot_move_rows_between_ventures_or_personas(seeded: Conn) -> None:
    statements = ["UPDATE venture.customer_personas SET venture_id = venture_id",
                  "UPDATE venture.customer_journeys SET persona_id = persona_id",
                  "UPDATE venture.market_segments SET venture_id = venture_id",
                  "DELETE FROM venture.customer_personas",
                  "DELETE FROM venture.ventures"]
    for statement in statements:
        with acting(seeded, "app_rw", ORG_A):
            exc = expect_error(seeded, statement)
        assert isinstance(exc, errors.InsufficientPrivilege), statement


def test_personas_are_found_by_containment_through_the_gin_index(seeded: Conn) -> None:
    seeded.execute("SET LOCAL enable_seqscan = off")
    query = "SELECT persona_name FROM venture.customer_personas WHERE demographics @> '{\"role\": \"founder\"}'"
    plan = "\n".join(r[0] for r in seeded.execute("EXPLAIN " + query))
    assert "idx_customer_personas_demographics" in plan
    with acting(seeded, "app_ro", ORG_A):
        assert seeded.execute(query).fetchall() == [("Founder Felix",)]


def test_persona_view_lists_live_personas_by_priority_with_journey_coverage(seeded: Conn) -> None:
    with acting(seeded, "app_rw", ORG_A):
        seeded.execute("UPDATE venture.customer_journeys SET deleted_at = now() WHERE persona_id = %s AND stage = 4",
                       (persona_a(1),))
    with acting(seeded, "app_ro", ORG_A):
        rows = seeded.execute(
            """SELECT persona_name, priority_rank, journey_stages_mapped, journey_coverage, journey_stages_missing
               FROM venture.persona_priorities WHERE venture_id = %s ORDER BY priority_rank""", (VENTURE_A,)).fetchall()
    assert rows == [("Operations Olivia", 1, 3, Decimal("0.75"), [4]),
                    ("Founder Felix", 2, 2, Decimal("0.50"), [3, 4]),
                    ("Enterprise Erin", 3, 0, Decimal("0.00"), [1, 2, 3, 4])]
    with acting(seeded, "app_ro", ORG_B):
        other = seeded.execute("SELECT DISTINCT organization_id::text FROM venture.persona_priorities").fetchall()
    assert other == [(ORG_B,)]


def test_retention_purges_soft_deleted_ventures_of_every_tenant_with_what_hangs_from_them(seeded: Conn) -> None:
    seeded.execute("UPDATE venture.ventures SET deleted_at = now() WHERE venture_id = %s", (VENTURE_A,))
    with acting(seeded, "app_owner", None):  # the scheduler: the owner, no tenant set
        early = seeded.execute("SELECT rows_affected FROM governance.apply_retention(now() + interval '89 days') "
                               "WHERE schema_name = 'venture' AND table_name = 'ventures'").fetchone()
        due = seeded.execute("SELECT rows_affected FROM governance.apply_retention(now() + interval '91 days') "
                             "WHERE schema_name = 'venture' AND table_name = 'ventures'").fetchone()
    assert early == (0,) and due == (1,)
    left = seeded.execute("""SELECT (SELECT count(*) FROM venture.ventures WHERE organization_id = %(a)s),
                                    (SELECT count(*) FROM venture.customer_personas WHERE organization_id = %(a)s),
                                    (SELECT count(*) FROM venture.feedback_intelligence WHERE organization_id = %(a)s),
                                    (SELECT count(*) FROM venture.ventures WHERE organization_id = %(b)s)""",
                          {"a": ORG_A, "b": ORG_B}).fetchone()
    assert left == (0, 0, 0, 1)
