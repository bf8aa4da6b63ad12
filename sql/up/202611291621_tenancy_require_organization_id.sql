-- Migration: tenancy_require_organization_id
-- Step 3a of the tenancy retrofit: new and updated rows must carry organization_id. NOT VALID: existing
-- rows are not scanned here (202611291622 validates them without blocking writes). The frozen
-- columns stay nullable in the catalog (SET NOT NULL is outside the freeze); the validated CHECK is
-- the requirement. analytics_events without a business are system-wide events and need none.
-- Locks: ACCESS EXCLUSIVE (catalog only, no scan) on the ten conversational tables (ADD CONSTRAINT NOT VALID)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users
    ADD CONSTRAINT ck_users_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_users_organization_id_present ON conversational.users IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.businesses
    ADD CONSTRAINT ck_businesses_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_businesses_organization_id_present ON conversational.businesses IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.channel_integrations
    ADD CONSTRAINT ck_channel_integrations_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_channel_integrations_organization_id_present ON conversational.channel_integrations IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.conversations
    ADD CONSTRAINT ck_conversations_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_conversations_organization_id_present ON conversational.conversations IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.messages
    ADD CONSTRAINT ck_messages_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_messages_organization_id_present ON conversational.messages IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.leads
    ADD CONSTRAINT ck_leads_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_leads_organization_id_present ON conversational.leads IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.knowledge_entries
    ADD CONSTRAINT ck_knowledge_entries_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_knowledge_entries_organization_id_present ON conversational.knowledge_entries IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.conversation_memory
    ADD CONSTRAINT ck_conversation_memory_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_conversation_memory_organization_id_present ON conversational.conversation_memory IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.analytics_events
    ADD CONSTRAINT ck_analytics_events_organization_id_present CHECK (organization_id IS NOT NULL OR business_id IS NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_analytics_events_organization_id_present ON conversational.analytics_events IS 'Tenancy retrofit: every row belongs to an organization.';
ALTER TABLE conversational.ad_assets
    ADD CONSTRAINT ck_ad_assets_organization_id_present CHECK (organization_id IS NOT NULL) NOT VALID;
COMMENT ON CONSTRAINT ck_ad_assets_organization_id_present ON conversational.ad_assets IS 'Tenancy retrofit: every row belongs to an organization.';

RESET ROLE;
