"""Shared data for the conversational platform's tests (issue 18): its tables, the bad value of each
of its CHECKs, and a database populated at the scale the retrofit is measured on."""

from __future__ import annotations

from typing import Any

import psycopg

Conn = psycopg.Connection[Any]

SCHEMA = "conversational"
FROZEN_TABLES = ["conversations", "users", "businesses", "channel_integrations", "messages", "leads",
                 "knowledge_entries", "conversation_memory", "analytics_events", "ad_assets"]
NEW_TABLES = ["subscriptions", "payments"]
# Seeded rows of tenant A (seeds/60_conversational.sql).
ROW_A = 1001
LEAD_A = 1001
LEAD_B = 2001
# The retrofit's migrations, in order: each is dry-run on the populated database.
RETROFIT = ["202611291610", "202611291611", "202611291612", "202611291613", "202611291614", "202611291615",
            "202611291616", "202611291617", "202611291618", "202611291619", "202611291620", "202611291621",
            "202611291622", "202611291623", "202611291624", "202611291625", "202611291626"]
BEFORE_RETROFIT = "202611291600"
# The test walks the retrofit on a tenth of the measured population (same shape, several batches per
# table), which keeps the suite fast; docs/benchmarks.md measures populate()'s default of 200,000.
POPULATED_MESSAGES = 20_000

_REPLICA = "SET LOCAL session_replication_role = replica; "  # ordinary triggers (the fillers) stay quiet


def _update(table: str, assignments: str, replica: bool = False) -> str:
    key = {"subscriptions": "subscription_id", "payments": "payment_id"}.get(table, "id")
    return f"{_REPLICA if replica else ''}UPDATE {SCHEMA}.{table} SET {assignments} WHERE {key} = {ROW_A}"


