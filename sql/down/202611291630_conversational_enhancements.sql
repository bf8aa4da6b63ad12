-- Migration: conversational_enhancements
-- Drops the columns (and with them their CHECKs) and classification rows the up file added.
-- Locks: ACCESS EXCLUSIVE (catalog only) on conversational.conversations, messages, leads, users, channel_integrations, analytics_events, ad_assets, conversation_memory (DROP COLUMN)

SET LOCAL ROLE app_owner;

DELETE FROM governance.column_classifications
WHERE schema_name = 'conversational' AND (table_name, column_name) IN (
    ('conversations', 'session_id'), ('conversations', 'model_id'), ('conversations', 'model_name'),
    ('conversations', 'tokens_used'), ('conversation_memory', 'session_id'), ('messages', 'message_type'),
    ('messages', 'session_id'), ('leads', 'conversion_value'), ('leads', 'converted_at'),
    ('users', 'last_login_at'), ('channel_integrations', 'last_sync_at'), ('analytics_events', 'event_category'),
    ('analytics_events', 'event_value'), ('ad_assets', 'file_url'), ('ad_assets', 'file_size'));

ALTER TABLE conversational.ad_assets
    DROP CONSTRAINT ck_ad_assets_file_size_non_negative,
    DROP CONSTRAINT ck_ad_assets_file_url_https,
    DROP COLUMN file_size,
    DROP COLUMN file_url;
ALTER TABLE conversational.analytics_events
    DROP CONSTRAINT ck_analytics_events_event_category_length,
    DROP COLUMN event_value,
    DROP COLUMN event_category;
ALTER TABLE conversational.channel_integrations DROP COLUMN last_sync_at;
ALTER TABLE conversational.users DROP COLUMN last_login_at;
ALTER TABLE conversational.leads
    DROP CONSTRAINT ck_leads_converted_after_created,
    DROP CONSTRAINT ck_leads_conversion_value_non_negative,
    DROP COLUMN converted_at,
    DROP COLUMN conversion_value;
ALTER TABLE conversational.messages
    DROP CONSTRAINT ck_messages_session_id_length,
    DROP CONSTRAINT ck_messages_message_type,
    DROP COLUMN session_id,
    DROP COLUMN message_type;
ALTER TABLE conversational.conversation_memory
    DROP CONSTRAINT ck_conversation_memory_session_id_length,
    DROP COLUMN session_id;
ALTER TABLE conversational.conversations
    DROP CONSTRAINT ck_conversations_tokens_used_non_negative,
    DROP CONSTRAINT ck_conversations_model_name_length,
    DROP CONSTRAINT ck_conversations_session_id_length,
    DROP COLUMN tokens_used,
    DROP COLUMN model_name,
    DROP COLUMN model_id,
    DROP COLUMN session_id;

RESET ROLE;
