"""Integrity: every CHECK rejects a bad value under its own name (23514); composite foreign keys
refuse references into another tenant (23503), generated from the catalog."""

from __future__ import annotations

import json

from psycopg import errors, sql

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


def _composite_tenant_fks(conn: Conn) -> list[tuple[str, str, str, list[str], list[str]]]:
    return conn.execute(
        f"""SELECT k.conname, k.conrelid::regclass::text, k.confrelid::regclass::text,
                   array(SELECT a.attname::text FROM unnest(k.conkey) WITH ORDINALITY u(n, o)
                         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.o),
                   array(SELECT a.attname::text FROM unnest(k.confkey) WITH ORDINALITY u(n, o)
                         JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.o)
            FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            WHERE k.contype = 'f' AND {PRODUCT_SCHEMAS_SQL} AND cardinality(k.conkey) > 1
            ORDER BY 1""").fetchall()


def test_tenant_foreign_keys_are_composite(db: Conn) -> None:
    """Every FK from a tenant table to a tenant table includes organization_id on both sides."""
    bad = db.execute(
        f"""SELECT k.conname FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
            WHERE k.contype = 'f' AND {PRODUCT_SCHEMAS_SQL}
              AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = k.confrelid AND a.attname = 'organization_id')
              AND NOT EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = k.conrelid AND a.attname = 'organization_id'
                              AND a.attnum = ANY (k.conkey))""").fetchall()
    assert not bad
    assert {r[0] for r in _composite_tenant_fks(db)} >= {"fk_api_keys_user_id", "fk_erasure_requests_user_id"}


def test_composite_foreign_keys_refuse_cross_tenant_references(seeded: Conn) -> None:
    """For every composite FK: point a row of tenant A at a parent of tenant B; it must fail by name."""
    for conname, child, parent, columns, parent_columns in _composite_tenant_fks(seeded):
        assert "organization_id" in columns, conname
        others = [(c, p) for c, p in zip(columns, parent_columns, strict=True) if c != "organization_id"]
        parent_row = seeded.execute(sql.SQL("SELECT to_jsonb(p) FROM {} p WHERE organization_id = %s LIMIT 1").format(
            sql.SQL(parent)), (ORG_B,)).fetchone()[0]
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = (%s::jsonb ->> {})::uuid").format(sql.Identifier(c), sql.Literal(p)) for c, p in others)
        statement = sql.SQL("UPDATE {} SET {} WHERE ctid = (SELECT ctid FROM {} WHERE organization_id = %s LIMIT 1)"
                            ).format(sql.SQL(child), assignments, sql.SQL(child))
        exc = expect_error(seeded, statement, [json.dumps(parent_row)] * len(others) + [ORG_A])
        assert isinstance(exc, errors.ForeignKeyViolation), f"{conname}: {exc.sqlstate} {exc}"
        assert exc.diag.constraint_name == conname