_LONG = "repeat('x', 70000)"
# constraint -> (table, bad assignment[, bypass the filling triggers])
_BAD: dict[str, tuple[str, str] | tuple[str, str, bool]] = {
    "ck_users_email_format": ("users", "email = 'not-an-email'"),
    "ck_users_full_name_length": ("users", "full_name = ''"),
    "ck_users_hashed_password_format": ("users", "hashed_password = 'plaintext'"),
    "ck_users_role_length": ("users", "role = ''"),
    "ck_users_updated_after_created": ("users", "created_at = '2999-01-01'"),
    "ck_businesses_name_length": ("businesses", "name = ''"),
    "ck_businesses_settings_object": ("businesses", "settings = '[]'"),
    "ck_businesses_updated_after_created": ("businesses", "created_at = '2999-01-01'"),
    "ck_channel_integrations_channel_length": ("channel_integrations", "channel = ''"),
    "ck_channel_integrations_channel_name_length": ("channel_integrations", "channel_name = ''"),
    "ck_channel_integrations_credentials_protected":
        ("channel_integrations", "credentials = '{\"token\": \"plaintext-secret\"}'"),
    "ck_channel_integrations_updated_after_created": ("channel_integrations", "created_at = '2999-01-01'"),
    "ck_channel_integrations_webhook_url_https": ("channel_integrations", "webhook_url = 'http://insecure.example'"),
    "ck_conversations_bot_reply_length": ("conversations", f"bot_reply = {_LONG}"),
    "ck_conversations_channel_length": ("conversations", "channel = ''"),
    "ck_conversations_intent_length": ("conversations", "intent = ''"),
    "ck_conversations_model_name_length": ("conversations", "model_name = ''"),
    "ck_conversations_session_id_length": ("conversations", "session_id = ''"),
    "ck_conversations_tokens_used_non_negative": ("conversations", "tokens_used = -1"),
    "ck_conversations_user_id_length": ("conversations", "user_id = ''"),
    "ck_conversations_user_message_length": ("conversations", f"user_message = {_LONG}"),
    "ck_messages_channel_length": ("messages", "channel = ''"),
    "ck_messages_conversation_id_present": ("messages", "conversation_id = NULL", True),
    "ck_messages_intent_length": ("messages", "intent = ''"),
    "ck_messages_message_text_length": ("messages", f"message_text = {_LONG}"),
    "ck_messages_message_type": ("messages", "message_type = 'video'"),
    "ck_messages_session_id_length": ("messages", "session_id = ''"),
    "ck_messages_user_id_length": ("messages", "user_id = ''"),
    "ck_leads_channel_length": ("leads", "channel = ''"),
    "ck_leads_conversion_value_non_negative": ("leads", "conversion_value = -0.01"),
    "ck_leads_converted_after_created": ("leads", "converted_at = '2000-01-01'"),
    "ck_leads_email_length": ("leads", "email = 'x'"),
    "ck_leads_extra_data_object": ("leads", "extra_data = '[]'"),
    "ck_leads_name_length": ("leads", "name = ''"),
    "ck_leads_phone_length": ("leads", "phone = '1'"),
    "ck_leads_source_intent_length": ("leads", "source_intent = ''"),
    "ck_leads_status_length": ("leads", "status = ''"),
    "ck_leads_updated_after_created": ("leads", "created_at = '2999-01-01'"),
    "ck_leads_user_id_length": ("leads", "user_id = ''"),
    "ck_knowledge_entries_answer_length": ("knowledge_entries", "answer = ''"),
    "ck_knowledge_entries_intent_length": ("knowledge_entries", "intent = ''"),
    "ck_knowledge_entries_keywords_array": ("knowledge_entries", "keywords = '{}'"),
    "ck_knowledge_entries_question_length": ("knowledge_entries", "question = ''"),
    "ck_knowledge_entries_updated_after_created": ("knowledge_entries", "created_at = '2999-01-01'"),
    "ck_conversation_memory_channel_length": ("conversation_memory", "channel = ''"),
    "ck_conversation_memory_context_data_object": ("conversation_memory", "context_data = '[]'"),
    "ck_conversation_memory_last_intent_length": ("conversation_memory", "last_intent = ''"),
    "ck_conversation_memory_message_count_non_negative": ("conversation_memory", "message_count = -1"),
    "ck_conversation_memory_session_id_length": ("conversation_memory", "session_id = ''"),
    "ck_conversation_memory_user_id_length": ("conversation_memory", "user_id = ''"),
    "ck_analytics_events_channel_length": ("analytics_events", "channel = ''"),
    "ck_analytics_events_event_category_length": ("analytics_events", "event_category = ''"),
    "ck_analytics_events_event_type_length": ("analytics_events", "event_type = ''"),
    "ck_analytics_events_user_id_length": ("analytics_events", "user_id = ''"),
    "ck_ad_assets_asset_type_length": ("ad_assets", "asset_type = ''"),
    "ck_ad_assets_content_length": ("ad_assets", f"content = {_LONG}"),
    "ck_ad_assets_extra_data_object": ("ad_assets", "extra_data = '[]'"),
    "ck_ad_assets_file_size_non_negative": ("ad_assets", "file_size = -1"),
    "ck_ad_assets_file_url_https": ("ad_assets", "file_url = 'ftp://files.example/a.mp4'"),
    "ck_ad_assets_platform_length": ("ad_assets", "platform = ''"),
    "ck_ad_assets_status_length": ("ad_assets", "status = ''"),
    "ck_ad_assets_title_length": ("ad_assets", "title = ''"),
    "ck_ad_assets_updated_after_created": ("ad_assets", "created_at = '2999-01-01'"),
    "ck_subscriptions_amount_non_negative": ("subscriptions", "amount = -1"),
    "ck_subscriptions_billing_cycle": ("subscriptions", "billing_cycle = 'weekly'"),
    "ck_subscriptions_canceled_consistent": ("subscriptions", "status = 'canceled'"),
    "ck_subscriptions_currency_format": ("subscriptions", "currency = 'usd'"),
    "ck_subscriptions_period_order": ("subscriptions", "current_period_end = current_period_start"),
    "ck_subscriptions_plan_length": ("subscriptions", "plan = ''"),
    "ck_subscriptions_status": ("subscriptions", "status = 'paused'"),
    "ck_subscriptions_updated_after_created": ("subscriptions", "created_at = '2999-01-01'"),
    "ck_payments_amount_positive": ("payments", "amount = 0"),
    "ck_payments_currency_format": ("payments", "currency = 'EURO'"),
    "ck_payments_failure_reason_length": ("payments", "failure_reason = ''"),
    "ck_payments_paid_when_succeeded": ("payments", "paid_at = NULL"),
    "ck_payments_status": ("payments", "status = 'lost', paid_at = NULL"),
    "ck_payments_transaction_id_length": ("payments", "transaction_id = ''"),
    "ck_payments_updated_after_created": ("payments", "created_at = '2999-01-01'"),
}
for _table in FROZEN_TABLES:
    _BAD[f"ck_{_table}_organization_id_present"] = (_table, "organization_id = NULL", True)


