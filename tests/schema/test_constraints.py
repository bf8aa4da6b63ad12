"""Integrity: every CHECK rejects a bad value under its own name (23514); composite foreign keys
refuse references into another tenant (23503), generated from the catalog."""

from __future__ import annotations

import json

from psycopg import errors, sql

from tests.helpers.agency import AGENCY_CASES
from tests.helpers.conversational import check_cases
from tests.helpers.schema import ORG_A, ORG_B, PRODUCT_SCHEMAS_SQL, Conn, expect_error

A = ORG_A
USER_A = "aaaaaaaa-0000-4000-8000-000000000001"
KEY_A = "aaaaaaaa-0000-4000-8000-0000000000a1"  # active, no expiry
REVOKED_A = "aaaaaaaa-0000-4000-8000-0000000000a2"
BUDGET_A = "aaaaaaaa-0000-4000-8000-0000000000b1"
REQUEST_A = "aaaaaaaa-0000-4000-8000-0000000000e1"
MODEL = "0d0d0d0d-0000-4000-8000-000000000001"

ORG = f"UPDATE core.organizations SET {{}} WHERE organization_id = '{A}'"
USR = f"UPDATE core.users SET {{}} WHERE organization_id = '{A}' AND user_id = '{USER_A}'"
KEY = f"UPDATE core.api_keys SET {{}} WHERE organization_id = '{A}' AND api_key_id = '{KEY_A}'"
RKEY = f"UPDATE core.api_keys SET {{}} WHERE organization_id = '{A}' AND api_key_id = '{REVOKED_A}'"
MOD = f"UPDATE core.models SET {{}} WHERE model_id = '{MODEL}'"
BUD = f"UPDATE core.budgets SET {{}} WHERE organization_id = '{A}' AND budget_id = '{BUDGET_A}'"
ERA = f"UPDATE governance.erasure_requests SET {{}} WHERE organization_id = '{A}' AND erasure_request_id = '{REQUEST_A}'"
ESU = "UPDATE governance.erasure_subjects SET {} WHERE subject_type = 'user'"
EHA = "UPDATE governance.erasure_handlers SET {} WHERE subject_type = 'user'"
CLS = ("UPDATE governance.column_classifications SET {} "
       "WHERE (schema_name, table_name, column_name) = ('core', 'users', 'role')")
RET = "UPDATE governance.retention_policies SET {} WHERE (schema_name, table_name) = ('core', 'users')"
EVT = ("INSERT INTO audit.events (db_role, db_session_user, action, schema_name, table_name, checksum) "
       "VALUES ({})")
USE = f"UPDATE usage.events SET {{}} WHERE organization_id = '{A}'"
USM = f"UPDATE usage.rollup_marks SET {{}} WHERE '{A}' = ANY (organization_ids)"
USH = f"UPDATE usage.hourly_rollups SET {{}} WHERE organization_id = '{A}'"
USY = f"UPDATE usage.daily_rollups SET {{}} WHERE organization_id = '{A}'"
# venture intelligence (issue 13): seeds/50_ventures.sql ids (<tenant prefix>-<kind>-...).
VEN = f"UPDATE venture.ventures SET {{}} WHERE organization_id = '{A}'"


def _one(table: str, key: str, value: str) -> str:
    """UPDATE of one seeded row of tenant A (its statement has a {} for the SET list)."""
    return f"UPDATE venture.{table} SET {{}} WHERE organization_id = '{A}' AND {key} = '{value}'"


