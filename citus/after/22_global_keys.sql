-- Citus: the two global keys of distributed tables, kept global. Runs only on a Citus coordinator,
-- after the migrations, the policies/views and the distribution; repeatable and idempotent (what
-- exists is left as it is; a claim that exists is not written again).
--
-- Citus enforces a unique key of a distributed table only when it includes the distribution column,
-- so citus/after/20_distribute.sql replaces uq_api_keys_prefix (core.api_keys) and uq_users_email
-- (conversational.users) by per-tenant keys. Global uniqueness comes back through a claim table per
-- key, a reference table (one copy on every node) whose primary key is the key alone:
--
--   core.api_key_prefixes (prefix PRIMARY KEY, organization_id, UNIQUE (organization_id, prefix))
--   conversational.user_emails (email PRIMARY KEY, organization_id, UNIQUE (organization_id, email))
--
-- and a foreign key from the distributed table, (organization_id, prefix) or (organization_id,
-- email), to the claim (Citus allows a distributed table to reference a reference table). A row
-- needs its tenant's claim of its key, and a key claimed by one tenant cannot be claimed by another
-- (the claim's primary key): the database refuses a duplicate across tenants, whoever writes it.
--
-- The service writes the claim itself, in the same transaction, before the row: a trigger cannot do
-- it on Citus (the row's trigger runs on the shard, and a shard cannot write a reference table: "the
-- backend has already been assigned a transaction id"). app_rw inserts claims of its own tenant
-- (row-level security) and may delete one that no row uses any more (the foreign key refuses the
-- others), e.g. the email of a user it deleted. Plain PostgreSQL has none of this: its unique keys are
-- global already. docs/scale-out.md, "Global keys", has the transaction a service runs.

-- Why: writes to reference tables and DDL on distributed tables in one transaction (Citus needs
-- the sequential mode for that), and a trigger on a reference table (Citus's opt-in).
SET LOCAL citus.multi_shard_modify_mode = 'sequential';
SET LOCAL citus.enable_unsafe_triggers = on;

-- Why: the claim tables, owned by the owner role like every product table; row-level security is
-- enabled and forced in the same statement group (DESIGN §5).
CREATE TABLE IF NOT EXISTS core.api_key_prefixes (
    prefix text NOT NULL,
    organization_id uuid NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_api_key_prefixes PRIMARY KEY (prefix),
    CONSTRAINT uq_api_key_prefixes_organization_id_prefix UNIQUE (organization_id, prefix),
    CONSTRAINT ck_api_key_prefixes_prefix_format CHECK (prefix ~ '^ak_[a-z0-9]{12}$')
);
ALTER TABLE core.api_key_prefixes OWNER TO app_owner;
ALTER TABLE core.api_key_prefixes ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.api_key_prefixes FORCE ROW LEVEL SECURITY;

CREATE TABLE IF NOT EXISTS conversational.user_emails (
    email text NOT NULL,
    organization_id uuid NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_user_emails PRIMARY KEY (email),
    CONSTRAINT uq_user_emails_organization_id_email UNIQUE (organization_id, email),
    CONSTRAINT ck_user_emails_email_format CHECK (pg_catalog.char_length(email) <= 255 AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$')
);
ALTER TABLE conversational.user_emails OWNER TO app_owner;
ALTER TABLE conversational.user_emails ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversational.user_emails FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE core.api_key_prefixes IS
    'Citus only: the tenant that claimed each API key prefix. core.api_keys references its claim, so a prefix is unique across tenants (citus/after/22_global_keys.sql).';
COMMENT ON CONSTRAINT pk_api_key_prefixes ON core.api_key_prefixes IS
    'Global: an API key prefix is unique across tenants (a presented key is looked up before its tenant is known); uq_api_keys_prefix on plain PostgreSQL.';
COMMENT ON COLUMN core.api_key_prefixes.prefix IS 'The claimed prefix (the format of core.api_keys.prefix).';
COMMENT ON COLUMN core.api_key_prefixes.organization_id IS 'The tenant that claimed it; only its keys may use it.';
COMMENT ON COLUMN core.api_key_prefixes.claimed_at IS 'When the prefix was claimed.';
COMMENT ON TABLE conversational.user_emails IS
    'Citus only: the tenant that claimed each conversational user email. conversational.users references its claim, so an email is unique across tenants (citus/after/22_global_keys.sql).';
COMMENT ON CONSTRAINT pk_user_emails ON conversational.user_emails IS
    'Global: a conversational user email is unique across tenants (the login name); uq_users_email on plain PostgreSQL.';
COMMENT ON COLUMN conversational.user_emails.email IS 'The claimed email (the format of conversational.users.email).';
COMMENT ON COLUMN conversational.user_emails.organization_id IS 'The tenant that claimed it; only its users may use it.';
COMMENT ON COLUMN conversational.user_emails.claimed_at IS 'When the email was claimed.';

-- Why: every column classified (post-check columns_classified); an email is personal data.
INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('core', 'api_key_prefixes', 'prefix', 'internal'),
    ('core', 'api_key_prefixes', 'organization_id', 'internal'),
    ('core', 'api_key_prefixes', 'claimed_at', 'internal'),
    ('conversational', 'user_emails', 'email', 'pii'),
    ('conversational', 'user_emails', 'organization_id', 'internal'),
    ('conversational', 'user_emails', 'claimed_at', 'internal')
ON CONFLICT DO NOTHING;

-- Why: a claim table is a reference table (the foreign keys below need one) whose claims go with
-- their organization, and the table holding personal data is audited like every such table (each
-- node's trail records its copy's writes).
DO $reference$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'conversational.user_emails'::regclass AND tgname = 'trg_user_emails_audit') THEN
        CREATE TRIGGER trg_user_emails_audit AFTER INSERT OR UPDATE OR DELETE ON conversational.user_emails
            FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();
        ALTER TABLE conversational.user_emails ENABLE ALWAYS TRIGGER trg_user_emails_audit;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'core.api_key_prefixes'::regclass) THEN
        PERFORM create_reference_table('core.api_key_prefixes');
    END IF;
    IF NOT EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'conversational.user_emails'::regclass) THEN
        PERFORM create_reference_table('conversational.user_emails');
    END IF;
    -- Added once both sides are reference tables: a plain table referencing one would be added to
    -- Citus's metadata as a local table first.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = 'core.api_key_prefixes'::regclass
                                                          AND conname = 'fk_api_key_prefixes_organization_id') THEN
        ALTER TABLE core.api_key_prefixes ADD CONSTRAINT fk_api_key_prefixes_organization_id
            FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE CASCADE;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = 'conversational.user_emails'::regclass
                                                          AND conname = 'fk_user_emails_organization_id') THEN
        ALTER TABLE conversational.user_emails ADD CONSTRAINT fk_user_emails_organization_id
            FOREIGN KEY (organization_id) REFERENCES core.organizations (organization_id) ON DELETE CASCADE;
    END IF;
