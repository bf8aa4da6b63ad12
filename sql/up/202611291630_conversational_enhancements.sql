-- Migration: conversational_enhancements
-- The review's post-freeze enhancements, as the freeze allows them: nullable columns only. Session
-- threading (session_id), model usage on conversations (model_id referencing the platform's model
-- registry core.models, model_name as reported, tokens_used), event_category/event_value on analytics
-- events, conversion_value (numeric money) and converted_at on leads, last_login_at on users,
-- last_sync_at on integrations, message_type on messages, file_url/file_size on ad assets. Each new
-- CHECK and foreign key is added NOT VALID (no scan under the strong lock); 202611291633 validates them.
-- Locks: ACCESS EXCLUSIVE (catalog only, no rewrite, no scan) on conversational.conversations, messages, leads, users, channel_integrations, analytics_events, ad_assets, conversation_memory (ADD COLUMN, ADD CONSTRAINT NOT VALID)

SET LOCAL ROLE app_owner;

-- Why: threading and model usage; a nullable column is a catalog change only.
ALTER TABLE conversational.conversations
    ADD COLUMN session_id text,
    ADD COLUMN model_id uuid,
    ADD COLUMN model_name text,
    ADD COLUMN tokens_used bigint,
    ADD CONSTRAINT ck_conversations_session_id_length CHECK (pg_catalog.char_length(session_id) BETWEEN 1 AND 100) NOT VALID,
    ADD CONSTRAINT ck_conversations_model_name_length CHECK (pg_catalog.char_length(model_name) BETWEEN 1 AND 200) NOT VALID,
    ADD CONSTRAINT ck_conversations_tokens_used_non_negative CHECK (tokens_used >= 0) NOT VALID;
ALTER TABLE conversational.conversation_memory
    ADD COLUMN session_id text,
    ADD CONSTRAINT ck_conversation_memory_session_id_length CHECK (pg_catalog.char_length(session_id) BETWEEN 1 AND 100) NOT VALID;

-- Why: media support; legacy rows stay NULL (text); the CHECK lists what readers must handle.
ALTER TABLE conversational.messages
    ADD COLUMN message_type text,
    ADD COLUMN session_id text,
    ADD CONSTRAINT ck_messages_message_type CHECK (message_type IN ('text', 'image', 'file')) NOT VALID,
    ADD CONSTRAINT ck_messages_session_id_length CHECK (pg_catalog.char_length(session_id) BETWEEN 1 AND 100) NOT VALID;

-- Why: revenue tracking in numeric money (never float); a conversion has a time.
ALTER TABLE conversational.leads
    ADD COLUMN conversion_value numeric(14, 2),
    ADD COLUMN converted_at timestamptz,
    ADD CONSTRAINT ck_leads_conversion_value_non_negative CHECK (conversion_value >= 0) NOT VALID,
    ADD CONSTRAINT ck_leads_converted_after_created CHECK (converted_at >= created_at) NOT VALID;

ALTER TABLE conversational.users
    ADD COLUMN last_login_at timestamptz;
ALTER TABLE conversational.channel_integrations
    ADD COLUMN last_sync_at timestamptz;

ALTER TABLE conversational.analytics_events
    ADD COLUMN event_category text,
    ADD COLUMN event_value numeric,
    ADD CONSTRAINT ck_analytics_events_event_category_length CHECK (pg_catalog.char_length(event_category) BETWEEN 1 AND 100) NOT VALID;

ALTER TABLE conversational.ad_assets
    ADD COLUMN file_url text,
    ADD COLUMN file_size bigint,
    ADD CONSTRAINT ck_ad_assets_file_url_https CHECK (pg_catalog.char_length(file_url) <= 2048 AND file_url ~ '^https://') NOT VALID,
    ADD CONSTRAINT ck_ad_assets_file_size_non_negative CHECK (file_size >= 0) NOT VALID;

COMMENT ON COLUMN conversational.conversations.session_id IS 'Thread of exchanges (client session id).';
COMMENT ON COLUMN conversational.conversations.model_id IS 'Model of the platform registry (core.models) that wrote bot_reply.';
COMMENT ON COLUMN conversational.conversations.model_name IS 'Model name as the provider reported it (kept when the registry has no entry).';
COMMENT ON COLUMN conversational.conversations.tokens_used IS 'Tokens the reply cost (input + output).';
COMMENT ON COLUMN conversational.conversation_memory.session_id IS 'Thread the memory belongs to.';
COMMENT ON COLUMN conversational.messages.message_type IS 'text, image or file; NULL on rows written before 202611291630 (text).';
COMMENT ON COLUMN conversational.messages.session_id IS 'Thread of the message; groups orphan messages (see the conversation_id playbook).';
COMMENT ON COLUMN conversational.leads.conversion_value IS 'Revenue of the conversion (numeric(14,2), currency of the business).';
COMMENT ON COLUMN conversational.leads.converted_at IS 'When the lead converted.';
COMMENT ON COLUMN conversational.users.last_login_at IS 'Last successful sign-in (security monitoring).';
COMMENT ON COLUMN conversational.channel_integrations.last_sync_at IS 'Last successful sync with the platform (connection health).';
COMMENT ON COLUMN conversational.analytics_events.event_category IS 'Group of event types.';
COMMENT ON COLUMN conversational.analytics_events.event_value IS 'Numeric metric of the event (numeric, exact).';
COMMENT ON COLUMN conversational.ad_assets.file_url IS 'https URL of the stored file.';
COMMENT ON COLUMN conversational.ad_assets.file_size IS 'File size in bytes.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('conversational', 'conversations', 'session_id', 'internal'),
    ('conversational', 'conversations', 'model_id', 'internal'),
    ('conversational', 'conversations', 'model_name', 'internal'),
    ('conversational', 'conversations', 'tokens_used', 'internal'),
    ('conversational', 'conversation_memory', 'session_id', 'internal'),
    ('conversational', 'messages', 'message_type', 'internal'),
    ('conversational', 'messages', 'session_id', 'internal'),
    ('conversational', 'leads', 'conversion_value', 'confidential'),
    ('conversational', 'leads', 'converted_at', 'internal'),
    ('conversational', 'users', 'last_login_at', 'pii'),
    ('conversational', 'channel_integrations', 'last_sync_at', 'internal'),
    ('conversational', 'analytics_events', 'event_category', 'internal'),
    ('conversational', 'analytics_events', 'event_value', 'internal'),
    ('conversational', 'ad_assets', 'file_url', 'confidential'),
    ('conversational', 'ad_assets', 'file_size', 'internal');

RESET ROLE;