PER = _one("customer_personas", "persona_id", "a0a0a0a0-0001-4000-8000-000000000001")
ICP = _one("icp_profiles", "icp_profile_id", "a0a0a0a0-0003-4000-8000-000000000002")
JRN = _one("customer_journeys", "journey_id", "a0a0a0a0-0002-4000-8000-000000000001")
WTP = _one("willingness_to_pay", "wtp_id", "a0a0a0a0-0004-4000-8000-000000000001")
SEG = _one("market_segments", "segment_id", "a0a0a0a0-0005-4000-8000-000000000001")
CUS = _one("customers", "customer_id", "a0a0a0a0-0006-4000-8000-000000000001")
FBI = f"UPDATE venture.feedback_intelligence SET {{}} WHERE organization_id = '{A}'"
# The latest measurement of customer 1's chain: it has a previous measurement.
CSH = _one("customer_sentiment_history", "sentiment_history_id", "a0a0a0a0-0008-4000-8000-000000000011")
TRD = f"UPDATE venture.feedback_trends SET {{}} WHERE organization_id = '{A}'"
TRM = f"UPDATE venture.feedback_trends SET {{}} WHERE organization_id = '{A}' AND period_type = 'monthly'"
USO = f"UPDATE usage.monthly_rollups SET {{}} WHERE organization_id = '{A}'"
# A total of a window no refresh writes (the seeded totals depend on today's date): window, requests, errors, cost.
TYT = (f"INSERT INTO usage.trailing_year_totals (organization_id, window_start, requests, errors, cost) "
       f"VALUES ('{A}', {{}})")
GOOD_EVT = ["'r'", "'s'", "'INSERT'", "'core'", "'users'", "sha256('x')"]


def evt(position: int, value: str) -> str:
    values = list(GOOD_EVT)
    values[position] = value
    return EVT.format(", ".join(values))


