-- Migration: conversational_frozen_schema
-- Removes the conversational schema, its tables and their classification rows (exact inverse).

SET LOCAL ROLE app_owner;

DELETE FROM governance.column_classifications WHERE schema_name = 'conversational';
DROP TABLE conversational.ad_assets;
DROP TABLE conversational.analytics_events;
DROP TABLE conversational.conversation_memory;
DROP TABLE conversational.knowledge_entries;
DROP TABLE conversational.leads;
DROP TABLE conversational.messages;
DROP TABLE conversational.conversations;
DROP TABLE conversational.channel_integrations;
DROP TABLE conversational.businesses;
DROP TABLE conversational.users;

RESET ROLE;
DROP SCHEMA conversational;
