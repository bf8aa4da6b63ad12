-- Migration: tenancy_add_organization_id
-- Step 1 of the tenancy retrofit (docs/schema.md, conversational): every frozen table gets a nullable
-- organization_id, and users, conversations and conversation_memory the business_id the review
-- recommends for isolation. Adding a nullable column without a default is a catalog change (no
-- rewrite, no scan). A BEFORE INSERT/UPDATE trigger fills organization_id for writers that do not
-- set it yet (the business's organization, else the current tenant), so rows written during the
-- backfill are attributed too. Mapping: a business is a workspace of one organization; the backfill
-- gives each legacy business an organization of its own.
-- Locks: ACCESS EXCLUSIVE (catalog only, milliseconds) on the ten conversational tables (ADD COLUMN, CREATE TRIGGER)

SET LOCAL ROLE app_owner;

-- Why: nullable, no default: no rewrite and no scan; frozen tables only grow.
ALTER TABLE conversational.users
    ADD COLUMN organization_id uuid,
    ADD COLUMN business_id bigint;
ALTER TABLE conversational.businesses
    ADD COLUMN organization_id uuid;
ALTER TABLE conversational.channel_integrations
    ADD COLUMN organization_id uuid;
ALTER TABLE conversational.conversations
    ADD COLUMN organization_id uuid,
    ADD COLUMN business_id bigint;
ALTER TABLE conversational.messages
    ADD COLUMN organization_id uuid;
ALTER TABLE conversational.leads
    ADD COLUMN organization_id uuid;
ALTER TABLE conversational.knowledge_entries
    ADD COLUMN organization_id uuid;
ALTER TABLE conversational.conversation_memory
    ADD COLUMN organization_id uuid,
    ADD COLUMN business_id bigint;
ALTER TABLE conversational.analytics_events
    ADD COLUMN organization_id uuid;
ALTER TABLE conversational.ad_assets
    ADD COLUMN organization_id uuid;

COMMENT ON COLUMN conversational.users.organization_id IS 'Tenant (core.organizations); required by ck_users_organization_id_present.';
COMMENT ON COLUMN conversational.businesses.organization_id IS 'Tenant (core.organizations); required by ck_businesses_organization_id_present.';
COMMENT ON COLUMN conversational.channel_integrations.organization_id IS 'Tenant (core.organizations); required by ck_channel_integrations_organization_id_present.';
COMMENT ON COLUMN conversational.conversations.organization_id IS 'Tenant (core.organizations); required by ck_conversations_organization_id_present.';
COMMENT ON COLUMN conversational.messages.organization_id IS 'Tenant (core.organizations); required by ck_messages_organization_id_present.';
COMMENT ON COLUMN conversational.leads.organization_id IS 'Tenant (core.organizations); required by ck_leads_organization_id_present.';
COMMENT ON COLUMN conversational.knowledge_entries.organization_id IS 'Tenant (core.organizations); required by ck_knowledge_entries_organization_id_present.';
COMMENT ON COLUMN conversational.conversation_memory.organization_id IS 'Tenant (core.organizations); required by ck_conversation_memory_organization_id_present.';
COMMENT ON COLUMN conversational.analytics_events.organization_id IS 'Tenant (core.organizations); required by ck_analytics_events_organization_id_present.';
COMMENT ON COLUMN conversational.ad_assets.organization_id IS 'Tenant (core.organizations); required by ck_ad_assets_organization_id_present.';
COMMENT ON COLUMN conversational.users.business_id IS 'Business the row belongs to (workspace of the organization).';
COMMENT ON COLUMN conversational.conversations.business_id IS 'Business the row belongs to (workspace of the organization).';
COMMENT ON COLUMN conversational.conversation_memory.business_id IS 'Business the row belongs to (workspace of the organization).';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('conversational', 'users', 'organization_id', 'internal'),
    ('conversational', 'businesses', 'organization_id', 'internal'),
    ('conversational', 'channel_integrations', 'organization_id', 'internal'),
    ('conversational', 'conversations', 'organization_id', 'internal'),
    ('conversational', 'messages', 'organization_id', 'internal'),
    ('conversational', 'leads', 'organization_id', 'internal'),
    ('conversational', 'knowledge_entries', 'organization_id', 'internal'),
    ('conversational', 'conversation_memory', 'organization_id', 'internal'),
    ('conversational', 'analytics_events', 'organization_id', 'internal'),
    ('conversational', 'ad_assets', 'organization_id', 'internal'),
    ('conversational', 'users', 'business_id', 'internal'),
    ('conversational', 'conversations', 'business_id', 'internal'),
    ('conversational', 'conversation_memory', 'business_id', 'internal');

-- Why: the organization of a business, for the fill trigger and the backfill (RLS of the caller applies).
CREATE FUNCTION conversational.organization_of_business(p_business_id bigint) RETURNS uuid
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT b.organization_id FROM conversational.businesses AS b WHERE b.id = p_business_id
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.organization_of_business(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION conversational.organization_of_business(bigint) TO app_rw;
COMMENT ON FUNCTION conversational.organization_of_business(bigint) IS 'organization_id of a business (NULL: unknown or not mapped yet).';

-- Why: legacy conversations carry only a channel; it names a business when exactly one has that channel.
CREATE FUNCTION conversational.business_of_channel(p_channel text) RETURNS bigint
LANGUAGE sql STABLE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.min(i.business_id) FROM conversational.channel_integrations AS i
    WHERE i.channel = p_channel
    HAVING pg_catalog.count(DISTINCT i.business_id) = 1
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.business_of_channel(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION conversational.business_of_channel(text) TO app_rw;
COMMENT ON FUNCTION conversational.business_of_channel(text) IS
    'The only business with an integration on the channel; NULL when none or several (the row is then attributed by hand).';

-- Why: one organization per legacy business; the owner creates it under that organization's own tenant
-- context (FORCE RLS on core.organizations), then restores the caller's.
CREATE FUNCTION conversational.new_business_organization(p_business_id bigint, p_name text) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_organization_id uuid := gen_random_uuid();
    v_caller_tenant text := pg_catalog.current_setting('app.org_id', true);
BEGIN
    PERFORM pg_catalog.set_config('app.org_id', v_organization_id::text, true);
    INSERT INTO core.organizations (organization_id, slug, name, status, plan)
    VALUES (v_organization_id, 'business-' || p_business_id::text,
            pg_catalog.left(coalesce(p_name, 'business ' || p_business_id::text), 200), 'active', 'free');
    PERFORM pg_catalog.set_config('app.org_id', coalesce(v_caller_tenant, ''), true);
    RETURN v_organization_id;
END
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.new_business_organization(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION conversational.new_business_organization(bigint, text) IS
    'Creates the organization of a legacy business (slug business-<id>); owner/migrator only, used by the backfill.';

-- Why: writers not yet setting organization_id keep working; their rows are attributed on the way in.
CREATE FUNCTION conversational.tg_fill_organization_id() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    IF NEW.organization_id IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'messages' THEN
        NEW.organization_id := (SELECT c.organization_id FROM conversational.conversations AS c
                                WHERE c.id = (pg_catalog.to_jsonb(NEW) ->> 'conversation_id')::bigint);
    ELSIF TG_TABLE_NAME <> 'businesses' THEN
        NEW.organization_id := conversational.organization_of_business((pg_catalog.to_jsonb(NEW) ->> 'business_id')::bigint);
    END IF;
    NEW.organization_id := coalesce(NEW.organization_id, app.current_org_id());
    RETURN NEW;
END
$fn$;
REVOKE EXECUTE ON FUNCTION conversational.tg_fill_organization_id() FROM PUBLIC;
COMMENT ON FUNCTION conversational.tg_fill_organization_id() IS
    'BEFORE INSERT/UPDATE: organization_id from the business (messages: the conversation), else the current tenant.';

-- Why: on INSERT, and when the column it is derived from changes (not on organization_id itself).
CREATE TRIGGER trg_users_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.users
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_businesses_fill_organization_id BEFORE INSERT ON conversational.businesses
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_channel_integrations_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.channel_integrations
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_conversations_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.conversations
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_messages_fill_organization_id BEFORE INSERT OR UPDATE OF conversation_id ON conversational.messages
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_leads_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.leads
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_knowledge_entries_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.knowledge_entries
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_conversation_memory_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.conversation_memory
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_analytics_events_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.analytics_events
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();
CREATE TRIGGER trg_ad_assets_fill_organization_id BEFORE INSERT OR UPDATE OF business_id ON conversational.ad_assets
    FOR EACH ROW EXECUTE FUNCTION conversational.tg_fill_organization_id();

RESET ROLE;