CASES: dict[str, str] = {
    "ck_organizations_slug_format": ORG.format("slug = 'Acme'"),
    "ck_organizations_name_length": ORG.format("name = ''"),
    "ck_organizations_status": ORG.format("status = 'frozen'"),
    "ck_organizations_plan": ORG.format("plan = 'gold'"),
    "ck_organizations_max_users_non_negative": ORG.format("max_users = -1"),
    "ck_organizations_max_api_keys_non_negative": ORG.format("max_api_keys = -1"),
    "ck_organizations_monthly_token_quota_non_negative": ORG.format("monthly_token_quota = -1"),
    "ck_organizations_updated_after_created": ORG.format("created_at = '2999-01-01'"),
    "ck_organizations_deleted_after_created": ORG.format("deleted_at = '2000-01-01'"),
    "ck_users_email_hmac_length": USR.format("email_hmac = '\\x00'"),
    "ck_users_email_hmac_present": USR.format("email_hmac = NULL"),
    "ck_users_display_name_length": USR.format("display_name = ''"),
    "ck_users_role": USR.format("role = 'root'"),
    "ck_users_password_hash_format": USR.format("password_hash = 'plaintext'"),
    "ck_users_updated_after_created": USR.format("created_at = '2999-01-01'"),
    "ck_users_deleted_after_created": USR.format("deleted_at = '2000-01-01'"),
    "ck_users_anonymised_is_deleted": USR.format("anonymised_at = now()"),
    "ck_api_keys_name_length": KEY.format("name = ''"),
    "ck_api_keys_prefix_format": KEY.format("prefix = 'AK_UPPER'"),
    "ck_api_keys_secret_hash_length": KEY.format("secret_hash = '\\x0102'"),
    "ck_api_keys_scopes_known": KEY.format("scopes = '{models:read,root}'"),
    "ck_api_keys_scopes_not_empty": KEY.format("scopes = '{}'"),
    "ck_api_keys_status": KEY.format("status = 'paused'"),
    "ck_api_keys_revoked_consistent": KEY.format("revoked_at = now()"),
    "ck_api_keys_expired_consistent": KEY.format("status = 'expired'"),
    "ck_api_keys_expires_after_created": KEY.format("expires_at = created_at - interval '1 day'"),
    "ck_api_keys_revoked_after_created": RKEY.format("revoked_at = created_at - interval '1 day'"),
    "ck_models_provider_length": MOD.format("provider = ''"),
    "ck_models_name_length": MOD.format("name = ''"),
    "ck_models_version_length": MOD.format("version = ''"),
    "ck_models_status": MOD.format("status = 'beta'"),
    "ck_models_context_window_positive": MOD.format("context_window = 0"),
    "ck_models_input_cost_non_negative": MOD.format("input_cost_per_1k = -0.1"),
    "ck_models_output_cost_non_negative": MOD.format("output_cost_per_1k = -0.1"),
    "ck_models_deployment_object": MOD.format("deployment = '[]'"),
    "ck_models_updated_after_created": MOD.format("created_at = '2999-01-01'"),
    "ck_budgets_period": BUD.format("period = 'week'"),
    "ck_budgets_period_start_aligned": BUD.format("period_start = '2026-11-15'"),
    "ck_budgets_amount_non_negative": BUD.format("amount = -1"),
    "ck_budgets_currency_format": BUD.format("currency = 'usd'"),
    "ck_budgets_alert_thresholds_range": BUD.format("alert_thresholds = '{0.5,1.5}'"),
    "ck_budgets_alert_thresholds_ascending": BUD.format("alert_thresholds = '{0.8,0.5}'"),
    "ck_budgets_updated_after_created": BUD.format("created_at = '2999-01-01'"),
    "ck_erasure_requests_status": ERA.format("status = 'lost', completed_at = now()"),
    "ck_erasure_requests_reason_length": ERA.format("reason = ''"),
    "ck_erasure_requests_due_within_30_days": ERA.format("due_at = requested_at + interval '31 days'"),
    # 'rejected', not 'completed': the guard trigger refuses 'completed' (42501) before any CHECK runs.
    "ck_erasure_requests_completed_consistent": ERA.format("status = 'rejected'"),
    "ck_erasure_requests_completed_after_requested":
        ERA.format("status = 'rejected', completed_at = requested_at - interval '1 day'"),
    "ck_erasure_requests_user_subject": ERA.format("user_id = NULL"),
    "ck_erasure_requests_customer_subject": ERA.format("customer_id = 'a0a0a0a0-0006-4000-8000-000000000001'"),
    "ck_erasure_subjects_subject_type_format": ESU.format("subject_type = 'User'"),
    "ck_erasure_subjects_description_length": ESU.format("description = ''"),
    "ck_erasure_handlers_handler_signature": EHA.format("handler = 'core.erase_user'"),
    "ck_erasure_handlers_run_order_range": EHA.format("run_order = -1"),
    "ck_erasure_handlers_description_length": EHA.format("description = ''"),
    "ck_column_classifications_classification": CLS.format("classification = 'top-secret'"),
    "ck_column_classifications_names_length": CLS.format("column_name = ''"),
    "ck_column_classifications_note_length": CLS.format("note = repeat('x', 501)"),
    "ck_retention_policies_retain_for_positive": RET.format("retain_for = interval '0'"),
    "ck_retention_policies_action": RET.format("action = 'shred'"),
    "ck_retention_policies_names_length": RET.format("timestamp_column = ''"),
    "ck_retention_policies_description_length": RET.format("description = ''"),
    "ck_events_action": evt(2, "'TRUNCATE'"),
    "ck_chain_links_checksum_length":
        "INSERT INTO audit.chain_links (event_id, chain_checksum, sealed_horizon) VALUES (1, '\\x00', '0')",
    "ck_events_checksum_length": evt(5, "'\\x00'"),
    "ck_events_names_length": evt(3, "''"),
    # usage (issue 6): events through the parent (the CHECKs are copied onto every partition by name).
    "ck_events_request_id_length": USE.format("request_id = ''"),
    "ck_events_status": USE.format("status = 'lost'"),
    "ck_events_tokens_in_non_negative": USE.format("tokens_in = -1"),
    "ck_events_tokens_out_non_negative": USE.format("tokens_out = -1"),
    "ck_events_latency_ms_non_negative": USE.format("latency_ms = -1"),
    "ck_events_cost_non_negative": USE.format("cost = -1"),
    "ck_rollup_marks_hour_aligned": USM.format("hour_start = hour_start + interval '1 minute'"),
    "ck_rollup_marks_organization_ids_present": USM.format("organization_ids = organization_ids || NULL::uuid"),
    "ck_hourly_rollups_hour_aligned": USH.format("hour_start = hour_start + interval '1 minute'"),
    "ck_hourly_rollups_requests_positive": USH.format("requests = 0, errors = 0"),
    "ck_hourly_rollups_errors_range": USH.format("errors = requests + 1"),
    "ck_hourly_rollups_tokens_non_negative": USH.format("tokens_in = -1"),
    "ck_hourly_rollups_latency_non_negative": USH.format("latency_ms_max = -1"),
    "ck_hourly_rollups_cost_non_negative": USH.format("cost = -1"),
    "ck_daily_rollups_requests_positive": USY.format("requests = 0, errors = 0"),
    "ck_daily_rollups_errors_range": USY.format("errors = requests + 1"),
    "ck_daily_rollups_tokens_non_negative": USY.format("tokens_out = -1"),
    "ck_daily_rollups_latency_non_negative": USY.format("latency_ms_sum = -1"),
    "ck_daily_rollups_cost_non_negative": USY.format("cost = -1"),
    # venture intelligence (issue 13)
    "ck_ventures_name_length": VEN.format("name = ''"),
    "ck_ventures_stage": VEN.format("stage = 'unicorn'"),
    "ck_ventures_description_length": VEN.format("description = ''"),
    "ck_ventures_updated_after_created": VEN.format("created_at = '2999-01-01'"),
    "ck_ventures_deleted_after_created": VEN.format("deleted_at = '2000-01-01'"),
    "ck_customer_personas_persona_name_length": PER.format("persona_name = ''"),
    "ck_customer_personas_persona_type": PER.format("persona_type = 'quaternary'"),
    "ck_customer_personas_priority_rank_positive": PER.format("priority_rank = 0"),
    "ck_customer_personas_demographics_object": PER.format("demographics = '[]'"),
    "ck_customer_personas_psychographics_object": PER.format("psychographics = '\"calm\"'"),
    "ck_customer_personas_pain_points_list": PER.format("pain_points = '{}'"),
    "ck_customer_personas_jobs_to_be_done_list": PER.format("jobs_to_be_done = '{ship,NULL}'"),
    "ck_customer_personas_ai_confidence_score_range": PER.format("ai_confidence_score = 1.5"),
    "ck_customer_personas_updated_after_created": PER.format("created_at = '2999-01-01'"),
    "ck_customer_personas_deleted_after_created": PER.format("deleted_at = '2000-01-01'"),
    "ck_icp_profiles_profile_name_length": ICP.format("profile_name = ''"),
    "ck_icp_profiles_firmographics_object": ICP.format("firmographics = '[]'"),
    "ck_icp_profiles_firmographic_fit_score_range": ICP.format("firmographic_fit_score = 40.01"),
    "ck_icp_profiles_pain_intensity_score_range": ICP.format("pain_intensity_score = -1"),
    "ck_icp_profiles_ability_to_pay_score_range": ICP.format("ability_to_pay_score = 21"),
    "ck_icp_profiles_reachability_score_range": ICP.format("reachability_score = 11"),
    "ck_icp_profiles_updated_after_created": ICP.format("created_at = '2999-01-01'"),
    "ck_icp_profiles_deleted_after_created": ICP.format("deleted_at = '2000-01-01'"),
    "ck_customer_journeys_stage_range": JRN.format("stage = 5"),
    "ck_customer_journeys_stage_name": JRN.format("stage_name = 'retention'"),
    "ck_customer_journeys_description_length": JRN.format("description = ''"),
    "ck_customer_journeys_touchpoints_no_nulls": JRN.format("touchpoints = '{NULL}'"),
    "ck_customer_journeys_friction_points_no_nulls": JRN.format("friction_points = '{price,NULL}'"),
    "ck_customer_journeys_conversion_rate_range": JRN.format("conversion_rate = 1.5"),
    "ck_customer_journeys_updated_after_created": JRN.format("created_at = '2999-01-01'"),
    "ck_customer_journeys_deleted_after_created": JRN.format("deleted_at = '2000-01-01'"),
    "ck_willingness_to_pay_pricing_model": WTP.format("pricing_model = 'barter'"),
    "ck_willingness_to_pay_price_min_non_negative": WTP.format("price_min = -1"),
    "ck_willingness_to_pay_prices_ordered": WTP.format("optimal_price = price_max + 1"),
    "ck_willingness_to_pay_currency_format": WTP.format("currency = 'eur'"),
    "ck_willingness_to_pay_research_method": WTP.format("research_method = 'guess'"),
    "ck_willingness_to_pay_confidence_score_range": WTP.format("confidence_score = 1.5"),
    "ck_willingness_to_pay_notes_length": WTP.format("notes = ''"),
    "ck_willingness_to_pay_updated_after_created": WTP.format("created_at = '2999-01-01'"),
    "ck_willingness_to_pay_deleted_after_created": WTP.format("deleted_at = '2000-01-01'"),
    "ck_market_segments_segment_name_length": SEG.format("segment_name = ''"),
    "ck_market_segments_description_length": SEG.format("description = ''"),
    "ck_market_segments_characteristics_object": SEG.format("characteristics = '[]'"),
    "ck_market_segments_market_sizes_ordered": SEG.format("som = sam + 1"),
    "ck_market_segments_currency_format": SEG.format("currency = 'eur'"),
    "ck_market_segments_priority_score_range": SEG.format("priority_score = 100.5"),
    "ck_market_segments_updated_after_created": SEG.format("created_at = '2999-01-01'"),
    "ck_market_segments_deleted_after_created": SEG.format("deleted_at = '2000-01-01'"),
    "ck_customers_external_ref_length": CUS.format("external_ref = ''"),
    "ck_customers_external_ref_present": CUS.format("external_ref = NULL"),
    "ck_customers_erased_has_no_external_ref": CUS.format("erased_at = now()"),
    "ck_customers_updated_after_created": CUS.format("created_at = '2999-01-01'"),
    "ck_customers_erased_after_created": CUS.format("external_ref = NULL, erased_at = '2000-01-01'"),
    "ck_feedback_intelligence_feedback_text_length": FBI.format("feedback_text = ''"),
    "ck_feedback_intelligence_feedback_source": FBI.format("feedback_source = 'carrier pigeon'"),
    "ck_feedback_intelligence_sentiment_score_range": FBI.format("sentiment_score = 1.01"),
    "ck_feedback_intelligence_emotion_primary": FBI.format("emotion_primary = 'boredom'"),
    "ck_feedback_intelligence_emotion_intensity_range": FBI.format("emotion_intensity = 1.5"),
    "ck_feedback_intelligence_intent_classification": FBI.format("intent_classification = 'rant'"),
    "ck_feedback_intelligence_priority_score_range": FBI.format("priority_score = 101"),
    "ck_feedback_intelligence_urgency_level": FBI.format("urgency_level = 'whenever'"),
    "ck_feedback_intelligence_churn_risk_score_range": FBI.format("churn_risk_score = -0.01"),
    "ck_feedback_intelligence_churn_indicators_object": FBI.format("churn_indicators = '[]'"),
    "ck_feedback_intelligence_issue_tags_format": FBI.format("issue_tags = '{Bad Tag}'"),
    "ck_feedback_intelligence_processing_confidence_range": FBI.format("processing_confidence = 1.5"),
    "ck_feedback_intelligence_model_version_length": FBI.format("model_version = ''"),
    "ck_feedback_intelligence_processed_after_received":
        FBI.format("processed_at = received_at - interval '1 second'"),
    "ck_feedback_intelligence_updated_after_created": FBI.format("created_at = '2999-01-01'"),
    "ck_customer_sentiment_history_sentiment_score_range": CSH.format("sentiment_score = -1.01"),
    # The change is generated (score - previous score): out of range only with a previous score out of range.
    "ck_customer_sentiment_history_change_range": CSH.format("previous_sentiment_score = -5"),
    "ck_customer_sentiment_history_previous_complete": CSH.format("previous_sentiment_score = NULL"),
    "ck_customer_sentiment_history_trigger_event_length": CSH.format("trigger_event = ''"),
    "ck_feedback_trends_period_type": TRM.format("period_type = 'yearly'"),
    "ck_feedback_trends_period_aligned":
        TRD.format("period_start = period_start + interval '1 hour', period_end = period_end + interval '1 hour'"),
    "ck_feedback_trends_period_bounds": TRD.format("period_end = period_start"),
    "ck_feedback_trends_counts_non_negative": TRD.format("total_feedback_count = -1, high_churn_risk_count = -2"),
    "ck_feedback_trends_high_churn_risk_within_total":
        TRD.format("high_churn_risk_count = total_feedback_count + 1"),
    "ck_feedback_trends_average_sentiment_range": TRD.format("average_sentiment = 1.5"),
    "ck_feedback_trends_satisfaction_score_range": TRD.format("satisfaction_score = 1.5"),
    "ck_feedback_trends_average_churn_risk_range": TRD.format("average_churn_risk = -0.5"),
    "ck_feedback_trends_churn_risk_trend": TRD.format("churn_risk_trend = 'better'"),
    "ck_feedback_trends_sentiment_distribution_object": TRD.format("sentiment_distribution = '[]'"),
    "ck_feedback_trends_priority_distribution_object": TRD.format("priority_distribution = '1'"),
    "ck_feedback_trends_top_issues_array": TRD.format("top_issues = '{}'"),
    "ck_monthly_rollups_month_first_day": USO.format("month = month + 1"),
    "ck_monthly_rollups_requests_positive": USO.format("requests = 0, errors = 0"),
    "ck_monthly_rollups_errors_range": USO.format("errors = requests + 1"),
    "ck_monthly_rollups_tokens_non_negative": USO.format("tokens_in = -1"),
    "ck_monthly_rollups_cost_non_negative": USO.format("cost = -1"),
    "ck_trailing_year_totals_window_start_first_day": TYT.format("'2020-01-02', 1, 0, 0"),
    "ck_trailing_year_totals_errors_range": TYT.format("'2020-01-01', 1, 2, 0"),
    "ck_trailing_year_totals_cost_non_negative": TYT.format("'2020-01-01', 1, 0, -1"),
    # agency delivery (issue 17)
    **AGENCY_CASES,
    # the conversational platform (issue 18)
    **check_cases(),
}


