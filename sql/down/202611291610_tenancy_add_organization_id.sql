-- Migration: tenancy_add_organization_id
-- Removes the fill triggers, the attribution functions and the organization_id/business_id columns
-- (and their classification rows) that the up file added.
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (DROP TRIGGER, DROP COLUMN)

SET LOCAL ROLE app_owner;

DROP TRIGGER trg_users_fill_organization_id ON conversational.users;
DROP TRIGGER trg_businesses_fill_organization_id ON conversational.businesses;
DROP TRIGGER trg_channel_integrations_fill_organization_id ON conversational.channel_integrations;
DROP TRIGGER trg_conversations_fill_organization_id ON conversational.conversations;
DROP TRIGGER trg_messages_fill_organization_id ON conversational.messages;
DROP TRIGGER trg_leads_fill_organization_id ON conversational.leads;
DROP TRIGGER trg_knowledge_entries_fill_organization_id ON conversational.knowledge_entries;
DROP TRIGGER trg_conversation_memory_fill_organization_id ON conversational.conversation_memory;
DROP TRIGGER trg_analytics_events_fill_organization_id ON conversational.analytics_events;
DROP TRIGGER trg_ad_assets_fill_organization_id ON conversational.ad_assets;
DROP FUNCTION conversational.tg_fill_organization_id();
DROP FUNCTION conversational.new_business_organization(bigint, text);
DROP FUNCTION conversational.business_of_channel(text);
DROP FUNCTION conversational.organization_of_business(bigint);

DELETE FROM governance.column_classifications
WHERE schema_name = 'conversational' AND (column_name = 'organization_id'
    OR (column_name = 'business_id' AND table_name IN ('users', 'conversations', 'conversation_memory')));
ALTER TABLE conversational.users
    DROP COLUMN organization_id,
    DROP COLUMN business_id;
ALTER TABLE conversational.businesses
    DROP COLUMN organization_id;
ALTER TABLE conversational.channel_integrations
    DROP COLUMN organization_id;
ALTER TABLE conversational.conversations
    DROP COLUMN organization_id,
    DROP COLUMN business_id;
ALTER TABLE conversational.messages
    DROP COLUMN organization_id;
ALTER TABLE conversational.leads
    DROP COLUMN organization_id;
ALTER TABLE conversational.knowledge_entries
    DROP COLUMN organization_id;
ALTER TABLE conversational.conversation_memory
    DROP COLUMN organization_id,
    DROP COLUMN business_id;
ALTER TABLE conversational.analytics_events
    DROP COLUMN organization_id;
ALTER TABLE conversational.ad_assets
    DROP COLUMN organization_id;

RESET ROLE;