END
$reference$;

-- Why: the services claim keys of their own tenant, read their tenant's claims, and release a claim
-- no row uses; reporting reads; key authentication finds a prefix's tenant. Nothing else (policies
-- below).
REVOKE ALL ON core.api_key_prefixes, conversational.user_emails FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON core.api_key_prefixes, conversational.user_emails TO app_rw;
GRANT SELECT ON core.api_key_prefixes TO app_ro;
GRANT SELECT (prefix, organization_id) ON core.api_key_prefixes TO app_auth;
GRANT SELECT (organization_id, claimed_at) ON conversational.user_emails TO app_ro;

-- Why: tenant isolation: a claim is made, seen and released by its own tenant only (a claim of
-- another tenant shows only as the primary key's refusal of a duplicate).
DROP POLICY IF EXISTS api_key_prefixes_select_tenant ON core.api_key_prefixes;
CREATE POLICY api_key_prefixes_select_tenant ON core.api_key_prefixes FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS api_key_prefixes_insert_tenant ON core.api_key_prefixes;
CREATE POLICY api_key_prefixes_insert_tenant ON core.api_key_prefixes FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS api_key_prefixes_delete_tenant ON core.api_key_prefixes;
CREATE POLICY api_key_prefixes_delete_tenant ON core.api_key_prefixes FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS user_emails_select_tenant ON conversational.user_emails;
CREATE POLICY user_emails_select_tenant ON conversational.user_emails FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS user_emails_insert_tenant ON conversational.user_emails;
CREATE POLICY user_emails_insert_tenant ON conversational.user_emails FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS user_emails_delete_tenant ON conversational.user_emails;
CREATE POLICY user_emails_delete_tenant ON conversational.user_emails FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: key authentication finds the key's tenant by its prefix before the tenant is known (below);
-- app_auth is the role only app.authenticate_api_key runs as.
DROP POLICY IF EXISTS api_key_prefixes_select_auth ON core.api_key_prefixes;
CREATE POLICY api_key_prefixes_select_auth ON core.api_key_prefixes FOR SELECT TO app_auth USING (true);

-- Why: the owner's explicit opt-out (app.all_tenants = 'on'), for the backfill below and later jobs.
DROP POLICY IF EXISTS api_key_prefixes_all_cross_tenant ON core.api_key_prefixes;
CREATE POLICY api_key_prefixes_all_cross_tenant ON core.api_key_prefixes FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
DROP POLICY IF EXISTS user_emails_all_cross_tenant ON conversational.user_emails;
CREATE POLICY user_emails_all_cross_tenant ON conversational.user_emails FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');

-- Why: the keys and emails already there (a chain distributed with data) are claimed by their
-- tenants before the foreign keys require it. They are unique across tenants: they come from the
-- global keys of the plain-PostgreSQL schema or from rows the foreign keys below already checked.
SET LOCAL app.all_tenants = 'on';
INSERT INTO core.api_key_prefixes (prefix, organization_id, claimed_at)
SELECT k.prefix, k.organization_id, k.created_at FROM core.api_keys AS k
ON CONFLICT DO NOTHING;
INSERT INTO conversational.user_emails (email, organization_id, claimed_at)
SELECT u.email, u.organization_id, u.created_at FROM conversational.users AS u
ON CONFLICT DO NOTHING;
SET LOCAL app.all_tenants = 'off';

-- Why: a row's key must be claimed by the row's tenant. NO ACTION (checked at the end of the
-- statement): deleting an organization removes its rows and its claims in one statement.
DO $keys$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
                   WHERE conrelid = 'core.api_keys'::regclass AND conname = 'fk_api_keys_prefix') THEN
        ALTER TABLE core.api_keys ADD CONSTRAINT fk_api_keys_prefix FOREIGN KEY (organization_id, prefix)
            REFERENCES core.api_key_prefixes (organization_id, prefix) ON DELETE NO ACTION;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_constraint
                   WHERE conrelid = 'conversational.users'::regclass AND conname = 'fk_users_email') THEN
        ALTER TABLE conversational.users ADD CONSTRAINT fk_users_email FOREIGN KEY (organization_id, email)
            REFERENCES conversational.user_emails (organization_id, email) ON DELETE NO ACTION;
    END IF;