def test_every_check_constraint_has_a_case(db: Conn) -> None:
    names = {r[0] for r in db.execute(
        f"""SELECT k.conname FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            WHERE k.contype = 'c' AND {PRODUCT_SCHEMAS_SQL}""")}
    assert names - CASES.keys() == set(), "add a bad value for each new CHECK to CASES"
    assert CASES.keys() - names == set(), "CASES names constraints that do not exist"


def test_each_check_rejects_a_bad_value_by_name(seeded: Conn) -> None:
    """One database for all cases (each in its own savepoint): fast, and every failure is reported."""
    problems = []
    for constraint, statement in sorted(CASES.items()):
        exc = expect_error(seeded, statement)
        if not isinstance(exc, errors.CheckViolation) or exc.sqlstate != "23514":
            problems.append(f"{constraint}: raised {exc.sqlstate} {exc.diag.message_primary}")
        elif exc.diag.constraint_name != constraint:
            problems.append(f"{constraint}: rejected by {exc.diag.constraint_name} instead")
    assert not problems, "\n".join(problems)


def test_good_values_pass(seeded: Conn) -> None:
    seeded.execute(BUD.format("alert_thresholds = '{0.25,0.5,0.9,1}'"))
    seeded.execute(KEY.format("status = 'revoked', revoked_at = now()"))
    seeded.execute(USR.format("password_hash = NULL"))


