-- Migration: conversational_enhancements_validate
-- Validates the CHECKs of 202611291630 (message_type among them) and the model foreign key of
-- 202611291632: a scan under SHARE UPDATE EXCLUSIVE, reads and writes continue.
-- Locks: SHARE UPDATE EXCLUSIVE on conversational.conversations, messages, leads, analytics_events, ad_assets, conversation_memory (VALIDATE CONSTRAINT); ROW SHARE on core.models

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.conversations VALIDATE CONSTRAINT ck_conversations_session_id_length;
ALTER TABLE conversational.conversations VALIDATE CONSTRAINT ck_conversations_model_name_length;
ALTER TABLE conversational.conversations VALIDATE CONSTRAINT ck_conversations_tokens_used_non_negative;
ALTER TABLE conversational.conversation_memory VALIDATE CONSTRAINT ck_conversation_memory_session_id_length;
ALTER TABLE conversational.messages VALIDATE CONSTRAINT ck_messages_message_type;
ALTER TABLE conversational.messages VALIDATE CONSTRAINT ck_messages_session_id_length;
ALTER TABLE conversational.leads VALIDATE CONSTRAINT ck_leads_conversion_value_non_negative;
ALTER TABLE conversational.leads VALIDATE CONSTRAINT ck_leads_converted_after_created;
ALTER TABLE conversational.analytics_events VALIDATE CONSTRAINT ck_analytics_events_event_category_length;
ALTER TABLE conversational.ad_assets VALIDATE CONSTRAINT ck_ad_assets_file_url_https;
ALTER TABLE conversational.ad_assets VALIDATE CONSTRAINT ck_ad_assets_file_size_non_negative;
ALTER TABLE conversational.conversations VALIDATE CONSTRAINT fk_conversations_model_id;

RESET ROLE;
