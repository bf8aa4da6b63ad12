-- Migration: conversational_enhancements_validate
-- Marks the CHECKs and the foreign key NOT VALID again (drop and re-add NOT VALID: no scan).
-- Locks: ACCESS EXCLUSIVE (catalog only) on conversational.conversations, messages, leads, analytics_events, ad_assets, conversation_memory; SHARE ROW EXCLUSIVE on core.models

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.conversations
    DROP CONSTRAINT ck_conversations_session_id_length, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_conversations_session_id_length CHECK (pg_catalog.char_length(session_id) BETWEEN 1 AND 100) NOT VALID;
ALTER TABLE conversational.conversations
    DROP CONSTRAINT ck_conversations_model_name_length, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_conversations_model_name_length CHECK (pg_catalog.char_length(model_name) BETWEEN 1 AND 200) NOT VALID;
ALTER TABLE conversational.conversations
    DROP CONSTRAINT ck_conversations_tokens_used_non_negative, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_conversations_tokens_used_non_negative CHECK (tokens_used >= 0) NOT VALID;
ALTER TABLE conversational.conversation_memory
    DROP CONSTRAINT ck_conversation_memory_session_id_length, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_conversation_memory_session_id_length CHECK (pg_catalog.char_length(session_id) BETWEEN 1 AND 100) NOT VALID;
ALTER TABLE conversational.messages
    DROP CONSTRAINT ck_messages_message_type, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_messages_message_type CHECK (message_type IN ('text', 'image', 'file')) NOT VALID;
ALTER TABLE conversational.messages
    DROP CONSTRAINT ck_messages_session_id_length, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_messages_session_id_length CHECK (pg_catalog.char_length(session_id) BETWEEN 1 AND 100) NOT VALID;
ALTER TABLE conversational.leads
    DROP CONSTRAINT ck_leads_conversion_value_non_negative, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_leads_conversion_value_non_negative CHECK (conversion_value >= 0) NOT VALID;
ALTER TABLE conversational.leads
    DROP CONSTRAINT ck_leads_converted_after_created, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_leads_converted_after_created CHECK (converted_at >= created_at) NOT VALID;
ALTER TABLE conversational.analytics_events
    DROP CONSTRAINT ck_analytics_events_event_category_length, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_analytics_events_event_category_length CHECK (pg_catalog.char_length(event_category) BETWEEN 1 AND 100) NOT VALID;
ALTER TABLE conversational.ad_assets
    DROP CONSTRAINT ck_ad_assets_file_url_https, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_ad_assets_file_url_https CHECK (pg_catalog.char_length(file_url) <= 2048 AND file_url ~ '^https://') NOT VALID;
ALTER TABLE conversational.ad_assets
    DROP CONSTRAINT ck_ad_assets_file_size_non_negative, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_ad_assets_file_size_non_negative CHECK (file_size >= 0) NOT VALID;
ALTER TABLE conversational.conversations
    DROP CONSTRAINT fk_conversations_model_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_conversations_model_id FOREIGN KEY (model_id)
        REFERENCES core.models (model_id) ON DELETE RESTRICT NOT VALID;

RESET ROLE;