def test_unique_email_among_live_users_only(seeded: Conn) -> None:
    insert = ("INSERT INTO core.users (organization_id, email_hmac, role, deleted_at, created_at) "
              "SELECT organization_id, email_hmac, 'member', %s, created_at FROM core.users "
              f"WHERE organization_id = '{A}' AND user_id = '{USER_A}'")
    exc = expect_error(seeded, insert, (None,))
    assert isinstance(exc, errors.UniqueViolation)
    assert exc.diag.constraint_name == "uq_users_organization_id_email_hmac"
    seeded.execute(insert, ("2026-06-01",))  # a deleted account with the same email is fine
    # ... and the same email in another organization too
    seeded.execute("INSERT INTO core.users (organization_id, email_hmac) SELECT %s, email_hmac FROM core.users "
                   "WHERE organization_id = %s AND user_id = %s", (ORG_B, A, USER_A))


def _composite_tenant_fks(conn: Conn) -> list[tuple[str, str, str, list[str], list[str], list[str]]]:
    """(name, child, parent, child columns, parent columns, child column types) of multi-column FKs."""
    return conn.execute(
        f"""SELECT k.conname, k.conrelid::regclass::text, k.confrelid::regclass::text,
                   array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o),
                   array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                         JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o),
                   array(SELECT format_type(a.atttypid, a.atttypmod) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o)
            FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            WHERE k.contype = 'f' AND {PRODUCT_SCHEMAS_SQL} AND cardinality(k.conkey) > 1
            ORDER BY 1""").fetchall()