def check_cases() -> dict[str, str]:
    """constraint name -> a statement on the seeded rows that this CHECK, and only it, must refuse."""
    cases = {name: _update(*spec) for name, spec in _BAD.items()}
    cases["ck_erasure_requests_lead_subject"] = (
        f"UPDATE governance.erasure_requests SET lead_id = {LEAD_A} "
        "WHERE organization_id = '11111111-1111-4111-8111-111111111111' AND status = 'pending' "
        "AND subject_type = 'user'")
    return cases


def login_role(admin_url: str, name: str, member_of: str) -> str:
    """Create a LOGIN role granted `member_of` (roles are cluster-wide: name it after the test) and
    return a URL that logs in as it. Drop it with `drop_login_role`."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')
        conn.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE {member_of}')
    return admin_url.replace("postgres@", f"{name}@", 1)


def drop_login_role(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{name}"')


# The legacy data the retrofit is measured on: by default 200,000 messages in 50,000 conversations of
# 20 businesses (one integration each, so every legacy row can be attributed), 1% orphan messages.
POPULATE = """
INSERT INTO conversational.users (id, email, hashed_password, full_name)
SELECT g, 'u' || g || '@x.example',
       '$argon2id$v=19$m=65536,t=3,p=4$ZGJydW4tZGV2LXNhbHQtMQ$gjxw0hjFyJIYY8M1nIzVu6YI3umjNPZw95j/edGxbYw', 'User ' || g
FROM generate_series(1, 20) g;
INSERT INTO conversational.businesses (id, name, owner_id) SELECT g, 'Business ' || g, g FROM generate_series(1, 20) g;
INSERT INTO conversational.channel_integrations (business_id, channel, credentials)
SELECT g, 'channel-' || g, 'secretref:vault://bots/' || g FROM generate_series(1, 20) g;
INSERT INTO conversational.conversations (id, user_id, channel, user_message, bot_reply, created_at)
SELECT g, 'end-user-' || (g % 5000), 'channel-' || (1 + g % 20), 'question ' || g, 'answer ' || g,
       timestamptz '2026-01-01' + g * interval '1 minute'
FROM generate_series(1, {conversations}) g;
INSERT INTO conversational.messages (conversation_id, user_id, channel, message_text, is_from_user, created_at)
SELECT CASE WHEN g % 100 = 0 THEN NULL ELSE c END, 'end-user-' || (c % 5000), 'channel-' || (1 + c % 20),
       'message ' || g, g % 2 = 0, timestamptz '2026-01-01' + c * interval '1 minute' + interval '1 second'
FROM generate_series(1, {messages}) g, LATERAL (SELECT 1 + (g / 4) % {conversations} AS c) AS k;
INSERT INTO conversational.leads (business_id, user_id, channel, name, email)
SELECT 1 + g % 20, 'end-user-' || g, 'channel-' || (1 + g % 20), 'Lead ' || g, 'lead' || g || '@x.example'
FROM generate_series(1, 2000) g;
INSERT INTO conversational.knowledge_entries (business_id, question, answer)
SELECT 1 + g % 20, 'q' || g, 'a' || g FROM generate_series(1, 200) g;
INSERT INTO conversational.conversation_memory (user_id, channel)
SELECT 'end-user-' || g, 'channel-' || (1 + g % 20) FROM generate_series(1, 5000) g;
INSERT INTO conversational.analytics_events (business_id, event_type)
SELECT CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + g % 20 END, 'evt' FROM generate_series(1, 10000) g;
INSERT INTO conversational.ad_assets (business_id, asset_type, title)
SELECT 1 + g % 20, 'video', 't' || g FROM generate_series(1, 100) g;
SELECT setval(pg_get_serial_sequence('conversational.' || t, 'id'), 1000000, false)
FROM unnest(ARRAY['users', 'businesses', 'conversations']) AS t;
"""


def populate(url: str, messages: int = 200_000) -> None:
    """The legacy population: `messages` messages, four per conversation."""
    sql = POPULATE.format(messages=int(messages), conversations=max(1, int(messages) // 4))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)
        conn.execute("ANALYZE")
