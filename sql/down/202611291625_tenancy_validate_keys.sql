-- Migration: tenancy_validate_keys
-- Marks the foreign keys NOT VALID again (drop and re-add NOT VALID: no scan), the state before the
-- up file, and drops the owner's cross-tenant policy on core.organizations it created.
-- Locks: SHARE ROW EXCLUSIVE on the ten conversational tables and core.organizations (DROP/ADD CONSTRAINT NOT VALID); ACCESS EXCLUSIVE (catalog only) on core.organizations (DROP POLICY)

SET LOCAL ROLE app_owner;

DROP POLICY IF EXISTS organizations_select_cross_tenant ON core.organizations;
ALTER TABLE conversational.users
    DROP CONSTRAINT fk_users_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_users_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.businesses
    DROP CONSTRAINT fk_businesses_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_businesses_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.channel_integrations
    DROP CONSTRAINT fk_channel_integrations_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_channel_integrations_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.conversations
    DROP CONSTRAINT fk_conversations_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_conversations_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.messages
    DROP CONSTRAINT fk_messages_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_messages_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.leads
    DROP CONSTRAINT fk_leads_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_leads_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.knowledge_entries
    DROP CONSTRAINT fk_knowledge_entries_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_knowledge_entries_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.conversation_memory
    DROP CONSTRAINT fk_conversation_memory_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_conversation_memory_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.analytics_events
    DROP CONSTRAINT fk_analytics_events_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_analytics_events_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.ad_assets
    DROP CONSTRAINT fk_ad_assets_organization_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_ad_assets_organization_id FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.users
    DROP CONSTRAINT fk_users_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_users_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.businesses
    DROP CONSTRAINT fk_businesses_organization_id_owner_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_businesses_organization_id_owner_id FOREIGN KEY (organization_id, owner_id) REFERENCES conversational.users (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.channel_integrations
    DROP CONSTRAINT fk_channel_integrations_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_channel_integrations_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.conversations
    DROP CONSTRAINT fk_conversations_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_conversations_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.messages
    DROP CONSTRAINT fk_messages_organization_id_conversation_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_messages_organization_id_conversation_id FOREIGN KEY (organization_id, conversation_id) REFERENCES conversational.conversations (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.leads
    DROP CONSTRAINT fk_leads_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_leads_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.knowledge_entries
    DROP CONSTRAINT fk_knowledge_entries_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_knowledge_entries_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.conversation_memory
    DROP CONSTRAINT fk_conversation_memory_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_conversation_memory_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.analytics_events
    DROP CONSTRAINT fk_analytics_events_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_analytics_events_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.ad_assets
    DROP CONSTRAINT fk_ad_assets_organization_id_business_id, -- noqa: DF01 re-added NOT VALID: the state before the up
    ADD CONSTRAINT fk_ad_assets_organization_id_business_id FOREIGN KEY (organization_id, business_id) REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;

RESET ROLE;