def _refusing_peers(conn: Conn, child: str, conname: str, columns: list[str]) -> set[str]:
    """Other foreign keys that refuse the same change: composite keys of `child` that share a changed
    column (client_id, in keys that keep a row with one client), and keys of other tables that
    reference a changed column of `child` (changing a referenced key would orphan their rows)."""
    changed = set(columns) - {"organization_id"}
    peers = {name for name, table, _parent, cols, _parent_cols, _types in _composite_tenant_fks(conn)
             if table == child and name != conname and set(cols) & changed}
    referencing = {name for name, _table, parent, _cols, parent_cols, _types in _composite_tenant_fks(conn)
                   if parent == child and set(parent_cols) & changed}
    return peers | referencing


def test_tenant_foreign_keys_are_composite(db: Conn) -> None:
    """Every FK from a tenant table to a tenant table includes organization_id on both sides, except the
    approved single-column keys of frozen tables (commented `Frozen:`), which have a composite twin."""
    bad = db.execute(
        f"""SELECT k.conname FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            WHERE k.contype = 'f' AND {PRODUCT_SCHEMAS_SQL}
              AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = k.confrelid AND a.attname = 'organization_id')
              AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attname = 'organization_id'
                              AND a.attnum = ANY (k.conkey))
              AND coalesce(obj_description(k.oid, 'pg_constraint'), '') NOT LIKE 'Frozen:%'""").fetchall()
    assert not bad
    assert {r[0] for r in _composite_tenant_fks(db)} >= {
        "fk_api_keys_user_id", "fk_erasure_requests_user_id", "fk_erasure_requests_customer_id",
        "fk_customer_personas_venture_id", "fk_icp_profiles_venture_id", "fk_customer_journeys_persona_id",
        "fk_willingness_to_pay_venture_id", "fk_willingness_to_pay_persona_id", "fk_market_segments_venture_id",
        "fk_feedback_intelligence_venture_id", "fk_feedback_intelligence_customer_id",
        "fk_customer_sentiment_history_venture_id", "fk_customer_sentiment_history_customer_id",
        "fk_customer_sentiment_history_feedback_id", "fk_customer_sentiment_history_previous",
        "fk_feedback_trends_venture_id", "fk_erasure_requests_lead_id"}


