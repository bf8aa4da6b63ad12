-- Migration: tenancy_composite_keys
-- Step 4b of the tenancy retrofit: the unique indexes become constraints (UNIQUE USING INDEX: no
-- scan), every table references core.organizations, and children reference their parent with a
-- composite key (organization_id, parent), so no row can point into another tenant. Foreign keys are
-- added NOT VALID (no scan); 202611291625 validates them. The frozen single-column keys stay.
-- Locks: ACCESS EXCLUSIVE (catalog only, no scan) on the ten conversational tables (ADD CONSTRAINT USING INDEX); SHARE ROW EXCLUSIVE on them and on core.organizations (ADD FOREIGN KEY NOT VALID)

SET LOCAL ROLE app_owner;

ALTER TABLE conversational.users ADD CONSTRAINT uq_users_organization_id_id UNIQUE USING INDEX uq_users_organization_id_id;
COMMENT ON CONSTRAINT uq_users_organization_id_id ON conversational.users IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.businesses ADD CONSTRAINT uq_businesses_organization_id_id UNIQUE USING INDEX uq_businesses_organization_id_id;
COMMENT ON CONSTRAINT uq_businesses_organization_id_id ON conversational.businesses IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.channel_integrations ADD CONSTRAINT uq_channel_integrations_organization_id_id UNIQUE USING INDEX uq_channel_integrations_organization_id_id;
COMMENT ON CONSTRAINT uq_channel_integrations_organization_id_id ON conversational.channel_integrations IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.conversations ADD CONSTRAINT uq_conversations_organization_id_id UNIQUE USING INDEX uq_conversations_organization_id_id;
COMMENT ON CONSTRAINT uq_conversations_organization_id_id ON conversational.conversations IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.messages ADD CONSTRAINT uq_messages_organization_id_id UNIQUE USING INDEX uq_messages_organization_id_id;
COMMENT ON CONSTRAINT uq_messages_organization_id_id ON conversational.messages IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.leads ADD CONSTRAINT uq_leads_organization_id_id UNIQUE USING INDEX uq_leads_organization_id_id;
COMMENT ON CONSTRAINT uq_leads_organization_id_id ON conversational.leads IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.knowledge_entries ADD CONSTRAINT uq_knowledge_entries_organization_id_id UNIQUE USING INDEX uq_knowledge_entries_organization_id_id;
COMMENT ON CONSTRAINT uq_knowledge_entries_organization_id_id ON conversational.knowledge_entries IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.conversation_memory ADD CONSTRAINT uq_conversation_memory_organization_id_id UNIQUE USING INDEX uq_conversation_memory_organization_id_id;
COMMENT ON CONSTRAINT uq_conversation_memory_organization_id_id ON conversational.conversation_memory IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.analytics_events ADD CONSTRAINT uq_analytics_events_organization_id_id UNIQUE USING INDEX uq_analytics_events_organization_id_id;
COMMENT ON CONSTRAINT uq_analytics_events_organization_id_id ON conversational.analytics_events IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.ad_assets ADD CONSTRAINT uq_ad_assets_organization_id_id UNIQUE USING INDEX uq_ad_assets_organization_id_id;
COMMENT ON CONSTRAINT uq_ad_assets_organization_id_id ON conversational.ad_assets IS 'Target of composite foreign keys (organization_id, id).';
ALTER TABLE conversational.users
    ADD CONSTRAINT fk_users_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.businesses
    ADD CONSTRAINT fk_businesses_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.channel_integrations
    ADD CONSTRAINT fk_channel_integrations_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.conversations
    ADD CONSTRAINT fk_conversations_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.messages
    ADD CONSTRAINT fk_messages_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.leads
    ADD CONSTRAINT fk_leads_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.knowledge_entries
    ADD CONSTRAINT fk_knowledge_entries_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.conversation_memory
    ADD CONSTRAINT fk_conversation_memory_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.analytics_events
    ADD CONSTRAINT fk_analytics_events_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.ad_assets
    ADD CONSTRAINT fk_ad_assets_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.users
    ADD CONSTRAINT fk_users_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.businesses
    ADD CONSTRAINT fk_businesses_organization_id_owner_id FOREIGN KEY (organization_id, owner_id)
        REFERENCES conversational.users (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.channel_integrations
    ADD CONSTRAINT fk_channel_integrations_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.conversations
    ADD CONSTRAINT fk_conversations_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.messages
    ADD CONSTRAINT fk_messages_organization_id_conversation_id FOREIGN KEY (organization_id, conversation_id)
        REFERENCES conversational.conversations (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.leads
    ADD CONSTRAINT fk_leads_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.knowledge_entries
    ADD CONSTRAINT fk_knowledge_entries_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.conversation_memory
    ADD CONSTRAINT fk_conversation_memory_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE RESTRICT NOT VALID;
ALTER TABLE conversational.analytics_events
    ADD CONSTRAINT fk_analytics_events_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;
ALTER TABLE conversational.ad_assets
    ADD CONSTRAINT fk_ad_assets_organization_id_business_id FOREIGN KEY (organization_id, business_id)
        REFERENCES conversational.businesses (organization_id, id) ON DELETE CASCADE NOT VALID;

RESET ROLE;
