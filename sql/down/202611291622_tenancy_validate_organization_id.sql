-- Migration: tenancy_validate_organization_id
-- Marks the CHECKs NOT VALID again (the catalog state before the up file), so the down chain is exact.
-- Locks: ACCESS EXCLUSIVE (catalog only) on the ten conversational tables (pg_constraint update through DROP/ADD)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users
    DROP CONSTRAINT ck_users_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_users_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_users_organization_id_present ON conversational.users IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.businesses
    DROP CONSTRAINT ck_businesses_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_businesses_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_businesses_organization_id_present ON conversational.businesses IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.channel_integrations
    DROP CONSTRAINT ck_channel_integrations_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_channel_integrations_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_channel_integrations_organization_id_present ON conversational.channel_integrations IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.conversations
    DROP CONSTRAINT ck_conversations_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_conversations_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_conversations_organization_id_present ON conversational.conversations IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.messages
    DROP CONSTRAINT ck_messages_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_messages_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_messages_organization_id_present ON conversational.messages IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.leads
    DROP CONSTRAINT ck_leads_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_leads_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_leads_organization_id_present ON conversational.leads IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.knowledge_entries
    DROP CONSTRAINT ck_knowledge_entries_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_knowledge_entries_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_knowledge_entries_organization_id_present ON conversational.knowledge_entries IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.conversation_memory
    DROP CONSTRAINT ck_conversation_memory_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_conversation_memory_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_conversation_memory_organization_id_present ON conversational.conversation_memory IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.analytics_events
    DROP CONSTRAINT ck_analytics_events_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_analytics_events_organization_id_present CHECK (organization_id IS NOT NULL OR business_id IS NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_analytics_events_organization_id_present ON conversational.analytics_events IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.ad_assets
    DROP CONSTRAINT ck_ad_assets_organization_id_present, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT ck_ad_assets_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_ad_assets_organization_id_present ON conversational.ad_assets IS 'Tenancy retrofit: every row belongs to an organization.';

RESET ROLE;