END
$keys$;
COMMENT ON CONSTRAINT fk_api_keys_prefix ON core.api_keys IS
    'Citus only: the key''s prefix is claimed by its tenant in core.api_key_prefixes (global uniqueness).';
COMMENT ON CONSTRAINT fk_users_email ON conversational.users IS
    'Citus only: the user''s email is claimed by its tenant in conversational.user_emails (global uniqueness).';

-- Why: key authentication on Citus. The plain-PostgreSQL app.authenticate_api_key is an SQL function
-- that finds the key by its prefix across every tenant, and Citus cannot plan it ("could not create
-- distributed plan": a parameter of an SQL function in a query on distributed tables). This form
-- finds the key's tenant in its claim (the reference table, a copy on the coordinator), then reads and
-- touches the key with the tenant key in every query: single-shard router queries, not a search of
-- every shard. Same answer and the same checks as on plain PostgreSQL (an active, unexpired key of a
-- live user in a live organization, else no row; last_used_at touched at most once a minute), same
-- owner (app_auth) and grants. Call it in its own transaction on Citus: it writes the tenant's shard
-- as app_auth, and Citus refuses the service's role on those placements later in the same
-- transaction (docs/scale-out.md, "Global keys").
CREATE OR REPLACE FUNCTION app.authenticate_api_key(p_prefix text, p_secret_hash bytea)
RETURNS TABLE (organization_id uuid, api_key_id uuid, user_id uuid, scopes text [])
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
    v_org uuid;
    v_key record;
BEGIN
    SELECT c.organization_id INTO v_org FROM core.api_key_prefixes AS c WHERE c.prefix = p_prefix;
    IF v_org IS NULL THEN
        RETURN;
    END IF;
    SELECT k.organization_id, k.api_key_id, k.user_id, k.scopes, k.last_used_at INTO v_key
    FROM core.api_keys AS k
    JOIN core.users AS u ON u.organization_id = k.organization_id AND u.user_id = k.user_id
    JOIN core.organizations AS o ON o.organization_id = k.organization_id
    WHERE k.organization_id = v_org
      AND u.organization_id = v_org
      AND k.prefix = p_prefix
      AND k.secret_hash = p_secret_hash
      AND k.status = 'active'
      AND k.revoked_at IS NULL
      AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())
      AND u.deleted_at IS NULL
      AND o.deleted_at IS NULL
      AND o.status IN ('trial', 'active');
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF v_key.last_used_at IS NULL OR v_key.last_used_at < pg_catalog.now() - interval '1 minute' THEN
        UPDATE core.api_keys AS k SET last_used_at = pg_catalog.now()
        WHERE k.organization_id = v_org AND k.api_key_id = v_key.api_key_id;
    END IF;
    organization_id := v_key.organization_id;
    api_key_id := v_key.api_key_id;
    user_id := v_key.user_id;
    scopes := v_key.scopes;
    RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION app.authenticate_api_key(text, bytea) IS
    'Authenticates (prefix, HMAC of secret): organization, key, user and scopes of an active, unexpired key of a '
    'live user and organization, else no row. Touches last_used_at. SECURITY DEFINER as app_auth. '
    'Citus form (citus/after/22_global_keys.sql): the tenant from the prefix''s claim, then single-shard queries.';