def test_composite_foreign_keys_refuse_cross_tenant_references(seeded: Conn) -> None:
    """For every composite FK: point a row of tenant A at a parent of tenant B; it must fail by name."""
    for conname, child, parent, columns, parent_columns, types in _composite_tenant_fks(seeded):
        assert "organization_id" in columns, conname
        others = [(c, p, t) for c, p, t in zip(columns, parent_columns, types, strict=True) if c != "organization_id"]
        parent_row = seeded.execute(sql.SQL("SELECT to_jsonb(p) FROM {} p WHERE organization_id = %s LIMIT 1").format(
            sql.SQL(parent)), (ORG_B,)).fetchone()[0]
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = (%s::jsonb ->> {})::{}").format(sql.Identifier(c), sql.Literal(p), sql.SQL(t))
            for c, p, t in others)
        # A row that holds the reference (a nullable reference may be unset in other rows).
        holds = sql.SQL("").join(sql.SQL(" AND {} IS NOT NULL").format(sql.Identifier(c)) for c, _, _ in others)
        statement = sql.SQL("UPDATE {} SET {} WHERE ctid = (SELECT ctid FROM {} WHERE organization_id = %s{} LIMIT 1)"
                            ).format(sql.SQL(child), assignments, sql.SQL(child), holds)
        exc = expect_error(seeded, statement, [json.dumps(parent_row)] * len(others) + [ORG_A])
        assert isinstance(exc, errors.ForeignKeyViolation), f"{conname}: {exc.sqlstate} {exc}"
        # A key that also names the client (organization_id, client_id, x) is refused by it or by the
        # client's own key of the same row, whichever PostgreSQL checks first: both point into tenant B.
        assert exc.diag.constraint_name == conname or exc.diag.constraint_name in _refusing_peers(
            seeded, child, conname, columns), f"{conname}: refused by {exc.diag.constraint_name}"
